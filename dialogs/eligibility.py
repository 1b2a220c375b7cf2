"""The notice acknowledgement and the eligibility check, one question at a time."""

from __future__ import annotations

from datetime import date

from dialogs import notice
from dialogs.errors import InputError
from dialogs.idnumbers import ID_TYPE_LABELS, IdType, check_id
from dialogs.masks import mask_number
from dialogs.model import Event, Reply, Session
from dialogs.retirement import check_working_age
from dialogs.steps import Again, BaseStep, Done, btn, nav, rows, typed_choice
from dialogs.texts import g

ARCHIVE_OPTIONS = (("yes", "是"), ("no", "否"), ("unsure", "不清楚"))
NONE_OF_THEM = "none"


class NoticeAck(BaseStep):
    name = "notice_ack"

    def prompt(self, s, inp):
        text = (
            f"申请前请先阅读{notice.SERVICE_NAME}一次性告知（办事指南）：办理条件、办理情形、"
            f"办理时限（{notice.TIME_LIMIT_DAYS}个工作日）、申报材料等。\n\n"
            "阅读后请点击“我已阅读并知晓”。"
        )
        return [
            Reply(
                text=text,
                buttons=[
                    [btn(self.name, "ack", "✅ 我已阅读并知晓")],
                    [g("notice", "📖 查看办事指南")],
                    *nav(self.name),
                ],
            )
        ]

    def accept(self, s, inp):
        if self.choice_value(inp) == "ack":
            return Done(
                values={},
                intents=[
                    Event(
                        name="notice_acknowledged",
                        data={"notice_version": notice.NOTICE_VERSION, "at": inp.now.isoformat()},
                    )
                ],
                meta={"notice_version": notice.NOTICE_VERSION, "notice_ack_at": inp.now.isoformat()},
            )
        return Again("请点击“我已阅读并知晓”按钮继续，或点击“查看办事指南”阅读告知内容。")


class IdTypeStep(BaseStep):
    name = "id_type"
    expects_choice = staticmethod(lambda s: True)

    def prompt(self, s, inp):
        buttons = [btn(self.name, t.value, ID_TYPE_LABELS[t]) for t in IdType]
        return [Reply(text="资格核验 1/4：请选择您的证件类型。", buttons=[*rows(buttons, 1), *nav(self.name)])]

    def accept(self, s, inp):
        value = self.choice_value(inp)
        typed = inp.text.strip() if inp.kind == "text" else ""
        for t in IdType:
            if value == t.value or (typed and typed == ID_TYPE_LABELS[t]):
                return Done(values={"id_type": t.value})
        return Again("请点击下方按钮选择证件类型。")


class IdNumberStep(BaseStep):
    name = "id_number"

    def prompt(self, s, inp):
        label = ID_TYPE_LABELS[IdType(s.answers.get("id_type", IdType.RESIDENT))]
        example = "例如：11010519491231002X" if s.answers.get("id_type") != IdType.FOREIGN_PR else ""
        return [
            Reply(
                text=f"资格核验 2/4：请输入您的{label}号码。{example}\n"
                "（出生日期和性别将从证件号码中读取，无需另行填写。）",
                buttons=nav(self.name),
            )
        ]

    def accept(self, s, inp):
        if inp.kind != "text":
            return Again("请直接输入证件号码文字。")
        try:
            info = check_id(IdType(s.answers.get("id_type", IdType.RESIDENT)), inp.text, inp.today)
        except InputError as e:
            return Again(e.message)
        if info.converted_from_15:
            return Done(values={}, meta={"pending_id": info.number})
        return id_accepted(s, info, inp.today)


class IdConfirmStep(BaseStep):
    """A legacy 15-digit number is converted; the applicant confirms the 18-digit number."""

    name = "id_confirm"

    def applies(self, s):
        return bool(s.meta.pending_id)

    def prompt(self, s, inp):
        number = s.meta.pending_id or ""
        return [
            Reply(
                text=(
                    f"您输入的是15位旧身份证号码，已按国家标准转换为18位：\n{number}\n\n"
                    "第一代身份证已于2013年1月1日停止使用，请核对您现用身份证上的号码是否与此一致。"
                ),
                buttons=[
                    [btn(self.name, "yes", "一致，继续"), btn(self.name, "no", "不一致，重新输入")],
                    *nav(self.name),
                ],
            )
        ]

    def accept(self, s, inp):
        value = self.choice_value(inp)
        if value == "yes":
            info = check_id(IdType.RESIDENT, s.meta.pending_id or "", inp.today)
            result = id_accepted(s, info, inp.today)
            if isinstance(result, Done):
                result.meta["pending_id"] = None
            return result
        if value == "no":
            return Done(values={}, trigger="back", meta={"pending_id": None})
        return Again("请点击“一致，继续”或“不一致，重新输入”。")


def id_accepted(s: Session, info, today: date) -> Done:
    values = {
        "id_number": info.number,
        "sex": info.sex,
        "birth": info.birth.isoformat() if info.birth else None,
        "birth_month": info.birth.strftime("%Y-%m") if info.birth else None,
    }
    meta: dict = {
        "age_borderline": False,
        "age_unverified": info.birth is None,
        "pending_id": None,
        "sex_declared": None,
    }
    notes = [
        Reply(
            text=f"证件号码 {mask_number(info.number)} 核验通过。"
            + (f"性别：{info.sex}，出生日期：{info.birth:%Y年%m月%d日}。" if info.birth and info.sex else "")
        )
    ]
    if info.birth is not None:
        age = check_working_age(info.birth, info.sex, today)
        if not age.ok:
            meta["failed_at"] = "id_number"
            meta["fail_reason"] = age.reason
            meta["retire_date"] = age.retire_date.isoformat() if age.retire_date else None
            meta["retire_delayed"] = age.delayed
            return Done(values=values, trigger="refuse", meta=meta)
        meta["age_borderline"] = age.borderline
        meta["retire_date"] = age.retire_date.isoformat() if age.retire_date else None
    return Done(values=values, notes=notes, meta=meta)


class IdSexStep(BaseStep):
    expects_choice = staticmethod(lambda s: True)
    """表2 requires 性别; a number that does not encode it (外国人永久居留身份证) makes us ask."""

    name = "id_sex"

    def applies(self, s):
        return bool(s.answers.get("id_number")) and not s.answers.get("sex")

    def prompt(self, s, inp):
        return [
            Reply(
                text="资格核验：您的证件号码中不含性别信息，请选择您的性别（表单必填项，将与证件核对）。",
                buttons=[[btn(self.name, "男", "男"), btn(self.name, "女", "女")], *nav(self.name)],
            )
        ]

    def accept(self, s, inp):
        value = self.choice_value(inp) or (inp.text.strip() if inp.kind == "text" else "")
        if value not in ("男", "女"):
            return Again("请点击“男”或“女”。")
        meta: dict = {"sex_declared": True}
        birth = s.answers.get("birth")
        if birth:
            age = check_working_age(date.fromisoformat(birth), value, inp.today)
            meta["retire_date"] = age.retire_date.isoformat() if age.retire_date else None
            if not age.ok:
                meta |= {"failed_at": self.name, "fail_reason": age.reason, "retire_delayed": age.delayed}
                return Done(values={"sex": value}, trigger="refuse", meta=meta)
            meta["age_borderline"] = age.borderline
        return Done(values={"sex": value}, meta=meta)


class ArchiveStep(BaseStep):
    name = "archive"
    expects_choice = staticmethod(lambda s: True)

    def prompt(self, s, inp):
        return [
            Reply(
                text=(
                    "资格核验 3/4：您的人事档案是否存放在河北省内各级公共就业和人才服务机构"
                    "（如市、县人才交流中心、就业服务中心等公共档案管理服务机构）？\n"
                    "说明：办理条件要求“" + notice.CONDITION_ARCHIVE + "”。"
                    "档案由原单位保管或存放在外省的，请选“否”；不确定请选“不清楚”。"
                ),
                buttons=[[btn(self.name, c, label) for c, label in ARCHIVE_OPTIONS], *nav(self.name)],
            )
        ]

    def accept(self, s, inp):
        value = self.choice_value(inp) or {v: c for c, v in ARCHIVE_OPTIONS}.get(inp.text.strip())
        if value == "no":
            return Done(
                values={"archive": "no"}, trigger="refuse", meta={"failed_at": "archive", "fail_reason": "archive"}
            )
        if value in ("yes", "unsure"):
            return Done(values={"archive": value})
        return Again("请点击“是”“否”或“不清楚”。")


class SituationStep(BaseStep):
    name = "situation"
    expects_choice = staticmethod(lambda s: True)

    def prompt(self, s, inp):
        buttons = [btn(self.name, c, label) for c, label in notice.SITUATIONS]
        buttons.append(btn(self.name, NONE_OF_THEM, "以上都不是"))
        return [Reply(text="资格核验 4/4：请选择符合您情况的办理情形。", buttons=[*rows(buttons, 1), *nav(self.name)])]

    def accept(self, s, inp):
        value = self.choice_value(inp) or (
            typed_choice(inp.text, list(notice.SITUATIONS)) if inp.kind == "text" else None
        )
        if value == NONE_OF_THEM:
            return Done(
                values={"situation": NONE_OF_THEM},
                trigger="refuse",
                meta={"failed_at": "situation", "fail_reason": "situation"},
            )
        if value in dict(notice.SITUATIONS):
            return Done(values={"situation": value})
        return Again("请点击下方按钮选择办理情形。")


class EligibleStep(BaseStep):
    name = "eligible"

    def prompt(self, s, inp):
        lines = ["✅ 资格核验通过：您符合灵活就业“一件事一次办”的办理条件。"]
        if s.meta.age_borderline:
            lines.append(
                "提示：女职工的退休年龄与原退休年龄类别（50周岁或55周岁）有关，"
                "您的年龄处在两者之间，提交后由经办部门核实确认。"
            )
        if s.meta.age_unverified:
            lines.append("提示：您的证件号码不含出生日期，年龄条件将由经办部门核实。")
        if s.answers.get("archive") == "unsure":
            lines.append("提示：您不清楚档案存放情况，窗口受理时将核实；也可先向原单位或存档机构确认。")
        lines.append("\n接下来请逐项填写申报表单（带*为必填项，其余可跳过）。")
        return [Reply(text="\n".join(lines), buttons=[[btn(self.name, "go", "开始填写申报表单")], *nav(self.name)])]

    def accept(self, s, inp):
        if self.choice_value(inp) == "go":
            return Done()
        return Again("请点击“开始填写申报表单”继续。")


FAIL_TEXT = {
    "too_young": "您未满16周岁，不符合办理条件第1条：“" + notice.CONDITION_AGE + "”。",
    "retired": "您已达到法定退休年龄，不符合办理条件第1条：“" + notice.CONDITION_AGE + "”。",
    "archive": "您的人事档案不在省内公共档案管理服务机构，不符合办理条件第2条：“" + notice.CONDITION_ARCHIVE + "”。",
    "situation": "您不属于办理情形（无雇工的个体工商户、未在用人单位参加基本养老保险的非全日制就业人员、"
    "新就业形态就业人员以及在我省的其他灵活就业人员）。",
}
# Each follows "您可以：", so each starts with what the applicant can do.
INSTEAD = {
    "too_young": "在年满16周岁后再申请。",
    "retired": "咨询人工客服，或前往人社服务大厅核实退休年龄。",
    "archive": "先将档案转入省内公共就业和人才服务机构存档，再申请；或前往市县政务服务中心、"
    "人社服务大厅“一件事一次办”窗口咨询。",
    "situation": "咨询人工客服或前往窗口；如在用人单位就业，由用人单位办理参保。",
}


class IneligibleStep(BaseStep):
    name = "ineligible"

    def prompt(self, s, inp):
        reason = s.meta.fail_reason or "situation"
        text = f"❌ 暂不能申请：{FAIL_TEXT.get(reason, '')}"
        if reason == "retired" and s.meta.retire_date:
            retire = date.fromisoformat(s.meta.retire_date)
            rule = "按渐进式延迟法定退休年龄规定，" if s.meta.retire_delayed else ""
            text += f"\n（{rule}您的法定退休时间为{retire.year}年{retire.month}月。）"
        text += "\n\n您可以：" + INSTEAD.get(reason, "")
        return [
            Reply(
                text=text,
                buttons=[
                    [btn(self.name, "back", "↩ 返回修改"), g("ask", "💬 咨询人工客服")],
                    [g("notice", "📖 查看办事指南")],
                ],
            )
        ]

    def accept(self, s, inp):
        return Again("如需修改信息，请点击“返回修改”。")


STEPS = (
    NoticeAck(),
    IdTypeStep(),
    IdNumberStep(),
    IdConfirmStep(),
    IdSexStep(),
    ArchiveStep(),
    SituationStep(),
    EligibleStep(),
    IneligibleStep(),
)
