"""The review page (check your answers), the commitment, and the submitted page."""

from __future__ import annotations

from dialogs import notice
from dialogs.fields import display_value
from dialogs.form import FIELDS, SECTION_NOTES, SECTIONS, applies
from dialogs.idnumbers import ID_TYPE_LABELS, IdType
from dialogs.masks import mask_account, mask_number
from dialogs.materials import SLOTS, STEP_OF_SLOT, required_slots
from dialogs.model import Commitment, Reply, Resubmit, Session, Status, Submit
from dialogs.steps import Again, BaseStep, Done, Stay, btn, nav, rows
from dialogs.texts import g

EDIT_TARGETS = {f.key: (f.edit_step or f.step) for f in FIELDS}


def masked(key: str, s: Session) -> str:
    value = s.answers.get(key)
    if value in (None, ""):
        return "未填写"
    if key == "id_number":
        return mask_number(value)
    if key == "phone":
        return mask_number(value)
    if key == "bank_account":
        return mask_account(value)
    if key == "id_type":
        return ID_TYPE_LABELS[IdType(value)]
    return display_value(next(f for f in FIELDS if f.key == key), value)


def answers_text(s: Session) -> str:
    lines = []
    for section in SECTIONS:
        lines.append(f"\n【{section}】" + (f"（{SECTION_NOTES[section]}）" if section in SECTION_NOTES else ""))
        for f in FIELDS:
            if f.section == section and applies(f, s.answers):
                star = "*" if f.required else ""
                lines.append(f"{f.label}{star}：{masked(f.key, s)}")
    lines.append("\n【申报材料】")
    for key in required_slots(s):
        files = s.materials.get(key) or []
        lines.append(f"{'✅' if files else '⬜'} {SLOTS[key].title}：" + (f"{len(files)}个文件" if files else "未上传"))
    return "\n".join(lines)


MATERIAL_EDITS = (
    ("m_doc", "改：材料1"),
    ("m_entrusted", "改：材料2"),
    ("m_letter", "改：档案介绍信"),
    ("m_id_front", "改：身份证人像面"),
    ("m_id_back", "改：身份证国徽面"),
)


def correction_steps(s: Session) -> list[str] | None:
    """The steps a correction may open, in form order; None when no correction is under way. Only
    these can change, so nothing is shown changed that the departments would not receive."""
    c = s.meta.correction
    if c is None:
        return None
    return list(
        dict.fromkeys(
            [*(EDIT_TARGETS.get(k, k) for k in c.fields), *(STEP_OF_SLOT.get(k, "m_doc") for k in c.materials)]
        )
    )


def correction_limit(s: Session) -> str:
    c = s.meta.correction
    names = [f.label for f in FIELDS if f.key in c.fields] + [SLOTS[k].title for k in c.materials if k in SLOTS]
    return f"本次补正只能修改要求补正的项目：{'、'.join(names)}。如需修改其他信息，请联系窗口或人工客服。"


class ReviewStep(BaseStep):
    name = "review"

    def prompt(self, s, inp):
        text = "请核对您的申报信息（证件号码、手机号码、银行账号已部分隐藏）：\n" + answers_text(s)
        keyed = [
            (f.key, "改：" + f.label)
            for f in FIELDS
            if applies(f, s.answers) and f.key not in ("sex", "birth_month", "archive_agency")
        ]
        keyed += [(step, label) for step, label in MATERIAL_EDITS if step != "m_letter"]
        allowed = correction_steps(s)
        if allowed is not None:
            text = correction_limit(s) + "\n\n" + text
            keyed = [(k, label) for k, label in keyed if self._target(k) in allowed]
            keyed += [("m_letter", "改：档案介绍信")] if "m_letter" in allowed else []
        edits = [btn(self.name, "e:" + k, label) for k, label in keyed]
        back = [] if allowed is not None else nav(self.name)
        return [Reply(text=text, buttons=[[btn(self.name, "ok", "✅ 信息无误，下一步")], *rows(edits, 3), *back])]

    @staticmethod
    def _target(key: str) -> str | None:
        return key if key.startswith("m_") else EDIT_TARGETS.get(key)

    def accept(self, s, inp):
        value = self.choice_value(inp) or ""
        allowed = correction_steps(s)
        c = s.meta.correction
        if value == "ok":
            if c is not None and c.todo:  # requested items not yet opened come first
                return Done(
                    trigger="edit",
                    kwargs={"target": c.todo[0]},
                    meta={"editing": True, "correction": c.model_copy(update={"todo": c.todo[1:]})},
                )
            return Done()
        if value.startswith("e:"):
            target = self._target(value[2:])
            if target and allowed is not None and target not in allowed:
                return Again(correction_limit(s))
            if target:
                return Done(trigger="edit", kwargs={"target": target}, meta={"editing": True})
        return Again("请点击“信息无误，下一步”，或点击“改：…”修改某一项。")


class CommitmentStep(BaseStep):
    name = "commitment"

    def prompt(self, s, inp):
        return [
            Reply(
                text=(
                    "最后一步：请阅读并确认承诺。\n\n"
                    + notice.COMMITMENT
                    + "\n\n点击“本人承诺并提交”即视为签字确认，确认时间和您的账号将被记录。"
                ),
                buttons=[[btn(self.name, "accept", "✍️ 本人承诺并提交")], *nav(self.name)],
            )
        ]

    def accept(self, s, inp):
        if self.choice_value(inp) == "accept":
            commitment = Commitment(accepted_at=inp.now.isoformat(), account=inp.account, text=notice.COMMITMENT)
            correction = s.meta.correction
            intent = Resubmit(correction=correction) if correction else Submit()
            return Done(trigger="submit", meta={"commitment": commitment, "correction": None}, intents=[intent])
        return Again("请点击“本人承诺并提交”完成提交，或点击“返回”修改信息。")


class SubmittedStep(BaseStep):
    name = "submitted"

    def prompt(self, s, inp):
        ref = s.meta.ref or ""
        return [
            Reply(
                text=f"您的申请已提交，受理编号：{ref}。发送 /status 查看办理进度。",
                buttons=[[g("status", "查看办理进度")]],
            )
        ]

    def accept(self, s, inp):
        """Anything typed after submission: the current progress (and the 好差评 while unrated),
        never a stale sentence."""
        return Stay([], intents=[Status()])


STEPS = (ReviewStep(), CommitmentStep(), SubmittedStep())
