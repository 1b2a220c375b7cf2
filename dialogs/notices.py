"""Notification bodies (the contract with the bot's sender) and their Chinese texts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from dialogs import departments
from dialogs.callbacks import CaseCb, CorrectionCb, GlobalCb, RatingCb, WindowCb
from dialogs.form import BY_KEY
from dialogs.masks import mask_name
from dialogs.materials import SLOTS
from dialogs.rating import SCORES
from dialogs.redact import redact
from dialogs.status import DEPARTMENT_TASKS, DEPARTMENTS, deadline_text


def body(
    kind: str,
    text: str,
    buttons: Sequence[Sequence[tuple[str, str]]] = (),
    *,
    ref: str | None = None,
    protect: bool = False,
) -> dict[str, Any]:
    """{"kind", "text", "buttons": [[{"label", "data"}]], "ref", "protect_content"}. Every text
    passes the masking module: staff chats never see a full number, and what staff write to an
    applicant (reasons, answers) never echoes one back in full."""
    return {
        "kind": kind,
        "text": redact(text),
        "ref": ref,
        "protect_content": protect,
        "buttons": [[{"label": label, "data": data} for label, data in row] for row in buttons],
    }


def dept_name(dept: str) -> str:
    return DEPARTMENTS.get(dept, dept) + "部门"


def _deadline(deadline: date | str | None, provisional: bool = False) -> str:
    if isinstance(deadline, str):
        deadline = date.fromisoformat(deadline)
    return deadline_text(deadline, provisional)


def labels(fields: Iterable[str] = (), materials: Iterable[str] = ()) -> list[str]:
    lines = []
    if names := [BY_KEY[k].label for k in fields if k in BY_KEY]:
        lines.append("需要修改：" + "、".join(names))
    if titles := [SLOTS[k].title for k in materials if k in SLOTS]:
        lines.append("需要重新上传：" + "、".join(titles))
    return lines


# --- to the applicant -------------------------------------------------------------------


def accepted(ref: str, deadline: date, provisional: bool) -> dict[str, Any]:
    text = (
        f"您的申请（受理编号：{ref}）已由“一件事一次办”窗口受理，已推送至{departments.JOINED}部门并联办理。\n"
        f"办结时限：{deadline_text(deadline, provisional)}（15个工作日，自受理次日起计算，不含法定节假日）。\n"
        "每一步的结果都会通知您，发送 /status 可随时查看办理进度。"
    )
    return body("applicant.accepted", text, [[("查看办理进度", GlobalCb("status").pack())]], ref=ref)


def returned(ref: str, reason: str, fields: Sequence[str], materials: Sequence[str]) -> dict[str, Any]:
    text = "\n".join(
        [
            f"您的申请（受理编号：{ref}）需要补正后重新提交。",
            f"原因：{reason}",
            *labels(fields, materials),
            "请点击下方按钮修改后重新提交。",
        ]
    )
    return body("applicant.returned", text, [[("去修改", CorrectionCb("window", ref).pack())]], ref=ref)


def refused(ref: str, reason: str) -> dict[str, Any]:
    text = f"很抱歉，您的申请（受理编号：{ref}）不予受理。\n原因：{reason}\n如有疑问，发送 /help 咨询。"
    return body("applicant.refused", text, ref=ref)


def claimed(ref: str, dept: str) -> dict[str, Any]:
    return body("applicant.claimed", f"{dept_name(dept)}经办人员已开始办理您的申请（受理编号：{ref}）。", ref=ref)


def done(ref: str, dept: str, note: str | None) -> dict[str, Any]:
    text = f"{dept_name(dept)}已办结：{DEPARTMENT_TASKS.get(dept, '')}。（受理编号：{ref}）"
    if note:
        text += f"\n办理结果：{note}"
    return body("applicant.done", text, ref=ref)


def correction(ref: str, dept: str, reason: str, fields: Sequence[str], materials: Sequence[str]) -> dict[str, Any]:
    text = "\n".join(
        [
            f"{dept_name(dept)}需要您补正（受理编号：{ref}）：",
            f"原因：{reason}",
            *labels(fields, materials),
            "其他部门的办理不受影响。请点击下方按钮补正。",
        ]
    )
    return body("applicant.correction", text, [[("去补正", CorrectionCb(dept, ref).pack())]], ref=ref)


def rejected(ref: str, dept: str, reason: str) -> dict[str, Any]:
    text = f"{dept_name(dept)}对以下事项不予办理：{DEPARTMENT_TASKS.get(dept, '')}。（受理编号：{ref}）\n原因：{reason}"
    return body("applicant.rejected", text, ref=ref)


def resubmitted(ref: str, dept: str) -> dict[str, Any]:
    return body(
        "applicant.resubmitted", f"已收到您补正的内容，已重新推送至{dept_name(dept)}审核（受理编号：{ref}）。", ref=ref
    )


def withdrawn(ref: str) -> dict[str, Any]:
    return body("applicant.withdrawn", f"您的申请（受理编号：{ref}）已撤回。", ref=ref)


def result(ref: str, status: str, cases: Sequence[tuple[str, str, str | None]]) -> dict[str, Any]:
    """The final result, asking for a rating (好差评); `cases` are (dept, state, note or reason)."""
    done = sum(state == "done" for _, state, _ in cases)
    head = f"您的灵活就业“一件事一次办”申请（受理编号：{ref}）" + (
        "已全部办结。"
        if status == "completed"
        else "已办结，其中部分事项不予办理。"
        if done
        else "已办结，各事项均不予办理。"
    )
    lines = [head]
    for dept, state, note in cases:
        word = "已办结" if state == "done" else "不予办理"
        lines.append(f"{dept_name(dept)}：{word}" + (f"（{note}）" if note else ""))
    lines.append("\n请您对本次服务进行评价（好差评）：")
    buttons = [
        *([(label, RatingCb(score, ref).pack())] for score, label in SCORES.items()),
        [("暂不评价", GlobalCb("no_rating").pack())],
    ]
    return body(f"applicant.{status}", "\n".join(lines), buttons, ref=ref)


# --- to staff chats (no personal information beyond a masked name) ------------------------


def case_notice(packet: Any) -> dict[str, Any]:
    """Only the reference, the masked name, the deadline and the buttons' data."""
    meta, case = packet.meta, packet.meta.get("case_id")
    text = "\n".join(
        [
            ("🔁 补正后重新推送的待办件" if packet.version > 1 else "📥 新的待办件"),
            f"受理编号：{packet.ref}",
            f"申请人：{mask_name(meta.get('name'))}",
            f"办结时限：{_deadline(meta.get('deadline'), bool(meta.get('deadline_provisional')))}",
        ]
    )
    k = lambda action: CaseCb(action, case).pack()  # noqa: E731
    buttons = [
        [("认领", k("claim")), ("查看材料", k("open"))],
        [("办结", k("done")), ("要求补正", k("correct")), ("不予办理", k("reject"))],
    ]
    return body("staff.case", text, buttons, ref=packet.ref, protect=True)


def window_notice(ref: str, name: str | None) -> dict[str, Any]:
    text = f"📝 新的申请待受理\n受理编号：{ref}\n申请人：{mask_name(name)}"
    w = lambda action: WindowCb(action, ref).pack()  # noqa: E731
    buttons = [[("受理", w("accept")), ("查看", w("open"))], [("退回补正", w("return")), ("不予受理", w("refuse"))]]
    return body("staff.window", text, buttons, ref=ref, protect=True)


def reminder(ref: str, dept: str, case_id: int, deadline: date, left: int) -> dict[str, Any]:
    text = f"⏰ 办理提醒\n受理编号：{ref}（{dept_name(dept)}）\n办结时限：{_deadline(deadline)}，剩余{left}个工作日。"
    return body("staff.reminder", text, [[("查看材料", CaseCb("open", case_id).pack())]], ref=ref, protect=True)


def escalation(ref: str, dept: str, deadline: date, overdue: int, state: str) -> dict[str, Any]:
    text = (
        f"🚨 超期预警\n受理编号：{ref}\n{dept_name(dept)}已超期{overdue}个工作日"
        f"（时限：{_deadline(deadline)}），当前状态：{state}。"
    )
    return body("admin.overdue", text, ref=ref, protect=True)


def dead_letter(ref: str, dept: str, attempts: int, error: str) -> dict[str, Any]:
    text = (
        f"🚨 推送失败\n受理编号：{ref}\n推送至{dept_name(dept)}已失败{attempts}次，已停止重试，请人工处理。\n"
        f"最后错误：{error[:200]}"
    )
    return body("admin.dead_letter", text, ref=ref, protect=True)
