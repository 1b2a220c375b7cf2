"""Questions asked at any step: the notice answers what it can; the rest becomes a staff ticket."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from dialogs import faq_parse, faq_scope, situations
from dialogs.faq import FaqEntry, FaqIndex, looks_like_question
from dialogs.model import Event, Intent, Reply, Session, Ticket, UserInput
from dialogs.redact import redact

ASK_PROMPT = "请直接输入您的问题，例如“办理需要多长时间？”“需要交哪些材料？”"
_TO_STAFF = "已转给人工客服。工作人员回复后会在这里通知您，请留意消息。"
HANDED_OFF = f"这个问题办事指南中没有明确答复，{_TO_STAFF}"
# out of scope by topic: say what the notice does not cover, then the same hand-off
# the retrieval's score below which a question asking something other than "can I" is not answered
# by situation notes alone (bench/calibrate_faq.py: the seen splits' note-only answers to such
# questions score 0.41-0.63 when right, 0.19-0.20 when the question was out of scope)
NOTE_ONLY_MIN = 0.5
OUTSIDE = "您问的是{label}方面的问题，这份办事指南只说明灵活就业“一件事一次办”的办理，不涉及这方面的规定。"


def handed_off(topic: str | None) -> str:
    """The hand-off text: naming the topic when the question is outside the notice."""
    label = faq_scope.LABELS.get(topic or "")
    return f"{OUTSIDE.format(label=label)}{_TO_STAFF}" if label else HANDED_OFF


def without_handoff(text: str) -> str:
    """The same reply with its "handed to staff" promise taken out, for when no ticket was opened
    (the hourly cap): what the notice does or does not cover stays true and is kept."""
    return text.replace(f"，{_TO_STAFF}", "。").replace(_TO_STAFF, "").strip()


@dataclass(frozen=True)
class HelpAnswer:
    """What every channel shows for one question: notice entries, applied situations, or hand-off."""

    entries: tuple[FaqEntry, ...]
    notes: tuple[situations.Note, ...]
    confident: bool
    reason: str  # "answered" | "out_of_scope" | "low_confidence" | "empty"
    score: float
    candidate: FaqEntry | None  # best entry even when handed off (for staff and the report)
    # out-of-scope class when reason is "out_of_scope"; on an answer, the class of the part of the
    # question that the notice does not cover (that part goes to staff)
    topic: str | None = None

    @property
    def text(self) -> str:
        if not self.confident:
            return handed_off(self.topic)
        parts = [n.text for n in self.notes]
        noted = {n.entry for n in self.notes}
        parts += [f"{e.answer}\n（答案依据：办事指南 {e.section}）" for e in self.entries if e.id not in noted]
        if self.notes:
            parts.append(situations.DECIDES)
        if self.topic:
            parts.append(f"另外，{handed_off(self.topic)}")
        return "\n\n".join(parts)


def respond(faq: FaqIndex, question: str, today: date) -> HelpAnswer:
    """The one answer function behind Telegram, the terminal and `python -m bot ask`."""
    question = faq_parse.standard(question)  # dialect words in the notice's register (木有 -> 没有)
    answer = _respond(faq, question, today)
    if answer.reason == "low_confidence":
        # a homophone typo of a short word (档鞍 for 档案, 储生 for 出生) hides it from the situation
        # notes as well as from the retrieval: the whole question is read again as the bank's words
        fixed = faq.respelled(question)
        if fixed != question and (retry := _respond(faq, fixed, today)).confident:
            return retry
    return answer


def _respond(faq: FaqIndex, question: str, today: date) -> HelpAnswer:
    result = faq.answer(question)
    if result.reason in ("empty", "out_of_scope"):
        return HelpAnswer((), (), False, result.reason, result.score, None, result.topic)
    notes = tuple(situations.apply(question, today, answered=result.confident))
    # no situation read as typed: read again with its homophone typos as the bank's words (我的档鞍
    # 还在原单位 states an archive); only then, as a reading of a place name or a numeral as some
    # bank word would lose what was stated right
    heard = faq.respelled(question) if not notes else question
    if heard != question and (heard_notes := tuple(situations.apply(heard, today, answered=result.confident))):
        question, notes = heard, heard_notes
    entries = list(result.entries) if result.confident else []
    if notes and not result.confident:  # the answer rests on the situation: each one stated is applied
        clause = faq_parse.asking_clause(unicodedata.normalize("NFKC", question).lower())
        kind = faq_parse.asks_kind(clause)
        # a situation answers whether one can, or a bare statement of it (俺是开出租的，男，五十九了);
        # a question asking something else of its own (how, where, which) that the notice's
        # retrieval hardly finds (个体户每个季度税咋报, 不知道学校把我档案寄哪去了) is not answered
        # by a note on the situation it mentions
        # (unless the likeliest entry is of the family the clause asks for: then it answers)
        own = result.entry is not None and faq_parse.family(kind, result.entry.id, result.entry.section)
        if not own and kind != "can" and faq_parse.reads_as_question(clause) and result.score < NOTE_ONLY_MIN:
            return HelpAnswer((), (), False, result.reason, result.score, result.entry)
        notes = tuple(situations.apply(question, today, answered=True))
        # and the asking clause's own question (拿户口本行不 after the statements) is answered by
        # the likeliest entry when that entry is of the family the clause asks for
        if own and result.entry is not None:
            entries.append(result.entry)
    by_id = {e.id: e for e in faq.entries}
    for note in notes:  # a stated situation makes its entries part of the answer
        for entry_id in (note.entry, *note.also):
            if entry_id in by_id and all(e.id != entry_id for e in entries):
                entries.append(by_id[entry_id])
    if not entries:
        return HelpAnswer((), (), False, result.reason, result.score, result.entry)
    return HelpAnswer(tuple(entries), notes, True, "answered", result.score, result.entry, result.topic)


def is_question(s: Session, inp: UserInput) -> bool:
    if inp.kind != "text":
        return False
    if s.meta.asking or looks_like_question(inp.text):
        return True
    # On the start page there is no question pending: a sentence is taken as a question, while a
    # greeting (你好) just shows the menu again.
    return s.state == "idle" and len(inp.text.strip()) >= 6


# Words that also occur in attempts to answer (随便写点什么, 不知道选哪个): not enough on their own.
_WEAK_CUES = re.compile(r"什么|啥|不知道|不清楚|不懂")


def plainly_asks(text: str) -> bool:
    """A question beyond doubt, for steps where any other text is taken as an attempt to answer:
    the help desk's own test, without the cue words that answers contain too."""
    return looks_like_question(_WEAK_CUES.sub("", unicodedata.normalize("NFKC", text)))


def answer(faq: FaqIndex, s: Session, inp: UserInput) -> tuple[list[Reply], list[Intent]]:
    """The answer (or the hand-off) and its intents; the engine then clears `asking`."""
    question = inp.text.strip()[:500]
    result = respond(faq, question, inp.today)
    if result.confident:
        answered = Event(
            name="question_answered",
            data={
                "entries": [e.id for e in result.entries],
                "situations": [n.kind for n in result.notes],
                "score": round(result.score, 2),
            },
        )
        if result.topic is None:
            return [Reply(text=result.text)], [answered]
        # the part outside the notice goes to staff, as an out-of-scope question does
        part = Ticket(
            question=redact(question), step=s.state, ref=s.meta.ref, reason="out_of_scope", topic=result.topic
        )
        return [Reply(text=result.text)], [answered, part]
    ticket = Ticket(
        question=redact(question),
        step=s.state,
        ref=s.meta.ref,
        reason=result.reason,
        candidate=result.candidate.id if result.candidate else None,
        topic=result.topic,
    )
    return [Reply(text=result.text)], [ticket]


def learn(
    faq: FaqIndex, *, addition_id: int, question: str, answer: str, entry_id: str | None, section: str, created: date
) -> str:
    """A staff-reviewed hand-off into the bank: a new wording of `entry_id`, else a new entry.

    Returns the id of the entry that now answers the question."""
    if entry_id and faq.add_variant(entry_id, question):
        return entry_id
    entry = FaqEntry(
        id=f"staff-{addition_id}", section=f"{section}（{created:%Y-%m-%d}）", questions=(question,), answer=answer
    )
    faq.add(entry)
    return entry.id
