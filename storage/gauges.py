"""What /metrics reports from the database: conversations, outboxes, deliveries, help desk, inbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Draft, Event, InboxUpdate, Notification, Ticket


@dataclass
class Snapshot:
    conversations: dict[str, int] = field(default_factory=dict)  # phase -> drafts
    outbox: dict[str, tuple[int, float]] = field(default_factory=dict)  # department -> (due, oldest age s)
    deliveries: dict[str, int] = field(default_factory=dict)  # status -> rows
    notifications_pending: dict[str, int] = field(default_factory=dict)  # channel -> rows
    faq_answered: int = 0
    faq_handed_off: int = 0
    inbox: tuple[int, float] = (0, 0.0)  # waiting updates, oldest age s


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # SQLite returns naive UTC
        then = then.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - then).total_seconds())


async def snapshot(db: AsyncSession, now: datetime) -> Snapshot:
    s = Snapshot()
    for state, n in await db.execute(select(Draft.state, func.count()).group_by(Draft.state)):
        s.conversations[state] = n
    open_ = Delivery.status.in_(("pending", "retry"))
    q = (
        select(Delivery.department, func.count(), func.min(Delivery.created_at))
        .where(open_)
        .group_by(Delivery.department)
    )
    for dept, n, oldest in await db.execute(q):
        s.outbox[dept] = (n, _age(now, oldest))
    for status, n in await db.execute(select(Delivery.status, func.count()).group_by(Delivery.status)):
        s.deliveries[status] = n
    q = (
        select(Notification.channel, func.count())
        .where(Notification.status == "pending")
        .group_by(Notification.channel)
    )
    for channel, n in await db.execute(q):
        s.notifications_pending[channel] = n
    s.faq_answered = (await db.execute(select(func.count()).where(Event.kind == "question_answered"))).scalar_one()
    s.faq_handed_off = (await db.execute(select(func.count()).select_from(Ticket))).scalar_one()
    n, oldest = (await db.execute(select(func.count(), func.min(InboxUpdate.received_at)))).one()
    s.inbox = (n, _age(now, oldest))
    return s
