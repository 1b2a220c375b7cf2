"""Sends the replies an answer queued (bot.outbox), right after its commit, retrying as Telegram asks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiogram import Bot

from bot.outbox import LEASE, Queued, dead_owners, in_flight
from bot.pacing import Pacer
from bot.sending import RowSender, transactions
from dialogs.clock import utcnow
from storage.cases import Notifications
from storage.writer import GroupWriter

log = logging.getLogger(__name__)
ATTEMPTS = 3
MAX_INLINE_WAIT = 5.0  # a longer retry_after is left to the notifier, which holds only this chat


class ReplySender:
    """Sends a chat's queued replies in order and removes each once Telegram took it. What cannot go now
    is released to the notifier (`kick` wakes it), which sends it when Telegram allows. Giving way
    leaves none of the chat's rows claimed, so the notifier goes on with them as soon as it may."""

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
        self.kick = kick or asyncio.Event()
        self.lease = lease
        self._write = transactions(sessionmaker, writer)
        self.rows = RowSender(self._write, owner, self.pacer, clock=clock, sleep=sleep, lease=lease)

    async def deliver(self, bot: Bot, chat_id: int, ids: list[int], fresh: Queued | None = None) -> bool:
        """True when every reply was shown. `fresh`: the rows as the answer's transaction wrote them."""
        if not ids:
            return True
        if self.pacer.chat_wait(chat_id) > MAX_INLINE_WAIT:  # Telegram holds the chat: the notifier waits
            await self._release(ids, None)
            return False
        if fresh is not None and fresh.first and fresh.fresh():
            return await self._deliver_fresh(bot, fresh.rows)
        now, held, mine = self.clock(), in_flight(self.owner), set()

        async def claim(repo: Notifications):
            dead = dead_owners(await repo.owners(now), self.owner)
            earlier = await repo.take_over_replies(
                str(chat_id), min(ids), self.owner, now, now + self.lease, dead, bot.id, busy=frozenset(held)
            )
            rows = await repo.claimed(ids, self.owner)
            if earlier is not None:  # ours from here, before the commit: no other send of ours takes them
                mine.update(r.id for r in earlier + rows)
                held.update(mine)
            return earlier, rows

        try:
            earlier, rows = await self._write(claim)
            if earlier is None:  # an earlier reply is being sent or due later: keep the chat's order
                await self._release([r.id for r in rows], None)
                return False
            return await self._send_in_order(bot, earlier + rows, held)  # a killed (or failed) send's go first
        finally:
            held.difference_update(mine)

    async def _deliver_fresh(self, bot: Bot, rows: list) -> bool:
        """The fast path: the rows were queued in the answer's committed transaction, claimed by this
        sender, and no earlier reply of the chat was open then, so nothing is taken over or read
        again, and the first attempt is made without the "sending" mark (a reply interrupted in
        either state is sent again: settle_interrupted). Held in memory (in_flight) until done."""
        held, mine = in_flight(self.owner), {r.id for r in rows}
        held.update(mine)
        try:
            return await self._send_in_order(bot, rows, held, marked=False)
        finally:
            held.difference_update(mine)

    async def _send_in_order(self, bot: Bot, rows: list, held: set[int], marked: bool = True) -> bool:
        """Send the chat's rows one after another. The first that must wait is left due later by the row
        sender; the rows behind it are released to the notifier. True when every row was done."""
        for i, row in enumerate(rows):
            retry_at = await self.rows.send(
                bot, row, gap=False, tries=ATTEMPTS, inline_wait=MAX_INLINE_WAIT, marked=marked
            )
            held.discard(row.id)
            if retry_at is not None:
                await self._release([r.id for r in rows[i + 1 :]], retry_at)
                return False
        return True

    async def _release(self, ids: list[int], retry_at: datetime | None) -> None:
        async def release(repo: Notifications) -> None:
            for row_id in ids:
                await repo.release(row_id, retry_at)

        if ids:
            await self._write(release)
        self.kick.set()
