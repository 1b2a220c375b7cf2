"""Each Telegram update takes effect at most once: handled update ids are remembered per bot."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import TelegramObject, Update

from dialogs.clock import utcnow
from storage.arrivals import Taken
from storage.inbox import DuplicateUpdate, HandledUpdates

log = logging.getLogger(__name__)
RECORDS_UPDATE = "records_update"  # handler flag: the handler's transaction records the update id itself
KEEP = timedelta(hours=48)  # Telegram re-delivers an unconfirmed update for up to 24 hours
PRUNE_EVERY = timedelta(hours=1)


@dataclass
class UpdateScope:
    """What became of one update: `recorded` once its id is stored, `kept` once its effect committed,
    `duplicate` when it was a re-delivery of one handled before (and so ignored)."""

    bot_id: int
    update_id: int
    recorded: bool = False
    kept: bool = False
    duplicate: bool = False
    # The update's inbox row (bot.telegram.inbox): removed by the transaction that records the update.
    arrival: Taken | None = None


_current: contextvars.ContextVar[UpdateScope | None] = contextvars.ContextVar("update_scope", default=None)
# Set by the inbox's line around feed_update: the row the update waits in.
inbox_arrival: contextvars.ContextVar[Taken | None] = contextvars.ContextVar("inbox_arrival", default=None)


def current_scope() -> UpdateScope | None:
    return _current.get()


class UpdateDedup(BaseMiddleware):
    """Outer middleware on the update observer. A handler flagged `records_update` writes through the
    runner, which records the id in the answer's own transaction (one INSERT: its key refuses a
    re-delivered update, and a crash before the commit lets the re-delivery through), so nothing is
    read first. Any other handler is preceded by a look-up (`SeenCheck`, an inner middleware on every
    event observer, i.e. after the filters chose the handler) and its update is recorded after it
    returned."""

    def __init__(self, sessionmaker, clock: Callable[[], datetime] = utcnow):
        self.sessionmaker = sessionmaker
        self.clock = clock
        self._pruned: datetime | None = None

    async def __call__(
        self, handler: Callable[[Update, dict[str, Any]], Awaitable[Any]], event: Update, data: dict[str, Any]
    ) -> Any:
        arrival = inbox_arrival.get()
        if arrival is not None and arrival.update_id != event.update_id:
            arrival = None
        scope = UpdateScope(data["bot"].id, event.update_id, arrival=arrival)
        _current.set(scope)  # not reset: the error handler, outside this middleware, reads it
        data["update_scope"] = scope
        result = await handler(event, data)
        if not scope.recorded:  # an unhandled update too: a re-delivery finds it handled
            await self._record(scope)
        await self._prune()
        return result

    def install(self, dispatcher) -> None:
        """Itself on the updates, and the look-up before every handler that does not record the id."""
        dispatcher.update.outer_middleware(self)
        check = SeenCheck(self.sessionmaker)
        for name, observer in dispatcher.observers.items():
            if name not in ("update", "error"):
                observer.middleware(check)

    async def _record(self, scope: UpdateScope) -> None:
        try:
            async with self.sessionmaker() as db, db.begin():
                await HandledUpdates(db).record(scope.bot_id, scope.update_id, self.clock())
                if scope.arrival is not None:
                    await scope.arrival.settle(db)
            scope.recorded = True
            if scope.arrival is not None:
                scope.arrival.settled()
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


class SeenCheck(BaseMiddleware):
    """Inner middleware: an update already handled is not handled again, unless its handler records
    the id in its own transaction (flag `records_update`), which refuses a duplicate itself."""

    def __init__(self, sessionmaker):
        self.sessionmaker = sessionmaker

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        scope = data.get("update_scope")
        if scope is None or get_flag(data, RECORDS_UPDATE):
            return await handler(event, data)
        async with self.sessionmaker() as db:
            if await HandledUpdates(db).seen(scope.bot_id, scope.update_id):
                log.info("update %s was handled before; ignored", scope.update_id)
                scope.recorded = scope.duplicate = True
                return None
        return await handler(event, data)
