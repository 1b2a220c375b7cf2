"""Questions asked at any step: the notice answers what it can; the rest becomes a staff ticket."""

from __future__ import annotations

import re
import unicodedata

from dialogs.faq import FaqIndex, looks_like_question
from dialogs.model import Event, Intent, Reply, Session, Ticket, UserInput
from dialogs.redact import redact

ASK_PROMPT = "请直接输入您的问题，例如“办理需要多长时间？”“需要交哪些材料？”"
HANDED_OFF = ("这个问题办事指南中没有明确答复，已转给人工客服。工作人员回复后会在这里通知您，"
              "请留意消息。")


def is_question(s: Session, inp: UserInput) -> bool:
    if inp.kind != "text":
        return False
    if s.meta.asking or looks_like_question(inp.text):
        return True
    # On the start page there is no question pending: a sentence is taken as a question, while a
    # greeting (你好) just shows the menu again.
    return s.state == "idle" and len(inp.text.strip()) >= 6


_PLAIN_QUESTION = re.compile(r"([?？]|吗|呢|么)\s*$|^(请问|怎么|怎样|如何|为什么|为啥|能不能|可不可以|可以不|"
                             r"是不是|要不要|有没有|需不需要|需要|我能|我可以|能否|是否)")


def plainly_asks(text: str) -> bool:
    """A question beyond doubt (ends with ？/吗/呢, or opens with 请问/怎么/能不能…), for steps where
    any other text is taken as an attempt to answer."""
    return bool(_PLAIN_QUESTION.search(unicodedata.normalize("NFKC", text).strip()))


def answer(faq: FaqIndex, s: Session, inp: UserInput) -> tuple[list[Reply], list[Intent]]:
    """The answer (or the hand-off) and its intents; the engine then clears `asking`."""
    question = inp.text.strip()[:500]
    result = faq.answer(question)
    if result.confident and result.entry is not None:
        text = f"{result.entry.answer}\n\n（答案依据：办事指南 {result.entry.section}）"
        return [Reply(text=text)], [Event(name="question_answered", data={
            "entry": result.entry.id, "score": round(result.score, 2)})]
    ticket = Ticket(question=redact(question), step=s.state, ref=s.meta.ref, reason=result.reason)
    return [Reply(text=HANDED_OFF)], [ticket]
