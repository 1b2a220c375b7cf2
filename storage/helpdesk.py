"""Repositories for the help desk and the applicant's verdict: tickets, FAQ additions, ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.clock import utcnow
from storage.models import FaqAddition, Rating, Ticket


class Tickets:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def open(self, applicant_id: int, question: str, context: dict[str, Any]) -> Ticket:
        row = Ticket(applicant_id=applicant_id, question=question, context=context)
        self.db.add(row)
        await self.db.flush()
        return row

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self.db.get(Ticket, ticket_id)

    async def unclosed(self) -> list[Ticket]:
        return list(await self.db.scalars(select(Ticket).where(Ticket.status != "closed").order_by(Ticket.id)))

    async def since(self, since: datetime, limit: int = 500) -> list[Ticket]:
        """Tickets opened since a time, newest first (the help desk's review)."""
        return list(
            await self.db.scalars(
                select(Ticket)
                .where(Ticket.created_at >= since)
                .order_by(Ticket.created_at.desc(), Ticket.id.desc())
                .limit(limit)
            )
        )

    async def by_staff_message(self, chat_id: int, message_id: int) -> Ticket | None:
        return await self.db.scalar(
            select(Ticket).where(Ticket.staff_chat_id == chat_id, Ticket.staff_message_id == message_id)
        )

    async def attach_staff_message(self, ticket_id: int, chat_id: int, message_id: int) -> None:
        """Staff answer a ticket by replying to the message that showed it."""
        await self.db.execute(
            update(Ticket).where(Ticket.id == ticket_id).values(staff_chat_id=chat_id, staff_message_id=message_id)
        )


class FaqAdditions:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def add(
        self, question: str, answer: str, section: str, created_by: int, entry_id: str | None = None
    ) -> FaqAddition:
        """entry_id set: the question is a new wording of that bank entry; unset: a new entry."""
        row = FaqAddition(
            question=question,
            answer=answer,
            section=section,
            entry_id=entry_id or None,
            created_by=created_by,
            created_at=utcnow(),
        )
        self.db.add(row)
        await self.db.flush()
        return row

    async def all(self) -> list[FaqAddition]:
        return list(await self.db.scalars(select(FaqAddition).order_by(FaqAddition.id)))


class Ratings:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def for_application(self, application_id: int) -> Rating | None:
        return await self.db.scalar(select(Rating).where(Rating.application_id == application_id))

    def add(self, application_id: int, score: int) -> Rating:
        row = Rating(application_id=application_id, score=score)
        self.db.add(row)
        return row
