"""Staff and operator commands: packets, staff accounts, tickets, and `ask`."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

from bot.compose import Services
from dialogs.clock import local_day, local_text, utcnow
from dialogs.masks import mask_name, mask_number
from dialogs.reference import is_valid_reference
from dialogs.status import APPLICATION_STATUS, CASE_STATUS, DEPARTMENTS, deadline_text
from dispatch.channels import FolderChannel
from office import access, decisions, helpdesk, staff, window
from office.outcome import Result
from storage.uow import UnitOfWork

FLAG_WORDS = {
    "age_borderline": "年龄临界：已过女职工50周岁基准的退休时间、未到55周岁基准，需核实原退休年龄类别",
    "age_unverified": "证件号码未载明出生日期，年龄未核验",
    "sex_declared": "性别为申请人自报（证件号码未载明），需核对证件",
    "archive_unsure": "申请人不清楚档案存放情况，需核实",
}


class Refused(Exception):
    """The action was refused or found nothing: the message is printed and the command exits 1."""


def checked(result: Result) -> str:
    if not result.ok:
        raise Refused(result.message)
    return result.message


def flags_text(flags: dict | None) -> str:
    if not flags:
        return "无"
    words = [FLAG_WORDS[k] for k in FLAG_WORDS if flags.get(k)]
    if flags.get("retire_date"):
        d = datetime.fromisoformat(flags["retire_date"])
        words.append(f"法定退休时间：{d.year}年{d.month}月")
    words += [f"{k}：{v}" for k, v in flags.items() if k not in FLAG_WORDS and k != "retire_date"]
    return "；".join(words) or "无"


def operator(as_id: int | None) -> str:
    return f"tg:{as_id}" if as_id else f"cli:{getpass.getuser()}"


async def ask(services: Services, question: str) -> str:
    """The applicant's answer, word for word as in Telegram and the terminal, plus an operator line."""
    from dialogs.helpdesk import respond

    result = respond(services.faq, question.strip()[:500], local_day(utcnow()))
    if result.confident:
        return f"{result.text}\n\n（条目：{'、'.join(e.id for e in result.entries)}；置信分 {result.score:.2f}）"
    return (
        f"{result.text}\n\n（转人工客服，原因：{result.reason}"
        f"{f'（{result.topic}）' if result.topic else ''}；"
        f"最佳候选：{result.candidate.id if result.candidate else '无'}）"
    )


async def packets_list(services: Services, queue: str) -> str:
    async with UnitOfWork(services.sessionmaker) as uow:
        if queue == "window":
            apps = await uow.applications.by_status("submitted")
            rows = [
                f"{a.ref}  {mask_name(a.data['answers'].get('name'))}  提交于 {local_text(a.submitted_at)}"
                for a in apps
            ]
        else:
            cases = await uow.cases.of_department(queue)
            rows = [
                f"#{c.id}  {a.ref}  {mask_name(a.data['answers'].get('name'))}  "
                f"{CASE_STATUS.get(c.state, c.state)}  时限 {deadline_text(a.deadline, a.deadline_provisional)}"
                for c, a in cases
            ]
    return "\n".join(rows) or "（队列为空）"


async def packets_show(services: Services, ref: str) -> str:
    async with UnitOfWork(services.sessionmaker) as uow:
        app = await uow.applications.by_ref(ref)
        if app is None:
            raise Refused(f"未找到受理编号 {ref}")
        cases = await uow.cases.for_application(app.id)
        uow.audits.add(operator(None), "show", ref, True, {})
    answers = app.data.get("answers", {})
    lines = [
        f"受理编号：{app.ref}（版本 {app.version}）",
        f"状态：{APPLICATION_STATUS.get(app.status, app.status)}",
        f"申请人：{mask_name(answers.get('name'))}  证件号码：{mask_number(answers.get('id_number') or '')}",
        f"提交：{local_text(app.submitted_at)}  受理：{local_text(app.accepted_at) or '未受理'}（北京时间）",
        f"办结时限：{deadline_text(app.deadline, app.deadline_provisional)}",
        "材料："
        + "、".join(f"{m['title']}（{len(m['files'])}个文件）" for m in app.data.get("materials", {}).values()),
        "标记：" + flags_text(app.data.get("flags")),
    ]
    for c in cases:
        lines.append(
            f"  {DEPARTMENTS.get(c.department)} #{c.id}：{CASE_STATUS.get(c.state, c.state)}"
            + (f"（{c.note}）" if c.note else "")
        )
    return "\n".join(lines)


async def packets_find(services: Services, id_number: str, as_id: int) -> str:
    """The window's look-up by ID number, through the blind index; authorised and audited."""
    async with UnitOfWork(services.sessionmaker) as uow:
        if await staff.authorize(uow, as_id, "view", None, target=f"id:{mask_number(id_number.strip())}") is None:
            return "您没有查询申请的权限。"
        apps = await uow.applications.by_id_number(id_number)
    return (
        "\n".join(
            f"{a.ref}  {APPLICATION_STATUS.get(a.status, a.status)}  "
            f"{mask_name((a.data.get('answers') or {}).get('name'))}  提交于 {a.submitted_at:%Y-%m-%d}"
            for a in apps
        )
        or "没有该证件号码的申请。"
    )


async def packets_export(services: Services, ref: str, out: Path) -> str:
    async with UnitOfWork(services.sessionmaker) as uow:
        packet = await access.full_packet(uow, services.blobs, ref, operator(None))
    if packet is None:
        raise Refused(f"未找到受理编号 {ref}")
    receipt = await FolderChannel(out).send(packet.key, packet)
    target = FolderChannel(out).target(packet)
    return f"已导出到 {target}：" + "、".join(sorted(packet.files)) + f"（{receipt}）"


async def window_action(
    services: Services,
    action: str,
    ref: str,
    as_id: int | None,
    reason: str = "",
    fields: list[str] = (),
    materials: list[str] = (),
) -> str:
    async with UnitOfWork(services.sessionmaker) as uow:  # the refusal's audit row commits first
        if as_id is not None and await staff.authorize(uow, as_id, action, None, target=ref) is None:
            result = Result(False, "forbidden", "该账号没有窗口受理权限（已记录审计）。")
        elif action == "accept":
            result = await window.accept(uow, ref, operator(as_id), utcnow(), services.calendar)
        elif action == "return":
            result = await window.return_for_correction(uow, ref, operator(as_id), reason, fields, materials)
        else:
            result = await window.refuse(uow, ref, operator(as_id), reason)
    return checked(result)


async def withdraw(services: Services, ref: str, as_id: int, reason: str) -> str:
    """The applicant asked (at the window, in writing) to withdraw: open cases stop, unsent packets are
    cancelled, the applicant is told. Window staff or an admin only; the attempt is audited either way."""
    ref = ref.strip().upper()
    if not is_valid_reference(ref):
        raise Refused(f"受理编号格式不正确：{ref}（应为 LJyymmdd-nnnnnnc）")
    if not reason.strip():
        raise Refused("请填写撤回原因（--reason）。")
    async with UnitOfWork(services.sessionmaker) as uow:  # the refusal's audit row commits first
        if await staff.authorize(uow, as_id, "withdraw", None, target=ref) is None:
            result = Result(False, "forbidden", "该账号没有撤回申请的权限（已记录审计）。")
        else:
            result = await decisions.withdraw(uow, ref, operator(as_id), utcnow(), reason.strip())
    return checked(result)


async def decide(
    services: Services,
    ref: str,
    dept: str,
    as_id: int,
    action: str,
    *,
    note: str = "",
    reason: str = "",
    fields: list[str] = (),
    materials: list[str] = (),
) -> str:
    async with UnitOfWork(services.sessionmaker) as uow:
        case = await decisions.case_of(uow, ref, dept)
        if case is None:
            raise Refused(f"未找到 {ref} 的{DEPARTMENTS.get(dept, dept)}件。")
        result = await decisions.decide(
            uow,
            case.id,
            action,
            staff.Actor.staff(as_id),
            utcnow(),
            note=note,
            reason=reason,
            fields=fields,
            materials=materials,
        )
    return checked(result)


async def staff_command(
    services: Services,
    action: str,
    telegram_id: int | None = None,
    name: str = "",
    role: str = "",
    dept: str | None = None,
) -> str:
    async with UnitOfWork(services.sessionmaker) as uow:
        if action == "add":
            if role == "clerk" and not dept:
                raise Refused("经办人员（clerk）须指定所属部门：--dept " + "|".join(DEPARTMENTS))
            row = await staff.add_staff(uow, telegram_id, name, role, dept, actor=operator(None))
            return f"已添加：{row.name}（{row.role}{'/' + row.department if row.department else ''}）"
        if action == "remove":
            ok = await staff.remove_staff(uow, telegram_id, actor=operator(None))
        else:
            ok, rows = True, await staff.list_staff(uow, include_inactive=True)
    if action == "remove":
        if not ok:
            raise Refused("未找到该账号或已停用。")
        return "已停用。"
    return (
        "\n".join(
            f"{r.telegram_id}  {r.name}  {r.role}{'/' + r.department if r.department else ''}"
            f"{'' if r.active else '  (停用)'}"
            for r in rows
        )
        or "（无）"
    )


async def tickets_command(
    services: Services, action: str, ticket_id: int | None = None, as_id: int | None = None, text: str = ""
) -> str:
    async with UnitOfWork(services.sessionmaker) as uow:
        if action == "list":
            rows = await uow.tickets.unclosed()
            return (
                "\n".join(
                    f"#{t.id} [{t.status}] {helpdesk.step_label(t.context.get('step') or '')}：{t.question}"
                    for t in rows
                )
                or "（没有待处理的工单）"
            )
        if action == "answer":
            result = await helpdesk.answer_ticket(uow, ticket_id, as_id, text, utcnow())
        else:
            result = await helpdesk.close_ticket(uow, ticket_id, as_id, utcnow())
    return checked(result)
