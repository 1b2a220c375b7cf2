"""Signed department callbacks seen once (nonce -> first answer), and staff actions waiting for a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CallbackNonce, PendingAction


class AlreadySeen(Exception):
    """Another request with this nonce got there first."""


class CallbackNonces:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def get(self, key: str) -> CallbackNonce | None:
        return await self.db.get(CallbackNonce, key)

    async def claim(self, key: str, now: datetime) -> CallbackNonce:
        """Flushed at once, before any effect: a concurrent request with the same nonce fails here."""
        row = CallbackNonce(key=key, status=0, response={}, seen_at=now)
        self.db.add(row)
        try:
            await self.db.flush()
        except IntegrityError as e:
            raise AlreadySeen(key) from e
        return row

    async def answer(self, row: CallbackNonce, status: int, response: dict[str, Any]) -> None:
        row.status, row.response = status, response
        await self.db.flush()

    async def forget_before(self, cutoff: datetime) -> None:
        """Nonces older than the signature window cannot come back: their timestamps are refused."""
        await self.db.execute(delete(CallbackNonce).where(CallbackNonce.seen_at < cutoff))


class PendingActions:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def get(self, telegram_id: int) -> PendingAction | None:
        return await self.db.get(PendingAction, int(telegram_id))

    async def ids(self) -> set[int]:
        return set(await self.db.scalars(select(PendingAction.telegram_id)))

    async def put(self, telegram_id: int, kind: str, action: str, target: str, expires_at: datetime) -> PendingAction:
        """One pending action per person: a new one replaces the old."""
        row = await self.get(telegram_id)
        if row is None:
            row = PendingAction(telegram_id=int(telegram_id))
            self.db.add(row)
        row.kind, row.action, row.target, row.expires_at = kind, action, target, expires_at
        row.fields, row.materials = [], []
        await self.db.flush()
        return row

    async def toggle(self, row: PendingAction, what: str, key: str) -> None:
        chosen = set(row.fields if what == "field" else row.materials) ^ {key}
        if what == "field":
            row.fields = sorted(chosen)
        else:
            row.materials = sorted(chosen)
        await self.db.flush()

    async def take(self, telegram_id: int) -> PendingAction | None:
        row = await self.get(telegram_id)
        if row is not None:
            await self.db.delete(row)
            await self.db.flush()
        return row
