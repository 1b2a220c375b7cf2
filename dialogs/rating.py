"""好差评: the applicant rates the service when the case is closed; a bad rating gets a follow-up."""

from __future__ import annotations

from dialogs.callbacks import GlobalCb, RatingCb
from dialogs.model import Button, Rate, Reply, Session
from dialogs.steps import Stay

SCORES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
FOLLOW_UP_AT_MOST = 2


def prompt_buttons(ref: str) -> list[list[Button]]:
    """The 好差评 buttons, and a way to put it off (it stays on offer in /status until rated)."""
    return [
        *([Button(label=label, data=RatingCb(score, ref).pack())] for score, label in SCORES.items()),
        [Button(label="暂不评价", data=GlobalCb("no_rating").pack())],
    ]


def rate(cb: RatingCb | None) -> Stay:
    """A rating button (None when malformed): record it and offer to add a comment."""
    if cb is None or cb.score not in SCORES or not cb.ref:
        return Stay([Reply(text="该按钮已失效。")])
    value, ref = cb.score, cb.ref
    text = f"感谢您的评价：{SCORES[value]}。"
    if value <= FOLLOW_UP_AT_MOST:
        text += "我们的工作人员将回访了解情况。"
    reply = Reply(
        text=text + "\n如愿意，请输入您的意见或建议（选填）：",
        buttons=[[Button(label="不填写", data=GlobalCb("no_comment").pack())]],
    )
    return Stay([reply], intents=[Rate(ref=ref, score=value)], meta={"rating_comment": ref})


def comment(s: Session, text: str) -> Stay:
    return Stay(
        [Reply(text="已收到您的意见，感谢您的反馈！")],
        intents=[Rate(ref=s.meta.rating_comment, comment=text.strip()[:500])],
        meta={"rating_comment": None},
    )
