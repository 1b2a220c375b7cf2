"""Clerks' decisions on a department case, the correction loop, withdrawal and the join."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dialogs import notices
from dialogs.clock import utc
from dialogs.redact import redact
from dialogs.status import APPLICATION_STATUS, CASE_STATUS
from dispatch.routing import FIELDS_BY_DEPARTMENT, MATERIALS
from office.outcome import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, OK, UNCHANGED, Result
from office.staff import Actor, Principal, authorize_actor
from office.window import changed_keys, merge
from states.application import CASE_OPEN, AppState, CaseState, Model, Refused, application_machine, case_machine, fire
from storage.models import Application, DepartmentCase
from storage.uow import UnitOfWork

ACTIONS = ("claim", "release", "done", "correct", "reject")
ACTION_WORDS = {"claim": "认领", "release": "释放", "done": "办结", "correct": "要求补正", "reject": "不予办理"}
TARGET = {
    "claim": CaseState.claimed,
    "done": CaseState.done,
    "correct": CaseState.correction,
    "reject": CaseState.rejected,
    "release": CaseState.delivered,
}


async def case_of(uow: UnitOfWork, ref: str, department: str) -> DepartmentCase | None:
    app = await uow.applications.by_ref(ref)
    return None if app is None else await uow.cases.of(app.id, department)


async def decide(
    uow: UnitOfWork,
    case_id: int,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    note: str | None = None,
    reason: str | None = None,
    fields: Sequence[str] = (),
    materials: Sequence[str] = (),
) -> Result:
    """Re-authorise, transition, log, notify the applicant, then compute the join."""
    now = utc(now)
    case = await uow.cases.get(case_id)
    app = await uow.applications.get(case.application_id) if case else None
    target = f"{app.ref}:{case.department}" if case and app else f"case:{case_id}"
    principal = await authorize_actor(
        uow, actor, action if action in ACTIONS else "unknown", case.department if case else None, target=target
    )
    if case is None or app is None:
        return Result(False, NOT_FOUND, "未找到该件。")
    if principal is None:
        return Result(False, FORBIDDEN, "您没有权限办理该部门的件。", state=case.state)
    if action not in ACTIONS:
        return Result(False, INVALID, f"未知操作：{action}", state=case.state)
    if app.status != AppState.accepted:
        return Result(
            False,
            CONFLICT,
            f"该申请当前状态为“{APPLICATION_STATUS.get(app.status, app.status)}”，不能办理。",
            state=case.state,
        )
    reason, note = redact((reason or "").strip()), redact((note or "").strip()) or None  # shown to others
    if action == "correct":
        bad = [k for k in fields if k not in FIELDS_BY_DEPARTMENT[case.department]] + [
            k for k in materials if k not in MATERIALS[case.department]
        ]
        if bad:
            return Result(False, INVALID, f"这些项目不属于本部门审核范围：{'、'.join(bad)}", state=case.state)
    if case.state == TARGET[action] and case.claimed_by == principal.claimer and action != "release":
        return Result(True, UNCHANGED, f"该件已{ACTION_WORDS[action]}。", state=case.state)
    implicit_claim = action in ("done", "correct", "reject") and case.state == CaseState.delivered
    if implicit_claim:  # the lifecycle's claim transition, fired first (docs/lifecycle.md)
        claimed = await _apply(uow, app, case, "claim", principal, now, {}, quiet=True)
        if not claimed.ok:
            return claimed
    kw = {"reason": reason, "fields": list(fields), "materials": list(materials)}
    result = await _apply(uow, app, case, action, principal, now, kw, note=note)
    if implicit_claim and result.ok:
        result.message = f"已认领，已{ACTION_WORDS[action]}。"
    return result


async def _apply(
    uow: UnitOfWork,
    app: Application,
    case: DepartmentCase,
    action: str,
    principal: Principal,
    now: datetime,
    kw: dict[str, Any],
    note: str | None = None,
    quiet: bool = False,
) -> Result:
    old_state, old_claimer = case.state, case.claimed_by
    try:
        new = fire(
            case_machine(), action, Model(old_state, old_claimer), actor=principal.claimer, admin=principal.admin, **kw
        )
    except Refused:
        return _refusal(case, action, principal, kw)
    values: dict[str, Any] = {"state": new, "updated_at": now}
    if action == "claim":
        values["claimed_by"] = principal.claimer
    elif action == "release":
        values["claimed_by"] = None
    elif action == "done":
        values["note"] = note
    elif action == "reject":
        values["note"] = kw["reason"]
    elif action == "correct":
        values["correction"] = {
            "reason": kw["reason"],
            "fields": kw["fields"],
            "materials": kw["materials"],
            "by": principal.key,
            "at": now.isoformat(),
            "version": case.version,
        }
    if not await uow.cases.swap(case, old_state, old_claimer, **values):
        return Result(False, CONFLICT, "该件刚刚被他人处理，请刷新后重试。", state=old_state)
    payload = {"department": case.department, "from": old_state, "to": new, "version": case.version}
    payload |= {k: v for k, v in (kw | {"note": note}).items() if v}
    uow.events.add(f"case_{action}", principal.key, payload, applicant_id=app.applicant_id, application_id=app.id)
    body = None if quiet else _applicant_notice(app.ref, case.department, action, note, kw)
    if body is not None:
        await uow.notifications.to_applicant(app, body)
    finished = await join_application(uow, app, principal.key, now)
    return Result(True, OK, f"已{ACTION_WORDS[action]}。", state=new, data={"application": finished or app.status})


def _refusal(case: DepartmentCase, action: str, principal: Principal, kw: dict[str, Any]) -> Result:
    taken = case.claimed_by is not None and case.claimed_by != principal.claimer and not principal.admin
    if taken and case.state in (CaseState.delivered, CaseState.claimed):
        return Result(False, CONFLICT, "该件已由其他经办人员认领，请勿重复办理。", state=case.state)
    if action in ("correct", "reject") and not kw.get("reason"):
        return Result(False, INVALID, "请填写原因。", state=case.state)
    if action == "correct" and not (kw.get("fields") or kw.get("materials")):
        return Result(False, INVALID, "请选择需要补正的信息或材料。", state=case.state)
    return Result(
        False,
        CONFLICT,
        f"该件当前状态为“{CASE_STATUS.get(case.state, case.state)}”，不能{ACTION_WORDS[action]}。",
        state=case.state,
    )


def _applicant_notice(ref: str, dept: str, action: str, note: str | None, kw: dict[str, Any]):
    if action == "claim":
        return notices.claimed(ref, dept)
    if action == "done":
        return notices.done(ref, dept, note)
    if action == "correct":
        return notices.correction(ref, dept, kw["reason"], kw["fields"], kw["materials"])
    if action == "reject":
        return notices.rejected(ref, dept, kw["reason"])
    return None


async def join_application(uow: UnitOfWork, app: Application, actor: str, now: datetime) -> str | None:
    """When every department has finished: completed or partly_rejected, and ask for a rating."""
    cases = await uow.cases.for_application(app.id)
    try:
        new = fire(application_machine(), "finish", Model(app.status), dept_states=[c.state for c in cases])
    except Refused:
        return None
    if not await uow.application_states.swap(app, AppState.accepted, status=new):
        return None
    uow.events.add(
        f"application_{new}",
        actor,
        {"ref": app.ref, "at": utc(now).isoformat()},
        applicant_id=app.applicant_id,
        application_id=app.id,
    )
    summary = [(c.department, c.state, c.note) for c in cases]
    await uow.notifications.to_applicant(app, notices.result(app.ref, new, summary), dedup_key=f"result:{app.ref}")
    return new


async def resubmit(
    uow: UnitOfWork, ref: str, dept: str, changes: dict[str, Any], now: datetime, actor: str = "applicant"
) -> Result:
    """The applicant fixed the flagged items: bump the version, merge, re-deliver to `dept` only."""
    now = utc(now)
    app = await uow.applications.by_ref(ref)
    case = await uow.cases.of(app.id, dept) if app else None
    if app is None or case is None:
        return Result(False, NOT_FOUND, "未找到该申请。")
    if case.state == CaseState.resubmitted:
        return Result(True, UNCHANGED, "补正内容已提交。", state=case.state)
    flagged = case.correction or {}
    keys = changed_keys(changes)
    extra = [k for k in keys["fields"] if k not in flagged.get("fields", [])] + [
        k for k in keys["materials"] if k not in flagged.get("materials", [])
    ]
    if extra:
        return Result(False, INVALID, f"这些项目不在补正要求中：{'、'.join(extra)}", state=case.state)
    try:
        new = fire(case_machine(), "resubmit", Model(case.state, case.claimed_by))
    except Refused:
        return Result(False, CONFLICT, "该件当前不需要补正。", state=case.state)
    if app.status != AppState.accepted:
        return Result(False, CONFLICT, "该申请已结束办理。", state=case.state)
    version = app.version + 1
    if not await uow.application_states.swap(app, AppState.accepted, data=merge(app.data, changes), version=version):
        return Result(False, CONFLICT, "申请刚刚发生变化，请重试。", state=case.state)
    if not await uow.cases.swap(case, case.state, case.claimed_by, state=new, version=version, updated_at=now):
        return Result(False, CONFLICT, "该件刚刚被他人处理，请重试。", state=case.state)
    uow.deliveries.add(app.id, dept, version, now)
    uow.events.add(
        "case_resubmitted",
        actor,
        {"department": dept, "version": version, **keys},
        applicant_id=app.applicant_id,
        application_id=app.id,
    )
    await uow.notifications.to_applicant(app, notices.resubmitted(ref, dept))
    return Result(True, OK, "补正内容已提交，已重新推送。", state=new, data={"version": version})


async def withdraw(uow: UnitOfWork, ref: str, actor: str, now: datetime, reason: str = "") -> Result:
    """The applicant withdraws: open cases stop, undelivered packets are cancelled."""
    now = utc(now)
    app = await uow.applications.by_ref(ref)
    if app is None:
        return Result(False, NOT_FOUND, "未找到该申请。")
    if app.status == AppState.withdrawn:
        return Result(True, UNCHANGED, "该申请已撤回。", state=app.status)
    try:
        new = fire(application_machine(), "withdraw", Model(app.status))
    except Refused:
        return Result(
            False,
            CONFLICT,
            f"该申请当前状态为“{APPLICATION_STATUS.get(app.status, app.status)}”，不能撤回。",
            state=app.status,
        )
    if not await uow.application_states.swap(app, app.status, status=new):
        return Result(False, CONFLICT, "申请刚刚发生变化，请重试。", state=app.status)
    for case in await uow.cases.for_application(app.id):
        if case.state in CASE_OPEN:
            await uow.cases.swap(case, case.state, case.claimed_by, state=CaseState.withdrawn, updated_at=now)
    await uow.deliveries.cancel_undelivered(app.id)
    uow.events.add(
        "application_withdrawn",
        actor,
        {"ref": ref, "reason": reason},
        applicant_id=app.applicant_id,
        application_id=app.id,
    )
    await uow.notifications.to_applicant(app, notices.withdrawn(ref))
    return Result(True, OK, "已撤回。", state=new)
