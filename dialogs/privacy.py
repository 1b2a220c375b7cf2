"""Separate consent to sensitive personal information (PIPL Art. 29–30), /mydata and /delete texts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from dialogs import departments
from dialogs.model import Event, Reply, Session
from dialogs.steps import Again, BaseStep, Done, btn, nav
from dialogs.texts import g

WINDOW = "各级政务服务中心、人社服务大厅的“一件事一次办”窗口"


@dataclass(frozen=True)
class Retention:
    """How long personal data is kept (days): operator settings, stated to the applicant."""

    draft_days: int = 30
    case_days: int = 365 * 3


def consent_text(retention: Retention) -> str:
    depts = "、".join(d.name for d in departments.DEPARTMENTS)
    return (
        "【个人信息处理单独同意】\n"
        "办理本事项需要处理您的敏感个人信息：身份证件号码及证件照片、户口簿信息、银行账号、手机号码等。\n\n"
        "处理目的：仅用于灵活就业“一件事一次办”的就业登记、社会保险登记和参保缴费，依法核验您的身份和办理条件。\n"
        f"提供给：{depts}，各部门只接收本部门办理所需的部分。\n"
        f"保存期限：未提交的申请草稿在最后一次操作后保存{retention.draft_days}天（删除前提前提醒）；"
        f"已提交的申请属于政务档案，在办结后保存{retention.case_days}天，期满后删除个人信息和材料，"
        "仅保留受理编号、日期、办理结果等不含个人信息的记录。\n"
        "保护措施：数据加密存储，工作人员按职责查看，所有操作留痕。\n"
        "对您的影响：不同意将无法在线办理，但不影响您到线下窗口办理。\n"
        "您可随时发送 /mydata 查看我们保存的信息，发送 /delete 删除未提交的草稿。\n\n"
        "是否同意按上述方式处理您的敏感个人信息？"
    )


CONSENT_VERSION = hashlib.sha256(consent_text(Retention()).encode()).hexdigest()[:12]


class ConsentStep(BaseStep):
    """After the notice and before any personal data is asked."""

    name = "consent"

    def __init__(self, retention: Retention | None = None) -> None:
        self.retention = retention or Retention()
        self.version = hashlib.sha256(consent_text(self.retention).encode()).hexdigest()[:12]

    def prompt(self, s, inp):
        return [
            Reply(
                text=consent_text(self.retention),
                buttons=[[btn(self.name, "agree", "✅ 同意")], [btn(self.name, "refuse", "不同意")], *nav(self.name)],
            )
        ]

    def accept(self, s, inp):
        value = self.choice_value(inp)
        if value == "agree":
            at = inp.now.isoformat()
            return Done(
                values={},
                intents=[
                    Event(
                        name="consent_given",
                        data={"consent_version": self.version, "notice_version": s.meta.notice_version, "at": at},
                    )
                ],
                meta={"consent_version": self.version, "consent_at": at},
            )
        if value == "refuse":
            return Done(
                values={},
                trigger="restart",
                intents=[
                    Event(name="consent_refused", data={"consent_version": self.version, "at": inp.now.isoformat()})
                ],
                notes=[
                    Reply(
                        text=(
                            "您未同意处理敏感个人信息，我们不会收集您的任何个人信息。\n"
                            f"您可以携带申报材料到{WINDOW}线下办理（线下窗口办理）。如改变主意，发送 /apply 重新开始。"
                        )
                    )
                ],
            )
        return Again("请点击“同意”或“不同意”。")


def delete_prompt(has_draft: bool) -> Reply:
    if not has_draft:
        return Reply(text="您当前没有未提交的申请草稿。" + SUBMITTED_NOTE)
    return Reply(
        text="确定删除您未提交的申请草稿吗？已填写的信息和上传的材料将立即删除，且无法恢复。",
        buttons=[[g("delete_yes", "确定删除"), g("delete_no", "取消")]],
    )


SUBMITTED_NOTE = (
    "\n已提交的申请属于政务档案，申请人不能自行删除；"
    "办结后按规定期限保存，期满后删除个人信息和材料。发送 /mydata 查看保存期限。"
)


def draft_lines(s: Session, masked) -> list[str]:
    """What the draft holds, masked as on the review page."""
    lines = [f"  {label}：{masked(key, s)}" for key, label in MYDATA_FIELDS if s.answers.get(key)]
    files = sum(len(v) for v in s.materials.values())
    if files:
        lines.append(f"  已上传材料：{files} 个文件（加密保存）")
    return lines


MYDATA_FIELDS = (
    ("name", "姓名"),
    ("id_number", "证件号码"),
    ("phone", "手机号码"),
    ("bank_account", "银行账号"),
    ("home_address", "居住地址"),
    ("hukou_address", "户籍地址"),
)
