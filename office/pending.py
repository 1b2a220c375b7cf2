"""Staff actions waiting for a typed reason (不予受理, 补正, 退回): stored, expiring, re-authorised on completion."""

from __future__ import annotations

from datetime import datetime, timedelta

from dialogs.clock import utc
from office import decisions, window
from office.outcome import FORBIDDEN, INVALID, NOT_FOUND, Result
from office.staff import Actor, authorize
from storage.models import PendingAction
from storage.uow import UnitOfWork

TTL = timedelta(minutes=10)
WINDOW_PERMISSION = {"return": "return", "refuse": "refuse"}
EXPIRED = "该操作已超过10分钟未完成，已取消。请重新点击按钮办理。"


async def begin(uow: UnitOfWork, telegram_id: int, kind: str, action: str, target: str, now: datetime) -> PendingAction:
    """Remember what the person pressed (the press itself was authorised by the caller)."""
    row = await uow.pending_actions.put(telegram_id, kind, action, target, utc(now) + TTL)
    uow.audits.add(
        f"tg:{int(telegram_id)}", f"pending_{action}", target, True, {"expires_at": row.expires_at.isoformat()}
    )
    return row


async def current(uow: UnitOfWork, telegram_id: int, now: datetime) -> PendingAction | None:
    """The person's pending action, or None (an expired one is dropped and audited)."""
    row = await uow.pending_actions.get(telegram_id)
    if row is not None and utc(row.expires_at) <= utc(now):
        await uow.pending_actions.take(telegram_id)
        uow.audits.add(f"tg:{int(telegram_id)}", f"pending_{row.action}", row.target, False, {"why": "expired"})
        return None
    return row


async def toggle(
    uow: UnitOfWork, telegram_id: int, case_id: int, what: str, key: str, now: datetime
) -> PendingAction | None:
    """Tick or untick a field or material of a pending 补正; None if nothing of that case is pending."""
    row = await current(uow, telegram_id, now)
    if row is None or row.kind != "k" or row.target != str(case_id) or row.action != "correct":
        return None
    await uow.pending_actions.toggle(row, what, key)
    return row


async def complete(uow: UnitOfWork, telegram_id: int, reason: str, now: datetime) -> Result:
    """Act on the typed reason, authorising the person again: a role removed meanwhile refuses."""
    row = await uow.pending_actions.get(telegram_id)
    if row is None:
        return Result(False, NOT_FOUND, "没有等待填写原因的操作。")
    if await current(uow, telegram_id, now) is None:
        return Result(False, INVALID, EXPIRED)
    await uow.pending_actions.take(telegram_id)
    actor = f"tg:{int(telegram_id)}"
    if row.kind == "w":
        if await authorize(uow, telegram_id, WINDOW_PERMISSION[row.action], None, target=row.target) is None:
            return Result(False, FORBIDDEN, "您已没有窗口受理的权限，操作未执行。")
        if row.action == "return":
            return await window.return_for_correction(uow, row.target, actor, reason)
        return await window.refuse(uow, row.target, actor, reason)
    return await decisions.decide(
        uow,
        int(row.target),
        row.action,
        Actor.staff(telegram_id),
        now,
        reason=reason,
        fields=list(row.fields),
        materials=list(row.materials),
    )


async def has_pending(uow: UnitOfWork, telegram_id: int) -> bool:
    return await uow.pending_actions.get(telegram_id) is not None
