"""What the applicant is told about a submitted application: confirmation and status texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from dialogs import departments
from dialogs.callbacks import GlobalCb
from dialogs.model import Button, Reply
from dialogs.notice import TIME_LIMIT_DAYS
from dialogs.rating import prompt_buttons

DEPARTMENTS = departments.NAMES  # derived from the registry: {"hrss": "人社", ...}
DEPARTMENT_TASKS = departments.TASKS
APPLICATION_STATUS = {
    "submitted": "已提交，等待“一件事一次办”窗口受理",
    "returned": "窗口退回补正，请按要求修改后重新提交",
    "refused": "窗口不予受理",
    "accepted": f"窗口已受理，{departments.JOINED}部门并联办理中",
    "completed": "已办结",
    "partly_rejected": "已办结（部分事项不予办理）",
    "withdrawn": "已撤回",
}
CASE_STATUS = {
    "pending": "等待推送",
    "delivered": "已推送，等待经办人员处理",
    "claimed": "经办人员办理中",
    "done": "已办结",
    "correction": "需要补正材料或信息",
    "resubmitted": "已补正，等待审核",
    "rejected": "不予办理",
}


@dataclass
class CaseView:
    department: str
    state: str
    note: str | None = None


@dataclass
class ApplicationView:
    ref: str
    status: str
    deadline: date | None
    provisional: bool
    accepted: bool
    workdays_left: int | None = None
    note: str | None = None
    cases: list[CaseView] = field(default_factory=list)
    unrated: bool = False  # finished and not yet rated: the 好差评 stays on offer


def deadline_text(deadline: date | None, provisional: bool) -> str:
    if deadline is None:
        return "受理后确定"
    text = f"{deadline:%Y年%m月%d日}"
    if provisional:
        text = "预计" + text + "（节假日安排公布后更新）"
    return text


def confirmation(ref: str, expected: date, provisional: bool) -> Reply:
    lines = [
        "✅ 提交成功！",
        f"受理编号：{ref}",
        f"办理时限：{TIME_LIMIT_DAYS}个工作日，自窗口受理的次日起计算（不含法定节假日）。",
        f"如今日受理，预计办结日期：{deadline_text(expected, provisional)}。",
        "",
        "接下来：",
        "1.“一件事一次办”窗口审核您提交的申报表单和材料，符合条件的予以受理，并推送至有关部门；",
        *(f"{i}.{DEPARTMENTS[d]}部门：办理{DEPARTMENT_TASKS[d]}；" for i, d in enumerate(DEPARTMENTS, 2)),
        "各部门并联办理，每一步的结果都会通知您。",
        "",
        "发送 /status 可随时查看办理进度。",
    ]
    return Reply(text="\n".join(lines), buttons=[[Button(label="查看办理进度", data=GlobalCb("status").pack())]])


def status(view: ApplicationView) -> Reply:
    state = APPLICATION_STATUS.get(view.status, view.status)
    if view.status == "partly_rejected" and view.cases and all(c.state == "rejected" for c in view.cases):
        state = "已办结（各事项均不予办理）"
    lines = [f"受理编号：{view.ref}", f"状态：{state}"]
    if view.note:
        lines.append(f"说明：{view.note}")
    if view.accepted:
        lines.append(f"办结时限：{deadline_text(view.deadline, view.provisional)}")
        if view.workdays_left is not None and view.status == "accepted":
            lines.append(
                f"剩余{view.workdays_left}个工作日"
                if view.workdays_left >= 0
                else f"已超期{-view.workdays_left}个工作日"
            )
    elif view.deadline:
        lines.append(f"如今日受理，预计办结日期：{deadline_text(view.deadline, view.provisional)}")
    if view.cases:
        lines.append("")
        for case in view.cases:
            line = (
                f"{DEPARTMENTS.get(case.department, case.department)}（{DEPARTMENT_TASKS.get(case.department, '')}）："
                f"{CASE_STATUS.get(case.state, case.state)}"
            )
            if case.note:
                line += f"\n  说明：{case.note}"
            lines.append(line)
    if view.unrated:
        lines.append("\n请您对本次服务进行评价（好差评）：")
        return Reply(text="\n".join(lines), buttons=prompt_buttons(view.ref))
    return Reply(text="\n".join(lines))
