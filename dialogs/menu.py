"""The applicant's menu and commands (g|<action>, /start, /status...): one handler per action."""

from __future__ import annotations

from dialogs import helpdesk, materials, privacy, review, texts
from dialogs.model import Event, ForgetDraft, Meta, MyData, Reply, Session, Status, UserInput
from states.conversation import Phase

IN_PROGRESS_EXCLUDED = {Phase.idle, Phase.submitted}


class Menu:
    """Mixed into the Engine: uses its steps, `_move`, `_trigger` and `progress`."""

    def _command(self, s: Session, inp: UserInput, replies: list, intents: list) -> None:
        cmd = inp.command
        in_progress = s.state not in IN_PROGRESS_EXCLUDED
        if cmd == "start":
            replies.append(texts.welcome(in_progress))
        elif cmd == "help":
            replies.append(texts.Reply(text=texts.HELP))
        elif cmd in ("guide", "apply", "status", "cancel", "ask", "mydata", "delete"):
            self._global(s, {"guide": "notice"}.get(cmd, cmd), inp, replies, intents)
        else:
            replies.append(Reply(text="未知命令。" + texts.HELP))

    def _global(self, s: Session, action: str, inp: UserInput, replies: list, intents: list) -> None:
        if action.startswith("n:") and action[2:] in texts.notice.PAGE_BY_KEY:
            replies.extend(texts.notice_page(action[2:], s.state not in IN_PROGRESS_EXCLUDED))
            return
        GLOBAL_ACTIONS.get(action, Menu._stale_menu)(self, s, inp, replies, intents)

    def _in_progress(self, s: Session) -> bool:
        return s.state not in IN_PROGRESS_EXCLUDED

    def _now_prompt(self, s: Session, inp: UserInput) -> list[Reply]:
        return self.steps[s.state].prompt(s, inp) if self._in_progress(s) else [texts.welcome(False)]

    def _on_notice(self, s, inp, replies, intents) -> None:
        replies.append(texts.notice_index(self._in_progress(s)))

    def _on_apply(self, s, inp, replies, intents) -> None:
        s.meta.asking = None
        if s.state == Phase.idle:
            self._move(s, inp, "advance", {}, replies)
        elif s.state == Phase.submitted:
            intents.append(Status())
        else:
            replies.append(Reply(text="继续办理："))
            replies.extend(self.steps[s.state].prompt(s, inp))

    def _on_status(self, s, inp, replies, intents) -> None:
        if s.state == Phase.submitted:
            intents.append(Status())
        elif s.state == Phase.idle:
            replies.append(Reply(text="您还没有开始填写申请。发送 /apply 开始办理。"))
        else:
            done, total = self.progress(s)
            replies.append(
                Reply(
                    text=f"您的申请尚未提交：申报表单共{total}项，已完成{done}项（含跳过的选填项）。"
                    "\n" + materials.checklist(s) + "\n发送 /apply 继续办理。"
                )
            )

    def _on_cancel(self, s, inp, replies, intents) -> None:
        if not self._in_progress(s):
            replies.append(Reply(text="当前没有正在填写的申请。"))
            return
        replies.append(
            Reply(
                text="确定要放弃当前填写的申请吗？已填写的内容将被删除。",
                buttons=[[texts.g("cancel_yes", "确定放弃"), texts.g("cancel_no", "继续填写")]],
            )
        )

    def _on_cancel_yes(self, s, inp, replies, intents) -> None:
        if not self._in_progress(s):
            replies.extend(self._now_prompt(s, inp))
            return
        keep = Meta(
            notice_version=s.meta.notice_version,
            notice_ack_at=s.meta.notice_ack_at,
            consent_version=s.meta.consent_version,
            consent_at=s.meta.consent_at,
        )
        self._trigger(s, "restart")
        s.answers, s.materials, s.meta = {}, {}, keep
        intents.append(Event(name="draft_discarded"))
        replies.append(Reply(text="已放弃当前申请，填写的内容已删除。发送 /apply 可重新开始。"))

    def _on_cancel_no(self, s, inp, replies, intents) -> None:
        replies.extend(self._now_prompt(s, inp))

    def _on_no_comment(self, s, inp, replies, intents) -> None:
        s.meta.rating_comment = None
        replies.append(Reply(text="感谢您的评价！"))

    def _on_no_rating(self, s, inp, replies, intents) -> None:
        replies.append(Reply(text="好的。您可随时发送 /status 查看结果并进行评价（好差评）。"))

    def _on_ask(self, s, inp, replies, intents) -> None:
        s.meta.asking = True
        replies.append(
            Reply(
                text=helpdesk.ASK_PROMPT, buttons=[[texts.g("resume", "📝 返回办理")]] if self._in_progress(s) else []
            )
        )

    def _on_mydata(self, s, inp, replies, intents) -> None:
        lines = privacy.draft_lines(s, review.masked) if self._in_progress(s) else []
        replies.append(
            Reply(
                text=(
                    "您正在填写的申请草稿中保存了（已部分隐藏）：\n"
                    + "\n".join(lines)
                    + f"\n草稿在最后一次操作后保存{self.retention.draft_days}天。"
                )
                if lines
                else "您没有正在填写的申请草稿。"
            )
        )
        intents.append(MyData())

    def _on_delete(self, s, inp, replies, intents) -> None:
        replies.append(privacy.delete_prompt(self._in_progress(s)))

    def _on_delete_yes(self, s, inp, replies, intents) -> None:
        if not self._in_progress(s):
            replies.append(privacy.delete_prompt(False))
            return
        refs = sorted({f["sha256"] for files in s.materials.values() for f in files if f.get("sha256")})
        ref = s.meta.ref
        self._trigger(s, "restart")
        s.answers, s.materials, s.meta = {}, {}, Meta(ref=ref)
        intents.append(Event(name="draft_deleted", data={"files": len(refs)}))
        intents.append(ForgetDraft(refs=refs))
        replies.append(
            Reply(
                text="您的申请草稿及上传的材料已删除。"
                + (privacy.SUBMITTED_NOTE if ref else "")
                + "\n发送 /apply 可重新开始。"
            )
        )

    def _on_delete_no(self, s, inp, replies, intents) -> None:
        replies.append(Reply(text="已取消，草稿未删除。"))
        replies.extend(self._now_prompt(s, inp))

    def _stale_menu(self, s, inp, replies, intents) -> None:
        replies.append(Reply(text="该按钮已失效。"))
        replies.extend(self._now_prompt(s, inp))


# The applicant's menu (g|<action> and the commands that share it): action -> handler.
GLOBAL_ACTIONS = {
    "notice": Menu._on_notice,
    "apply": Menu._on_apply,
    "resume": Menu._on_apply,
    "status": Menu._on_status,
    "cancel": Menu._on_cancel,
    "cancel_yes": Menu._on_cancel_yes,
    "cancel_no": Menu._on_cancel_no,
    "no_comment": Menu._on_no_comment,
    "ask": Menu._on_ask,
    "no_rating": Menu._on_no_rating,
    "mydata": Menu._on_mydata,
    "delete": Menu._on_delete,
    "delete_yes": Menu._on_delete_yes,
    "delete_no": Menu._on_delete_no,
}
