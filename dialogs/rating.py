"""好差评: the applicant rates the service when the case is closed; a bad rating gets a follow-up."""

from __future__ import annotations

from dialogs.callbacks import GlobalCb, RatingCb
from dialogs.model import Button, Intent, Reply, Session

SCORES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
FOLLOW_UP_AT_MOST = 2


def rate(s: Session, cb: RatingCb | None, replies: list, intents: list) -> None:
    """`cb` is None for a malformed rating button."""
    if cb is None or cb.score not in SCORES or not cb.ref:
        replies.append(Reply(text="该按钮已失效。"))
        return
    value, ref = cb.score, cb.ref
    intents.append(Intent(kind="rate", data={"ref": ref, "score": value}))
    s.meta["rating_comment"] = ref
    text = f"感谢您的评价：{SCORES[value]}。"
    if value <= FOLLOW_UP_AT_MOST:
        text += "我们的工作人员将回访了解情况。"
    replies.append(Reply(text=text + "\n如愿意，请输入您的意见或建议（选填）：",
                         buttons=[[Button(label="不填写", data=GlobalCb("no_comment").pack())]]))


def comment(s: Session, text: str, replies: list, intents: list) -> None:
    ref = s.meta.pop("rating_comment")
    intents.append(Intent(kind="rate", data={"ref": ref, "comment": text.strip()[:500]}))
    replies.append(Reply(text="已收到您的意见，感谢您的反馈！"))
