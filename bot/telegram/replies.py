"""Sends the replies an answer queued (bot.outbox), right after its commit, retrying as Telegram asks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from bot.outbox import LEASE, Queued, dead_owners
from bot.pacing import Pacer
from bot.telegram.render import send_body
from dialogs.clock import utcnow
from storage.cases import Notifications
from storage.writer import GroupWriter

log = logging.getLogger(__name__)
ATTEMPTS = 3
T = TypeVar("T")
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
        writer: GroupWriter | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.writer = writer  # group commit: these small transactions share the answers' commits
        self.owner = owner
        self.pacer = pacer or Pacer()
        self.clock = clock
        self.sleep = sleep
        self.kick = kick or asyncio.Event()
        self.lease = lease

    async def deliver(self, bot: Bot, chat_id: int, ids: list[int], fresh: Queued | None = None) -> bool:
        """True when every reply was shown. `fresh`: the rows as the answer's transaction wrote them."""
        if not ids:
            return True
        if fresh is not None and fresh.first and fresh.fresh() and self.pacer.chat_wait(chat_id) <= MAX_INLINE_WAIT:
            return await self._deliver_fresh(bot, chat_id, fresh.rows)
        now = self.clock()

        async def claim(repo: Notifications):
            dead = dead_owners(await repo.owners(now), self.owner)
            earlier = await repo.take_over_replies(
                str(chat_id), min(ids), self.owner, now, now + self.lease, dead, bot.id
            )
            return earlier, await repo.claimed(ids, self.owner)

        earlier, rows = await self._write(claim)
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

    async def _deliver_fresh(self, bot: Bot, chat_id: int, rows: list) -> bool:
        """The fast path: the rows were queued in the answer's committed transaction, claimed by this
        sender, and no earlier reply of the chat was open then, so nothing is taken over or read
        again, and the first attempt is made without the "sending" mark (a reply interrupted in
        either state is sent again: settle_interrupted). Removed once shown, as on the slow path."""
        for i, row in enumerate(rows):
            retry_at = await self._send(bot, chat_id, row, marked=False)
            if retry_at is not None:
                await self._release([r.id for r in rows[i:]], retry_at)
                return False
        return True

    async def _send(self, bot: Bot, chat_id: int, row, marked: bool = True) -> datetime | None:
        """None once sent (or refused for good, or taken by another sender); else when to try again.
        `marked=False`: the first attempt goes without the "sending" mark (the fast path)."""
        for attempt in range(1, ATTEMPTS + 1):
            if (marked or attempt > 1) and not await self._write(lambda repo: repo.sending(row.id, self.owner)):
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
                await self._write(lambda repo: repo.mark_failed(row.id, give_up=True))
                return None
            self.pacer.sent(chat_id)
            await self._write(lambda repo: repo.remove(row.id))
            return None
        return self.clock()

    async def _pending(self, row_id: int) -> None:
        """Back from "sending" (the call failed, so nothing was shown), still ours, for a while longer."""
        until = self.clock() + self.lease
        await self._write(lambda repo: repo.unsend(row_id, self.owner, until))

    async def _release(self, ids: list[int], retry_at: datetime | None) -> None:
        async def release(repo: Notifications) -> None:
            for row_id in ids:
                await repo.release(row_id, retry_at)

        if ids:
            await self._write(release)
        self.kick.set()

    async def _write(self, fn: Callable[[Notifications], Awaitable[T]]) -> T:
        """One transaction on the outbox rows: through the group writer when there is one."""
        if self.writer is not None:
            return await self.writer.run(lambda uow: fn(uow.notifications))
        async with self.sessionmaker() as db, db.begin():
            return await fn(Notifications(db))
