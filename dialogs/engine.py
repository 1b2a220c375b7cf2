"""The dialog engine: (Session, UserInput) -> Outcome, driving the conversation machine."""

from __future__ import annotations

from typing import Any

from transitions import Machine, MachineError

from dialogs import duplicates, eligibility, helpdesk, materials, rating, review, texts
from dialogs.callbacks import CorrectionCb, GlobalCb, RatingCb, RepeatCb, StepCb, Unknown
from dialogs.faq import FaqIndex
from dialogs.fields import FIELD_STEPS
from dialogs.form import ASKED, FIELDS, FORM_STEPS, applies
from dialogs.materials import MATERIAL_STEPS
from dialogs.model import Intent, Outcome, Reply, Session, UserInput
from dialogs.steps import Again, BaseStep, Done, Stay, Step
from states.conversation import ELIGIBILITY, Phase, build_conversation_machine, step_order

ANSWER_OF = {"id_type": "id_type", "id_number": "id_number", "archive": "archive",
             "situation": "situation", "m_doc_choice": "doc_choice", "m_entrusted": "archive_entrusted",
             **{f.step: f.key for f in ASKED}}
DEPENDENTS = {"id_type": ("id_number", "sex", "birth", "birth_month")}
IN_PROGRESS_EXCLUDED = {Phase.idle, Phase.submitted}


class IdleStep(BaseStep):
    name = Phase.idle

    def prompt(self, s, inp):
        return [texts.welcome(in_progress=False)]

    def accept(self, s, inp):
        return Again("请点击下方按钮选择。")


class Cursor:
    """The plain model object the machine's events are triggered on (guards live here)."""

    def __init__(self, engine: "Engine", session: Session):
        self.engine = engine
        self.session = session
        self.state = session.state

    def is_editing(self, event) -> bool:
        return bool(self.session.meta.get("editing"))

    def is_optional(self, event) -> bool:
        return self.engine.step(self.state).optional(self.session)

    def is_inapplicable(self, event) -> bool:
        return not self.engine.step(self.state).applies(self.session)

    def is_target(self, event) -> bool:
        return event.transition.dest == event.kwargs.get("target")

    def is_complete(self, event) -> bool:
        return self.engine.missing(self.session) is None

    def is_accepted(self, event) -> bool:
        return bool(self.session.meta.get("commitment"))


class Engine:
    def __init__(self, faq: FaqIndex | None = None) -> None:
        self.faq = faq
        steps: list[Step] = [IdleStep(), *eligibility.STEPS, *FIELD_STEPS, *materials.STEPS, *review.STEPS]
        self.steps: dict[str, Step] = {s.name: s for s in steps}
        self.order = step_order(FORM_STEPS, MATERIAL_STEPS)
        self.machine: Machine = build_conversation_machine(FORM_STEPS, MATERIAL_STEPS)
        self.fillable = [n for n in self.order if n in (*ELIGIBILITY, *FORM_STEPS, *MATERIAL_STEPS)]

    def step(self, name: str) -> Step:
        return self.steps[name]

    # ---- queries -------------------------------------------------------------------------
    def answered(self, name: str, s: Session) -> bool:
        if name == Phase.id_confirm:
            return not s.meta.get("pending_id")
        if name in ANSWER_OF:
            return s.answers.get(ANSWER_OF[name]) not in (None, "")
        step = self.steps[name]
        slot = getattr(step, "slot", None)
        return bool(slot and s.materials.get(slot(s).key))

    def missing(self, s: Session) -> str | None:
        for name in self.fillable:
            step = self.steps[name]
            if step.applies(s) and not step.optional(s) and not self.answered(name, s):
                return name
        return None

    def new_question(self, s: Session) -> str | None:
        """A conditional question that an edit made relevant and that was never answered or skipped."""
        skipped = set(s.meta.get("skipped", []))
        for f in ASKED:
            if f.condition and applies(f, s.answers) and f.key not in s.answers and f.key not in skipped:
                return f.step
        return None

    def progress(self, s: Session) -> tuple[int, int]:
        relevant = [f for f in FIELDS if applies(f, s.answers)]
        done = sum(1 for f in relevant if s.answers.get(f.key) not in (None, ""))
        return done, len(relevant)

    # ---- the one entry point ---------------------------------------------------------------
    def handle(self, session: Session, inp: UserInput) -> Outcome:
        s = session.model_copy(deep=True)
        replies: list[Reply] = []
        intents: list[Intent] = []
        self._dispatch(s, inp, replies, intents)
        return Outcome(replies=replies, session=s, intents=intents)

    def _dispatch(self, s: Session, inp: UserInput, replies: list, intents: list,
                  confirmed: bool = False) -> None:
        in_progress = s.state not in IN_PROGRESS_EXCLUDED
        if inp.kind == "command":
            return self._command(s, inp, replies, intents)
        choice = inp.choice if inp.kind == "choose" else None
        if isinstance(choice, GlobalCb):
            return self._global(s, choice.action, inp, replies, intents)
        if isinstance(choice, CorrectionCb) or (isinstance(choice, Unknown) and choice.kind == CorrectionCb.prefix):
            return self._start_correction(s, choice if isinstance(choice, CorrectionCb) else None, inp, replies)
        if isinstance(choice, RatingCb) or (isinstance(choice, Unknown) and choice.kind == RatingCb.prefix):
            return rating.rate(s, choice if isinstance(choice, RatingCb) else None, replies, intents)
        if isinstance(choice, RepeatCb) or (isinstance(choice, Unknown) and choice.kind == RepeatCb.prefix):
            return self._duplicate_answer(s, choice if isinstance(choice, RepeatCb) else None, inp, replies, intents)
        if inp.kind == "text" and s.meta.get("rating_comment"):
            return rating.comment(s, inp.text, replies, intents)
        if self.faq is not None and helpdesk.is_question(s, inp):
            answer, more = helpdesk.answer(self.faq, s, inp)
            replies.extend(answer)
            intents.extend(more)
            if s.state in IN_PROGRESS_EXCLUDED:
                replies.append(texts.welcome(in_progress=False) if s.state == Phase.idle
                               else Reply(text="发送 /status 查看办理进度。"))
            else:
                replies.append(Reply(text="继续办理："))
                replies.extend(self.steps[s.state].prompt(s, inp))
            return
        if s.state == Phase.idle:
            replies.append(texts.welcome(in_progress=False))
            return
        step = self.steps[s.state]
        if inp.kind == "choose":
            value = choice.value if isinstance(choice, StepCb) else ""
            if not isinstance(choice, StepCb) or choice.step != s.state:
                replies.append(Reply(text="该按钮已失效，请按当前步骤继续："))
                replies.extend(step.prompt(s, inp))
                return
            if value == "back":
                target = {"target": s.meta.get("failed_at")} if s.state == Phase.ineligible else {}
                return self._move(s, inp, "back", target, replies)
            if value == "skip":
                if step.optional(s):
                    key = ANSWER_OF.get(s.state, "")
                    s.answers.pop(key, None)
                    s.meta["skipped"] = sorted({*s.meta.get("skipped", []), key})
                    return self._move(s, inp, "skip", {}, replies)
                replies.append(Reply(text="这一项为必填项，不能跳过。"))
                replies.extend(step.prompt(s, inp))
                return
        if inp.kind == "other":
            what = texts.NON_TEXT.get(inp.other, "这类消息")
            replies.append(Reply(text=f"暂不支持识别{what}。请按提示回复文字或点击按钮："))
            replies.extend(step.prompt(s, inp))
            return
        if not confirmed and (question := duplicates.check_text(s, inp)) is not None:
            replies.append(question)
            return
        state, before = s.state, dict(s.materials)
        result = step.accept(s, inp)
        if inp.kind == "upload" and isinstance(result, (Done, Stay)) and (slot := getattr(step, "slot", None)):
            taken = [i.data["sha256"] for i in result.intents if i.kind == "store_blob"]
            if (question := duplicates.check_files(s, slot(s).key, taken)) is not None:
                s.materials = before
                replies.append(question)
                return
        if isinstance(result, Done):
            duplicates.remember(s, state, inp)
        if isinstance(result, Again):
            replies.append(Reply(text="⚠️ " + result.message))
            replies.extend(step.prompt(s, inp))
        elif isinstance(result, Stay):
            replies.extend(result.replies)
            intents.extend(result.intents)
        else:
            self._apply(s, result)
            intents.extend(result.intents)
            replies.extend(result.notes)
            self._move(s, inp, result.trigger, result.kwargs, replies)

    def _duplicate_answer(self, s: Session, choice: RepeatCb | None, inp: UserInput, replies: list,
                          intents: list) -> None:
        verdict, again, note = duplicates.resolve(s, choice, inp)
        if verdict == "stale":
            replies.append(Reply(text="该按钮已失效，请按当前步骤继续："))
        if note is not None:
            replies.append(note)
        if again is not None:
            return self._dispatch(s, again, replies, intents, confirmed=True)
        if s.state in self.steps and s.state not in IN_PROGRESS_EXCLUDED:
            replies.extend(self.steps[s.state].prompt(s, inp))
        elif s.state == Phase.idle:
            replies.append(texts.welcome(in_progress=False))

    def _apply(self, s: Session, result: Done) -> None:
        for key, value in result.values.items():
            if key in DEPENDENTS and s.answers.get(key) not in (None, value):
                for dep in DEPENDENTS[key]:
                    s.answers.pop(dep, None)
            s.answers[key] = value
        for key, value in (result.kwargs.get("meta") or {}).items():
            if value is None:
                s.meta.pop(key, None)
            else:
                s.meta[key] = value

    def _trigger(self, s: Session, name: str, **kwargs: Any) -> bool:
        cursor = Cursor(self, s)
        try:
            ok = self.machine.events[name].trigger(cursor, **kwargs)
        except MachineError:
            return False
        s.state = cursor.state
        return ok

    def _move(self, s: Session, inp: UserInput, trigger: str, kwargs: dict, replies: list) -> None:
        kwargs = {k: v for k, v in kwargs.items() if k != "meta"}
        if not self._trigger(s, trigger, **kwargs):
            replies.extend(self.steps[s.state].prompt(s, inp))
            return
        direction = "back" if trigger == "back" else "bypass"
        while s.state in self.steps and not self.steps[s.state].applies(s):
            if not self._trigger(s, direction):
                break
        if s.state == Phase.review:
            self._arrive_at_review(s)
        if s.state == Phase.submitted:
            return  # the runner confirms after the application is committed
        replies.extend(self.steps[s.state].prompt(s, inp))

    def _arrive_at_review(self, s: Session) -> None:
        for f in FIELDS:
            if not applies(f, s.answers):
                s.answers.pop(f.key, None)
        s.meta.pop("partial", None)
        todo = (s.meta.get("correction") or {}).get("todo") or []
        if todo:
            s.meta["correction"]["todo"] = todo[1:]
            s.meta["editing"] = True
            self._trigger(s, "edit", target=todo[0])
            return
        pending = self.missing(s) or self.new_question(s)
        if pending:
            s.meta["editing"] = True
            self._trigger(s, "edit", target=pending)
        else:
            s.meta.pop("editing", None)

    # ---- corrections requested after submission -----------------------------------------------
    def _start_correction(self, s: Session, cb: CorrectionCb | None, inp: UserInput, replies: list) -> None:
        dept, ref = (cb.dept, cb.ref) if cb else ("", "")
        request = s.meta.pop("correction_request", None)
        if s.state != Phase.submitted or not request or request.get("ref") != ref:
            replies.append(Reply(text="该补正请求已处理或已失效。发送 /status 查看办理进度。"))
            return
        steps = [review.EDIT_TARGETS.get(k, k) for k in request.get("fields", [])]
        for slot in request.get("materials", []):
            s.materials[slot] = []
            steps.append(materials.STEP_OF_SLOT.get(slot, "m_doc"))
        todo = [t for t in dict.fromkeys(steps) if t in self.steps] or [Phase.review]
        s.meta["correction"] = {"ref": ref, "dept": dept, "reason": request.get("reason", ""),
                                "fields": list(request.get("fields", [])),
                                "materials": list(request.get("materials", [])), "todo": todo[1:]}
        s.meta["editing"] = True
        replies.append(Reply(text=f"开始补正（原因：{request.get('reason', '')}）。请逐项修改："))
        if todo[0] == Phase.review:
            s.state = Phase.review
        elif not self._trigger(s, "correct", target=todo[0]):
            replies.append(Reply(text="该补正请求无法打开，请联系人工客服。"))
            return
        replies.extend(self.steps[s.state].prompt(s, inp))

    # ---- commands and global buttons ---------------------------------------------------------
    def _command(self, s: Session, inp: UserInput, replies: list, intents: list) -> None:
        cmd = inp.command
        in_progress = s.state not in IN_PROGRESS_EXCLUDED
        if cmd == "start":
            replies.append(texts.welcome(in_progress))
        elif cmd == "help":
            replies.append(texts.Reply(text=texts.HELP))
        elif cmd in ("guide", "apply", "status", "cancel", "ask"):
            self._global(s, {"guide": "notice"}.get(cmd, cmd), inp, replies, intents)
        else:
            replies.append(Reply(text="未知命令。" + texts.HELP))

    def _global(self, s: Session, action: str, inp: UserInput, replies: list, intents: list) -> None:
        in_progress = s.state not in IN_PROGRESS_EXCLUDED
        now_prompt = lambda: self.steps[s.state].prompt(s, inp)  # noqa: E731
        if action == "notice":
            replies.append(texts.notice_index(in_progress))
        elif action.startswith("n:") and action[2:] in texts.notice.PAGE_BY_KEY:
            replies.extend(texts.notice_page(action[2:], in_progress))
        elif action in ("apply", "resume"):
            s.meta.pop("asking", None)
            if s.state == Phase.idle:
                self._move(s, inp, "advance", {}, replies)
            elif s.state == Phase.submitted:
                intents.append(Intent(kind="status"))
            else:
                replies.append(Reply(text="继续办理："))
                replies.extend(now_prompt())
        elif action == "status":
            if s.state == Phase.submitted:
                intents.append(Intent(kind="status"))
            elif s.state == Phase.idle:
                replies.append(Reply(text="您还没有开始填写申请。发送 /apply 开始办理。"))
            else:
                done, total = self.progress(s)
                replies.append(Reply(text=f"您的申请尚未提交：申报表单已填写 {done}/{total} 项。"
                                          "\n" + materials.checklist(s) + "\n发送 /apply 继续办理。"))
        elif action == "cancel":
            if not in_progress:
                replies.append(Reply(text="当前没有正在填写的申请。"))
            else:
                replies.append(Reply(text="确定要放弃当前填写的申请吗？已填写的内容将被删除。", buttons=[[
                    texts.g("cancel_yes", "确定放弃"), texts.g("cancel_no", "继续填写")]]))
        elif action == "cancel_yes" and in_progress:
            keep = {k: v for k, v in s.meta.items() if k in ("notice_version", "notice_ack_at")}
            s.state, s.answers, s.materials, s.meta = Phase.idle, {}, {}, keep
            intents.append(Intent(kind="event", data={"name": "draft_discarded"}))
            replies.append(Reply(text="已放弃当前申请，填写的内容已删除。发送 /apply 可重新开始。"))
        elif action == "no_comment":
            s.meta.pop("rating_comment", None)
            replies.append(Reply(text="感谢您的评价！"))
        elif action in ("cancel_no", "cancel_yes"):
            replies.extend(now_prompt() if in_progress else [texts.welcome(False)])
        elif action == "ask":
            s.meta["asking"] = True
            replies.append(Reply(text=helpdesk.ASK_PROMPT, buttons=[[texts.g(
                "resume", "📝 返回办理")]] if in_progress else []))
        else:
            replies.append(Reply(text="该按钮已失效。"))
            replies.extend(now_prompt() if in_progress else [texts.welcome(False)])

