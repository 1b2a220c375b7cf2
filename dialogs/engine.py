"""The dialog engine: (Session, UserInput) -> Outcome, driving the conversation machine."""

from __future__ import annotations

from typing import Any

from transitions import Machine, MachineError

from dialogs import duplicates, eligibility, helpdesk, materials, privacy, rating, review, texts
from dialogs.callbacks import CorrectionCb, GlobalCb, RatingCb, RepeatCb, StepCb, Unknown
from dialogs.faq import FaqIndex
from dialogs.fields import FIELD_STEPS, form_progress
from dialogs.form import ASKED, FIELDS, FORM_STEPS, applies
from dialogs.materials import MATERIAL_STEPS
from dialogs.menu import IN_PROGRESS_EXCLUDED, Menu
from dialogs.model import Intent, Outcome, Reply, Session, Status, StoreBlob, UserInput, deep_copy
from dialogs.steps import Again, BaseStep, Done, Stay, Step
from states.conversation import ELIGIBILITY, Phase, build_conversation_machine, step_order

ANSWER_OF = {
    "id_type": "id_type",
    "id_number": "id_number",
    "archive": "archive",
    "situation": "situation",
    "m_doc_choice": "doc_choice",
    "m_entrusted": "archive_entrusted",
    **{f.step: f.key for f in ASKED},
}
DEPENDENTS = {"id_type": ("id_number", "sex", "birth", "birth_month")}


class IdleStep(BaseStep):
    name = Phase.idle

    def prompt(self, s, inp):
        return [texts.welcome(in_progress=False)]

    def accept(self, s, inp):
        return Again("请点击下方按钮选择。")


class Cursor:
    """The plain model object the machine's events are triggered on (guards live here)."""

    def __init__(self, engine: Engine, session: Session):
        self.engine = engine
        self.session = session
        self.state = session.state

    def is_editing(self, event) -> bool:
        return bool(self.session.meta.editing)

    def is_optional(self, event) -> bool:
        return self.engine.step(self.state).optional(self.session)

    def is_inapplicable(self, event) -> bool:
        return not self.engine.step(self.state).applies(self.session)

    def is_target(self, event) -> bool:
        return event.transition.dest == event.kwargs.get("target")

    def is_complete(self, event) -> bool:
        return self.engine.missing(self.session) is None

    def is_accepted(self, event) -> bool:
        return self.session.meta.commitment is not None


class Engine(Menu):
    """The steps, the machine and the routing; the menu's actions come from dialogs.menu.Menu."""

    def __init__(self, faq: FaqIndex | None = None, retention: privacy.Retention | None = None) -> None:
        self.faq = faq
        self.retention = retention or privacy.Retention()
        steps: list[Step] = [
            IdleStep(),
            privacy.ConsentStep(self.retention),
            *eligibility.STEPS,
            *FIELD_STEPS,
            *materials.STEPS,
            *review.STEPS,
        ]
        self.steps: dict[str, Step] = {s.name: s for s in steps}
        self.order = step_order(FORM_STEPS, MATERIAL_STEPS)
        self.machine: Machine = build_conversation_machine(FORM_STEPS, MATERIAL_STEPS)
        self.fillable = [n for n in self.order if n in (*ELIGIBILITY, *FORM_STEPS, *MATERIAL_STEPS)]

    def step(self, name: str) -> Step:
        return self.steps[name]

    # ---- queries -------------------------------------------------------------------------
    def answered(self, name: str, s: Session) -> bool:
        if name == Phase.id_confirm:
            return not s.meta.pending_id
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
        skipped = set(s.meta.skipped)
        for f in ASKED:
            if f.condition and applies(f, s.answers) and f.key not in s.answers and f.key not in skipped:
                return f.step
        return None

    def progress(self, s: Session) -> tuple[int, int]:
        done, total, _ = form_progress(s)
        return done, total

    # ---- the one entry point ---------------------------------------------------------------
    def handle(self, session: Session, inp: UserInput) -> Outcome:
        s = deep_copy(session)  # the caller's session is left as it was
        replies: list[Reply] = []
        intents: list[Intent] = []
        self._dispatch(s, inp, replies, intents)
        return Outcome(replies=replies, session=s, intents=intents)

    def _dispatch(self, s: Session, inp: UserInput, replies: list, intents: list) -> None:
        """Route by table: a command, a button by its payload type, a pending rating comment, a
        question for the help desk, else the current step."""
        if inp.kind == "command":
            return self._command(s, inp, replies, intents)
        choice = inp.choice if inp.kind == "choose" else None
        malformed = isinstance(choice, Unknown)
        route = MALFORMED_ROUTES.get(choice.kind) if malformed else CHOICE_ROUTES.get(type(choice))
        if route is not None:
            return route(self, s, choice, inp, replies, intents)
        if inp.kind == "text" and s.meta.rating_comment:
            return self._take(s, rating.comment(s, inp.text), replies, intents)
        if self.faq is not None and helpdesk.is_question(s, inp) and not self._typed_answer(s, inp):
            return self._on_question(s, inp, replies, intents)
        if s.state == Phase.idle:
            replies.append(texts.welcome(in_progress=False))
            return
        if inp.kind == "choose":
            return self._on_step_choice(s, choice, inp, replies, intents)
        if inp.kind == "other" and s.state == Phase.submitted:
            intents.append(Status())  # a sticker after submission: the progress, rating included
            return
        if inp.kind == "other":
            what = texts.NON_TEXT.get(inp.other, "这类消息")
            replies.append(Reply(text=f"暂不支持识别{what}。请按提示回复文字或点击按钮："))
            replies.extend(self.steps[s.state].prompt(s, inp))
            return
        self._accept(s, inp, replies, intents)

    def _typed_answer(self, s: Session, inp: UserInput) -> bool:
        """At a step answered by its buttons, typed text is an answer when it names a button, and
        a question for the help desk only when it plainly asks one."""
        step = self.steps.get(s.state)
        if step is None or not step.expects_choice(s):
            return False
        return not isinstance(step.accept(s, inp), Again) or not helpdesk.plainly_asks(inp.text)

    def _on_menu(self, s, choice: GlobalCb, inp, replies, intents) -> None:
        self._global(s, choice.action, inp, replies, intents)

    def _on_correction(self, s, choice: CorrectionCb | Unknown, inp, replies, intents) -> None:
        self._start_correction(s, choice if isinstance(choice, CorrectionCb) else None, inp, replies)

    def _on_rating(self, s, choice: RatingCb | Unknown, inp, replies, intents) -> None:
        self._take(s, rating.rate(choice if isinstance(choice, RatingCb) else None), replies, intents)

    def _on_question(self, s, inp, replies, intents) -> None:
        answer, more = helpdesk.answer(self.faq, s, inp)
        s.meta.asking = None
        replies.extend(answer)
        intents.extend(more)
        if s.state in IN_PROGRESS_EXCLUDED:
            replies.append(
                texts.welcome(in_progress=False) if s.state == Phase.idle else Reply(text="发送 /status 查看办理进度。")
            )
        else:
            replies.append(Reply(text="继续办理："))
            replies.extend(self.steps[s.state].prompt(s, inp))

    def _on_step_choice(self, s, choice, inp, replies, intents) -> None:
        """A step's own button: back and skip are the engine's; any other value goes to the step."""
        step = self.steps[s.state]
        if not isinstance(choice, StepCb) or choice.step != s.state:
            replies.append(Reply(text="该按钮已失效，请按当前步骤继续："))
            replies.extend(step.prompt(s, inp))
        elif choice.value == "back" and s.state == Phase.review and s.meta.correction is not None:
            replies.append(Reply(text=review.correction_limit(s)))  # the rest of the form is closed
            replies.extend(step.prompt(s, inp))
        elif choice.value == "back" and getattr(step, "level_up", None) and step.level_up(s) is not None:
            s.meta.partial = step.level_up(s)  # an address: one level up, same question
            replies.extend(step.prompt(s, inp))
        elif choice.value == "back":
            target = {"target": s.meta.failed_at} if s.state == Phase.ineligible else {}
            self._move(s, inp, "back", target, replies)
        elif choice.value != "skip":
            self._accept(s, inp, replies, intents)
        elif step.optional(s):
            key = ANSWER_OF.get(s.state, "")
            s.answers.pop(key, None)
            s.meta.skipped = sorted({*s.meta.skipped, key})
            self._move(s, inp, "skip", {}, replies)
        else:
            replies.append(Reply(text="这一项为必填项，不能跳过。"))
            replies.extend(step.prompt(s, inp))

    def _accept(self, s, inp, replies, intents, confirmed: bool = False) -> None:
        step = self.steps[s.state]
        if not confirmed and (question := duplicates.check_text(s, inp)) is not None:
            replies.append(question)  # perhaps re-sent because the reply was late: ask first
            return
        state = s.state
        result = step.accept(s, inp)
        slot = getattr(step, "slot", None)
        if slot is not None and not isinstance(result, Again):
            taken = [i.sha256 for i in result.intents if isinstance(i, StoreBlob)]
            if (question := duplicates.check_files(s, slot(s).key, taken)) is not None:
                replies.append(question)  # the file is not taken
                return
        s.meta = s.meta.changed(result.meta)
        s.materials.update(result.materials)
        if isinstance(result, Done):
            duplicates.remember(s, state, inp)
        if isinstance(result, Again):
            replies.append(Reply(text="⚠️ " + result.message))
            replies.extend(step.prompt(s, inp))
        elif isinstance(result, Stay):
            replies.extend(step.prompt(s, inp) if result.replies is None else result.replies)
            intents.extend(result.intents)
        else:
            self._apply(s, result)
            intents.extend(result.intents)
            replies.extend(result.notes)
            self._move(s, inp, result.trigger, result.kwargs, replies)

    def _on_repeat(self, s, choice: RepeatCb | Unknown, inp, replies, intents) -> None:
        """The answer to "this repeats the previous answer (or a file already used)": take it or not."""
        verdict, again, note = duplicates.resolve(s, choice if isinstance(choice, RepeatCb) else None, inp)
        if verdict == "stale":
            replies.append(Reply(text="该按钮已失效，请按当前步骤继续："))
        if note is not None:
            replies.append(note)
        if again is not None:
            return self._accept(s, again, replies, intents, confirmed=True)
        if s.state in self.steps and s.state not in IN_PROGRESS_EXCLUDED:
            replies.extend(self.steps[s.state].prompt(s, inp))
        elif s.state == Phase.idle:
            replies.append(texts.welcome(in_progress=False))

    def _take(self, s: Session, result: Stay, replies: list, intents: list) -> None:
        s.meta = s.meta.changed(result.meta)
        replies.extend(result.replies or [])
        intents.extend(result.intents)

    def _apply(self, s: Session, result: Done) -> None:
        for key, value in result.values.items():
            if key in DEPENDENTS and s.answers.get(key) not in (None, value):
                for dep in DEPENDENTS[key]:
                    s.answers.pop(dep, None)
            s.answers[key] = value

    def _trigger(self, s: Session, name: str, **kwargs: Any) -> bool:
        cursor = Cursor(self, s)
        try:
            ok = self.machine.events[name].trigger(cursor, **kwargs)
        except MachineError:
            return False
        s.state = cursor.state
        return ok

    def _move(self, s: Session, inp: UserInput, trigger: str, kwargs: dict, replies: list) -> None:
        if not self._trigger(s, trigger, **kwargs):
            pending = self.missing(s) if s.state == Phase.review and trigger == "advance" else None
            if pending:  # confirmed with something still missing: open it
                replies.append(Reply(text="还有必填项目未完成，请先填写："))
                s.meta.editing = True
                self._trigger(s, "edit", target=pending)
            replies.extend(self.steps[s.state].prompt(s, inp))
            return
        direction = "back" if trigger == "back" else "bypass"
        while s.state in self.steps and not self.steps[s.state].applies(s):
            if not self._trigger(s, direction):
                break
        if s.state == Phase.review:
            self._arrive_at_review(s, backwards=trigger == "back")
        if s.state == Phase.submitted:
            return  # the runner confirms after the application is committed
        replies.extend(self.steps[s.state].prompt(s, inp))

    def _arrive_at_review(self, s: Session, backwards: bool = False) -> None:
        """After an answer: the next requested correction item, or what is still missing. Going
        back stops at the review page (back never moves forward)."""
        for f in FIELDS:
            if not applies(f, s.answers):
                s.answers.pop(f.key, None)
        s.meta.partial = None
        if backwards and s.meta.correction is not None:
            s.meta.editing = None
            return
        todo = s.meta.correction.todo if s.meta.correction else []
        if todo:
            s.meta.correction = s.meta.correction.model_copy(update={"todo": todo[1:]})
            s.meta.editing = True
            self._trigger(s, "edit", target=todo[0])
            return
        pending = self.missing(s) or self.new_question(s)
        if pending:
            s.meta.editing = True
            self._trigger(s, "edit", target=pending)
        else:
            s.meta.editing = None

    # ---- corrections requested after submission -----------------------------------------------
    def _start_correction(self, s: Session, cb: CorrectionCb | None, inp: UserInput, replies: list) -> None:
        dept, ref = (cb.dept, cb.ref) if cb else ("", "")
        request, s.meta.correction_request = s.meta.correction_request, None
        if s.state != Phase.submitted or request is None or request.ref != ref:
            replies.append(Reply(text="该补正请求已处理或已失效。发送 /status 查看办理进度。"))
            return
        steps = [review.EDIT_TARGETS.get(k, k) for k in request.fields]
        rejected = {}
        for slot in request.materials:
            rejected[slot] = [f["sha256"] for f in s.materials.get(slot) or []]
            s.materials[slot] = []
            steps.append(materials.STEP_OF_SLOT.get(slot, "m_doc"))
        todo = [t for t in dict.fromkeys(steps) if t in self.steps] or [Phase.review]
        s.meta.correction = request.model_copy(update={"dept": dept, "todo": todo[1:], "rejected": rejected})
        s.meta.editing = True
        replies.append(Reply(text=f"开始补正（原因：{request.reason}）。请逐项修改："))
        if not self._trigger(s, "correct", target=todo[0]):
            replies.append(Reply(text="该补正请求无法打开，请联系人工客服。"))
            return
        replies.extend(self.steps[s.state].prompt(s, inp))


# Buttons that are not a step's own, by payload type (and a malformed payload by its prefix).
CHOICE_ROUTES = {
    GlobalCb: Engine._on_menu,
    CorrectionCb: Engine._on_correction,
    RatingCb: Engine._on_rating,
    RepeatCb: Engine._on_repeat,
}
MALFORMED_ROUTES = {
    CorrectionCb.prefix: Engine._on_correction,
    RatingCb.prefix: Engine._on_rating,
    RepeatCb.prefix: Engine._on_repeat,
}
