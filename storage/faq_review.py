"""Help-desk review queries: the tickets (hand-offs) opened since a time, newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage.models import Ticket


async def tickets_since(db, since: datetime, limit: int = 500) -> list[Ticket]:
    rows = await db.scalars(select(Ticket).where(Ticket.created_at >= since)
                            .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    return list(rows)
