"""Handled Telegram update ids per bot: a re-delivered update is recognised and takes no effect."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import HandledUpdate

# One INSERT … ON CONFLICT DO NOTHING per dialect, built once (on first use, so that a bot imports
# only its own database's dialect) on the Table: the session runs a Core statement without its ORM
# execution layer.
_RECORD: dict = {}


def _record_for(insert):
    try:
        return _RECORD[insert]
    except KeyError:
        statement = _RECORD[insert] = (
            insert(HandledUpdate.__table__)
            .values(bot_id=bindparam("bot_id"), update_id=bindparam("update_id"), handled_at=bindparam("now"))
            .on_conflict_do_nothing()
        )
        return statement


class DuplicateUpdate(Exception):
    """Another transaction recorded this update first."""


class HandledUpdates:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def seen(self, bot_id: int, update_id: int) -> bool:
        return await self.db.get(HandledUpdate, (bot_id, update_id)) is not None

    async def record(self, bot_id: int, update_id: int, now: datetime) -> None:
        """Record in the caller's transaction; DuplicateUpdate if it is recorded already (PostgreSQL
        waits here for a concurrent transaction holding the same id, then refuses). One statement:
        the primary key refuses a second row (no read first)."""
        statement = _record_for(insert_for(self.db))
        result = await self.db.execute(statement, {"bot_id": bot_id, "update_id": update_id, "now": now})
        if result.rowcount != 1:
            raise DuplicateUpdate(update_id)

    async def prune(self, before: datetime) -> int:
        """Forget ids older than `before` (Telegram keeps an update for at most 24 hours)."""
        result = await self.db.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < before))
        return result.rowcount or 0
