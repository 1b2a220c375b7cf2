"""Questions asked at any step: the notice answers what it can; the rest becomes a staff ticket."""

from __future__ import annotations

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
