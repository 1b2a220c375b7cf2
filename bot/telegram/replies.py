"""Sends the replies an answer queued (bot.outbox), right after its commit, retrying as Telegram asks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from bot.outbox import LEASE, dead_owners
from bot.pacing import Pacer
from bot.telegram.render import send_body
from dialogs.clock import utcnow
from storage.cases import Notifications

log = logging.getLogger(__name__)
ATTEMPTS = 3
MAX_INLINE_WAIT = 5.0  # a longer retry_after is left to the notifier, which holds only this chat


class ReplySender:
    """Sends a chat's queued replies in order and removes each once Telegram took it. What cannot go now
    is released to the notifier (`kick` wakes it), which sends it when Telegram allows."""

    def __init__(
        self,
        sessionmaker,
        owner: str,
        pacer: Pacer | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        kick: asyncio.Event | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.owner = owner
        self.pacer = pacer or Pacer()
        self.clock = clock
        self.sleep = sleep
        self.kick = kick or asyncio.Event()
        self.lease = lease

    async def deliver(self, bot: Bot, chat_id: int, ids: list[int]) -> bool:
        """True when every reply was shown."""
        if not ids:
            return True
        now = self.clock()
        async with self.sessionmaker() as db, db.begin():
            repo = Notifications(db)
            dead = dead_owners(await repo.owners(now), self.owner)
            earlier = await repo.take_over_replies(
                str(chat_id), min(ids), self.owner, now, now + self.lease, dead, bot.id
            )
            rows = await repo.claimed(ids, self.owner)
        if earlier is None or self.pacer.chat_wait(chat_id) > MAX_INLINE_WAIT:  # keep the chat's order
            await self._release([r.id for r in rows], None)
            return False
        rows = earlier + rows  # a killed process's unsent replies of this chat go first
        for i, row in enumerate(rows):
            retry_at = await self._send(bot, chat_id, row)
            if retry_at is not None:
                await self._release([r.id for r in rows[i:]], retry_at)
                return False
        return True

    async def _send(self, bot: Bot, chat_id: int, row) -> datetime | None:
        """None once sent (or refused for good, or taken by another sender); else when to try again."""
        for attempt in range(1, ATTEMPTS + 1):
            async with self.sessionmaker() as db, db.begin():
                if not await Notifications(db).sending(row.id, self.owner):
                    return None
            try:
                await self.pacer.take(chat_id, gap=False)  # an answer's replies go at once, as per process
                await send_body(bot, chat_id, row.body or {})
            except TelegramRetryAfter as e:
                self.pacer.hold(chat_id, e.retry_after)
                if e.retry_after > MAX_INLINE_WAIT or attempt == ATTEMPTS:
                    return self.clock() + timedelta(seconds=e.retry_after)
                await self._pending(row.id)
                await self.sleep(e.retry_after)
                continue
            except (TelegramNetworkError, TelegramServerError) as e:
                log.warning("reply %s not sent (%s), attempt %d", row.id, type(e).__name__, attempt)
                if attempt == ATTEMPTS:
                    return self.clock() + timedelta(seconds=2)
                await self._pending(row.id)
                await self.sleep(0.5 * 2 ** (attempt - 1))
                continue
            except TelegramAPIError as e:  # refused for good (e.g. the user blocked the bot)
                log.warning("reply %s refused: %s", row.id, type(e).__name__)
                async with self.sessionmaker() as db, db.begin():
                    await Notifications(db).mark_failed(row.id, give_up=True)
                return None
            self.pacer.sent(chat_id)
            async with self.sessionmaker() as db, db.begin():
                await Notifications(db).remove(row.id)
            return None
        return self.clock()

    async def _pending(self, row_id: int) -> None:
        """Back from "sending" (the call failed, so nothing was shown), still ours, for a while longer."""
        async with self.sessionmaker() as db, db.begin():
            await Notifications(db).unsend(row_id, self.owner, self.clock() + self.lease)

    async def _release(self, ids: list[int], retry_at: datetime | None) -> None:
        if ids:
            async with self.sessionmaker() as db, db.begin():
                for row_id in ids:
                    await Notifications(db).release(row_id, retry_at)
        self.kick.set()
