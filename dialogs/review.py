"""The review page (check your answers), the commitment, and the submitted page."""

from __future__ import annotations

from dialogs import notice
from dialogs.fields import display_value
from dialogs.form import FIELDS, SECTIONS, SECTION_NOTES, Kind, applies
from dialogs.idnumbers import ID_TYPE_LABELS, IdType
from dialogs.materials import SLOTS, required_slots
from dialogs.model import Commitment, Reply, Resubmit, Session, Submit
from dialogs.steps import Again, BaseStep, Done, btn, nav, rows
from dialogs.masks import mask_account, mask_number
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


class ReviewStep(BaseStep):
    name = "review"

    def prompt(self, s, inp):
        text = "请核对您的申报信息（证件号码、手机号码、银行账号已部分隐藏）：\n" + answers_text(s)
        edits = [btn(self.name, "e:" + f.key, "改：" + f.label) for f in FIELDS
                 if applies(f, s.answers) and f.key not in ("sex", "birth_month", "archive_agency")]
        edits.append(btn(self.name, "e:m_doc", "改：材料1"))
        edits.append(btn(self.name, "e:m_entrusted", "改：材料2"))
        edits.append(btn(self.name, "e:m_id_front", "改：身份证人像面"))
        edits.append(btn(self.name, "e:m_id_back", "改：身份证国徽面"))
        return [Reply(text=text, buttons=[[btn(self.name, "ok", "✅ 信息无误，下一步")],
                                          *rows(edits, 3), *nav(self.name)])]

    def accept(self, s, inp):
        value = self.choice_value(inp) or ""
        if value == "ok":
            return Done()
        if value.startswith("e:"):
            key = value[2:]
            target = key if key.startswith("m_") else EDIT_TARGETS.get(key)
            if target:
                return Done(trigger="edit", kwargs={"target": target}, meta={"editing": True})
        return Again("请点击“信息无误，下一步”，或点击“改：…”修改某一项。")


class CommitmentStep(BaseStep):
    name = "commitment"

    def prompt(self, s, inp):
        return [Reply(text=("最后一步：请阅读并确认承诺。\n\n" + notice.COMMITMENT +
                            "\n\n点击“本人承诺并提交”即视为签字确认，确认时间和您的账号将被记录。"),
                      buttons=[[btn(self.name, "accept", "✍️ 本人承诺并提交")], *nav(self.name)])]

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
        return [Reply(text=f"您的申请已提交，受理编号：{ref}。发送 /status 查看办理进度。",
                      buttons=[[g("status", "查看办理进度")]])]

    def accept(self, s, inp):
        return Again("您的申请已提交。发送 /status 查看办理进度。")


STEPS = (ReviewStep(), CommitmentStep(), SubmittedStep())
