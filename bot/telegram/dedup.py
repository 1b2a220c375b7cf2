"""Each Telegram update takes effect at most once: handled update ids are remembered per bot."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Update

from dialogs.clock import utcnow
from storage.inbox import DuplicateUpdate, HandledUpdates

log = logging.getLogger(__name__)
KEEP = timedelta(hours=48)  # Telegram re-delivers an unconfirmed update for up to 24 hours
PRUNE_EVERY = timedelta(hours=1)


@dataclass
class UpdateScope:
    """What became of one update: `recorded` once its id is stored, `kept` once its effect committed."""

    bot_id: int
    update_id: int
    recorded: bool = False
    kept: bool = False


_current: contextvars.ContextVar[UpdateScope | None] = contextvars.ContextVar("update_scope", default=None)


def current_scope() -> UpdateScope | None:
    return _current.get()


class UpdateDedup(BaseMiddleware):
    """Outer middleware on the update observer. A handler that writes through the runner records the id
    in its own transaction (so a crash before commit lets the re-delivery through); any other handler's
    update is recorded after it returned."""

    def __init__(self, sessionmaker, clock: Callable[[], datetime] = utcnow):
        self.sessionmaker = sessionmaker
        self.clock = clock
        self._pruned: datetime | None = None

    async def __call__(
        self, handler: Callable[[Update, dict[str, Any]], Awaitable[Any]], event: Update, data: dict[str, Any]
    ) -> Any:
        scope = UpdateScope(data["bot"].id, event.update_id)
        _current.set(scope)  # not reset: the error handler, outside this middleware, reads it
        data["update_scope"] = scope
        async with self.sessionmaker() as db:
            if await HandledUpdates(db).seen(scope.bot_id, scope.update_id):
                log.info("update %s was handled before; ignored", scope.update_id)
                return None
        result = await handler(event, data)
        if not scope.recorded:
            await self._record(scope)
        await self._prune()
        return result

    async def _record(self, scope: UpdateScope) -> None:
        try:
            async with self.sessionmaker() as db, db.begin():
                await HandledUpdates(db).record(scope.bot_id, scope.update_id, self.clock())
            scope.recorded = True
        except DuplicateUpdate:
            scope.recorded = True

    async def _prune(self) -> None:
        now = self.clock()
        if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
            return
        self._pruned = now
        async with self.sessionmaker() as db, db.begin():
            gone = await HandledUpdates(db).prune(now - KEEP)
        if gone:
            log.info("forgot %d handled update ids older than %s", gone, KEEP)
