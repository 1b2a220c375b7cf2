"""The one window (一窗综合受理): accept, return for correction, refuse; acceptance fans out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from dialogs import notices
from dialogs.clock import local_day, utc, utcnow
from dialogs.notice import TIME_LIMIT_DAYS
from dialogs.redact import redact
from dialogs.status import APPLICATION_STATUS
from dialogs.workdays import WorkCalendar
from dispatch.routing import DEPARTMENTS, FIELDS_BY_DEPARTMENT, MATERIALS
from office.outcome import CONFLICT, INVALID, NOT_FOUND, OK, UNCHANGED, Result
from states.application import AppState, CaseState, Model, Refused, application_machine, fire
from storage.models import Application, DepartmentCase
from storage.uow import UnitOfWork

ALL_FIELDS = frozenset(k for keys in FIELDS_BY_DEPARTMENT.values() for k in keys)
ALL_MATERIALS = frozenset(k for keys in MATERIALS.values() for k in keys)


def _refused(app: Application, what: str) -> Result:
    return Result(
        False,
        CONFLICT,
        f"该申请当前状态为“{APPLICATION_STATUS.get(app.status, app.status)}”，不能{what}。",
        state=app.status,
    )


async def accept(uow: UnitOfWork, ref: str, actor: str, now: datetime, calendar: WorkCalendar) -> Result:
    """Fix the deadline and create three cases + three outbox rows in the caller's transaction."""
    now = utc(now)
    app = await uow.applications.by_ref(ref)
    if app is None:
        return Result(False, NOT_FOUND, "未找到该申请。")
    if app.accepted_at is not None:
        return Result(True, UNCHANGED, "该申请已受理。", state=app.status)
    try:
        fire(application_machine(), "accept", Model(app.status))
    except Refused:
        return _refused(app, "受理")
    due = calendar.add_workdays(local_day(now), TIME_LIMIT_DAYS)
    if not await uow.application_states.swap(
        app,
        app.status,
        status=AppState.accepted,
        accepted_at=now,
        deadline=due.due,
        deadline_provisional=due.provisional,
    ):
        return Result(True, UNCHANGED, "该申请已由他人处理。", state=app.status)
    for dept in DEPARTMENTS:
        uow.cases.add(
            DepartmentCase(
                application_id=app.id, department=dept, state=CaseState.pending, version=app.version, updated_at=now
            )
        )
        uow.deliveries.add(app.id, dept, app.version, now)
    uow.events.add(
        "application_accepted",
        actor,
        {"ref": ref, "deadline": due.due.isoformat(), "provisional": due.provisional, "version": app.version},
        applicant_id=app.applicant_id,
        application_id=app.id,
    )
    await uow.notifications.to_applicant(
        app, notices.accepted(ref, due.due, due.provisional), dedup_key=f"accepted:{ref}"
    )
    await uow.flush()
    return Result(
        True,
        OK,
        f"已受理，办结时限 {due.due:%Y-%m-%d}。",
        state=app.status,
        data={"deadline": due.due.isoformat(), "provisional": due.provisional},
    )


async def return_for_correction(
    uow: UnitOfWork,
    ref: str,
    actor: str,
    reason: str,
    fields: Sequence[str] = (),
    materials: Sequence[str] = (),
    now: datetime | None = None,
) -> Result:
    reason = redact(reason)  # shown to the applicant and other staff: never a full number
    app = await uow.applications.by_ref(ref)
    if app is None:
        return Result(False, NOT_FOUND, "未找到该申请。")
    bad = [k for k in fields if k not in ALL_FIELDS] + [k for k in materials if k not in ALL_MATERIALS]
    if bad:
        return Result(False, INVALID, f"无法识别的补正项：{'、'.join(bad)}")
    try:
        fire(application_machine(), "return_", Model(app.status), reason=reason)
    except Refused:
        if app.status == AppState.returned:
            return Result(True, UNCHANGED, "该申请已退回补正。", state=app.status)
        return _refused(app, "退回") if reason.strip() else Result(False, INVALID, "请填写退回原因。")
    data = dict(app.data) | {
        "window_note": reason.strip(),
        "window_return": {"reason": reason.strip(), "fields": list(fields), "materials": list(materials)},
    }
    if not await uow.application_states.swap(app, app.status, status=AppState.returned, data=data):
        return Result(True, UNCHANGED, "该申请已由他人处理。", state=app.status)
    uow.events.add(
        "application_returned",
        actor,
        {"ref": ref, "reason": reason, "fields": list(fields), "materials": list(materials)},
        applicant_id=app.applicant_id,
        application_id=app.id,
    )
    await uow.notifications.to_applicant(app, notices.returned(ref, reason.strip(), fields, materials))
    return Result(True, OK, "已退回补正，已通知申请人。", state=app.status)

    reason = redact(reason)  # shown to the applicant and other staff: never a full number


async def refuse(uow: UnitOfWork, ref: str, actor: str, reason: str) -> Result:
    app = await uow.applications.by_ref(ref)
    if app is None:
        return Result(False, NOT_FOUND, "未找到该申请。")
    try:
        fire(application_machine(), "refuse", Model(app.status), reason=reason)
    except Refused:
        if app.status == AppState.refused:
            return Result(True, UNCHANGED, "该申请已不予受理。", state=app.status)
        return _refused(app, "不予受理") if reason.strip() else Result(False, INVALID, "请填写不予受理的原因。")
    data = dict(app.data) | {"window_note": reason.strip()}
    if not await uow.application_states.swap(app, app.status, status=AppState.refused, data=data):
        return Result(True, UNCHANGED, "该申请已由他人处理。", state=app.status)
    uow.events.add(
        "application_refused",
        actor,
        {"ref": ref, "reason": reason},
        applicant_id=app.applicant_id,
        application_id=app.id,
    )
    await uow.notifications.to_applicant(app, notices.refused(ref, reason.strip()))
    return Result(True, OK, "已不予受理，已通知申请人。", state=app.status)


async def resubmit(uow: UnitOfWork, ref: str, actor: str, changes: dict[str, Any]) -> Result:
    """The applicant fixed what the window asked for: merge the changes, back to submitted."""
    app = await uow.applications.by_ref(ref)
    if app is None:
        return Result(False, NOT_FOUND, "未找到该申请。")
    try:
        fire(application_machine(), "resubmit", Model(app.status))
    except Refused:
        return _refused(app, "重新提交")
    data = merge(app.data, changes)
    data.pop("window_note", None)
    if not await uow.application_states.swap(
        app, app.status, status=AppState.submitted, data=data, version=app.version + 1
    ):
        return Result(True, UNCHANGED, "该申请已由他人处理。", state=app.status)
    uow.events.add(
        "application_resubmitted",
        actor,
        {"ref": ref, "version": app.version, "changed": changed_keys(changes)},
        applicant_id=app.applicant_id,
        application_id=app.id,
    )
    return Result(True, OK, "已重新提交。", state=app.status)


async def queue_window_notice(uow: UnitOfWork, app: Application, chat_id: int | None) -> bool:
    """Tell the window's staff chat that an application waits for acceptance (masked name only)."""
    name = (app.data.get("answers") or {}).get("name")
    return await uow.notifications.to_chat(
        chat_id, notices.window_notice(app.ref, name), dedup_key=f"window:{app.ref}:v{app.version}"
    )


def on_submitted_hook(
    calendar: WorkCalendar, *, auto_accept: bool, window_chat_id: int | None, clock: Callable[[], datetime] = utcnow
) -> Callable[[UnitOfWork, Application], Awaitable[None]]:
    """For bot.runner.Runner(on_submitted=...): accept at once, or tell the window's chat."""

    async def hook(uow: UnitOfWork, app: Application) -> None:
        if auto_accept:
            await accept(uow, app.ref, "auto", clock(), calendar)
        else:
            await queue_window_notice(uow, app, window_chat_id)

    return hook


def merge(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A new frozen-data dict with changed answers, replaced material slots and the new commitment."""
    out = dict(data)
    out["answers"] = dict(data.get("answers") or {}) | dict(changes.get("answers") or {})
    out["materials"] = dict(data.get("materials") or {}) | dict(changes.get("materials") or {})
    if changes.get("commitment"):  # re-committed at the correction: the form's signature time
        out["commitment"] = changes["commitment"]
    return out


def changed_keys(changes: dict[str, Any]) -> dict[str, list[str]]:
    return {"fields": sorted(changes.get("answers") or {}), "materials": sorted(changes.get("materials") or {})}
