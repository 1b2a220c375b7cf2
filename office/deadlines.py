"""Deadline watch: remind a department near its deadline, escalate to the admin chat when overdue."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dialogs import notices
from dialogs.clock import local_day, utc
from dialogs.notice import TIME_LIMIT_DAYS
from dialogs.status import CASE_STATUS
from dialogs.workdays import WorkCalendar
from dispatch.config import DispatchConfig
from states.application import CASE_OPEN
from storage.uow import UnitOfWork


async def reminders(
    uow: UnitOfWork,
    now: datetime,
    calendar: WorkCalendar,
    reminder_days: int,
    *,
    chats: Mapping[str, int | None],
    admin_chat: int | None,
) -> dict[str, int]:
    """Once per case: a reminder when working days left <= reminder_days; an escalation when overdue."""
    now = utc(now)
    today = local_day(now)
    counts = {"reminded": 0, "escalated": 0}
    for case, app in await uow.cases.open_of_accepted(sorted(CASE_OPEN)):
        if app.deadline is None:
            continue
        left = calendar.workdays_between(today, app.deadline)
        if left <= reminder_days and case.reminded_at is None and chats.get(case.department):
            body = notices.reminder(app.ref, case.department, case.id, app.deadline, max(left, 0))
            await uow.notifications.to_chat(chats[case.department], body, dedup_key=f"remind:{case.id}")
            case.reminded_at = now
            counts["reminded"] += 1
            uow.events.add(
                "case_reminded", "deadline", {"department": case.department, "left": left}, application_id=app.id
            )
        if left < 0 and case.escalated_at is None and admin_chat:
            body = notices.escalation(
                app.ref, case.department, app.deadline, -left, CASE_STATUS.get(case.state, case.state)
            )
            await uow.notifications.to_chat(admin_chat, body, dedup_key=f"overdue:{case.id}")
            case.escalated_at = now
            counts["escalated"] += 1
            uow.events.add(
                "case_escalated", "deadline", {"department": case.department, "overdue": -left}, application_id=app.id
            )
    await uow.flush()
    return counts


async def confirm_provisional(uow: UnitOfWork, calendar: WorkCalendar) -> int:
    """Deadlines marked 预计 (a year without a published holiday schedule) are recomputed once the
    calendar covers them; the applicant is told the confirmed date."""
    rows = await uow.applications.provisionally_due()
    fixed = 0
    for app in rows:
        due = calendar.add_workdays(local_day(app.accepted_at), TIME_LIMIT_DAYS)
        if due.provisional:
            continue
        old, app.deadline, app.deadline_provisional = app.deadline, due.due, False
        uow.events.add(
            "deadline_confirmed",
            "calendar",
            {"old": old.isoformat() if old else None, "new": due.due.isoformat()},
            application_id=app.id,
        )
        await uow.notifications.to_applicant(
            app,
            notices.body(
                "applicant.deadline",
                f"节假日安排已公布：您的申请（受理编号：{app.ref}）办结时限确定为{due.due:%Y年%m月%d日}。",
                ref=app.ref,
            ),
            dedup_key=f"deadline:{app.ref}:{due.due}",
        )
        fixed += 1
    await uow.flush()
    return fixed


async def watch(sessionmaker, config: DispatchConfig, now: datetime, calendar: WorkCalendar) -> dict[str, int]:
    """One pass of the deadline watch with the dispatch config's chats (the worker runs it periodically)."""
    chats = {d: c.chat_id for d, c in config.departments.items()}
    async with UnitOfWork(sessionmaker) as uow:
        counts = await reminders(uow, now, calendar, config.reminder_days, chats=chats, admin_chat=config.admin_chat_id)
        counts["confirmed"] = await confirm_provisional(uow, calendar)
        return counts
