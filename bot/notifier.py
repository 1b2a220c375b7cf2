"""Sends queued notifications and left-over replies: claimed before sending, one sender per row, paced."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import outbox
from bot.outbox import dead_owners, in_flight, owner_token
from bot.pacing import Pacer
from bot.sending import RowSender, transactions
from dialogs.clock import utcnow
from storage.cases import Notifications
from storage.helpdesk import Tickets
from storage.models import Notification

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
BATCH = 30  # heads of 30 chats per round: one second of Telegram's overall limit


def markup(body: dict) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(text=b["label"], callback_data=b["data"][:64]) for b in row]
        for row in body.get("buttons") or []
        if row
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def pending(sessionmaker, channel: str, chat_id: str | None = None, limit: int = 20) -> list[Notification]:
    async with sessionmaker() as db:
        return await Notifications(db).pending(limit, channel=channel, chat_id=chat_id)


async def mark_sent(sessionmaker, row: Notification, message_id: int | None = None) -> None:
    async with sessionmaker() as db, db.begin():
        await Notifications(db).mark_sent(row.id, utcnow())
        ticket_id = (row.body or {}).get("ticket_id")
        if ticket_id and message_id is not None:  # staff reply to this message to answer the ticket
            await Tickets(db).attach_staff_message(ticket_id, int(row.chat_id), message_id)


class Notifier:
    """One round claims the oldest pending message of each chat that may get one now, and sends them
    paced (bot.pacing). A chat's messages thus go out in order and one at a time, across processes too.

    Once-only, as far as Telegram allows: a row is claimed, then marked "sending" (committed) just before
    the call and "sent" right after. A sender killed while its row is "sending" leaves it so, and the row
    is not sent again (storage.cases.Notifications.settle_interrupted): the residual window is the call
    itself, where a kill before Telegram took the message loses it instead of repeating it. Telegram has
    no idempotency key, so one of the two had to be chosen. A conversation reply is the exception: it
    is sent again, since a next question shown twice is harmless and one never shown is not."""

    def __init__(
        self,
        bot: Bot,
        sessionmaker,
        pacer: Pacer | None = None,
        *,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        lease: timedelta = LEASE,
        batch: int = BATCH,
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.pacer = pacer or Pacer()
        self.owner = owner or owner_token()
        self.clock = clock
        self.sleep = sleep
        self.lease = lease
        self.batch = batch
        self.rows = RowSender(
            transactions(sessionmaker), self.owner, self.pacer, clock=clock, sleep=sleep, lease=outbox.LEASE
        )
        self._looked: datetime | None = None  # when overdue replies were last looked for

    async def send_round(self) -> int:
        """Claim and send one round; returns how many rows were claimed."""
        now, held, ids = self.clock(), in_flight(self.owner), []
        try:
            async with self.sessionmaker() as db, db.begin():
                repo = Notifications(db)
                dead = dead_owners(await repo.owners(now), self.owner)
                again, settled = await repo.settle_interrupted(now, dead)
                if again:
                    log.warning("%d replies were being sent by a process that died: sent again", again)
                if settled:
                    log.warning("%d notifications were being sent by a process that died: not sent again", settled)
                await self._overdue(repo, now, dead, frozenset(held))
                rows = await repo.claim_heads(
                    self.owner,
                    now,
                    now + self.lease,
                    self.batch,
                    skip_chats=self.pacer.held(horizon=1.0),
                    dead=dead,
                    bot_id=self.bot.id,
                )
                ids = [r.id for r in rows]
                held.update(ids)  # before the commit: this process's answers do not take them
            rows.sort(key=lambda r: self.pacer.wait(r.chat_id))
            for row in rows:
                wait = self.pacer.wait(row.chat_id)
                if wait > 0:
                    await self.sleep(wait)
                await self.rows.send(self.bot, row, gap=True)
                held.discard(row.id)
        finally:
            held.difference_update(ids)
        return len(rows)

    async def _overdue(self, repo: Notifications, now: datetime, dead: frozenset[str], busy: frozenset[int]) -> None:
        """Once a lease: a WARNING when replies older than that are due yet held by a live sender that
        is not sending them (#12: a chat's replies kept claimed by a live process). Ids and counts only."""
        if self._looked is not None and now - self._looked < outbox.LEASE:
            return
        self._looked = now
        rows, chats, oldest, holder = await repo.overdue_replies(now, now - outbox.LEASE, dead, busy)
        if rows:
            log.warning(
                "%d replies in %d chats older than %ds held by a live sender, not sent (oldest #%s, by %s%s)",
                rows,
                chats,
                outbox.LEASE.total_seconds(),
                oldest,
                holder,
                " = this process" if holder == self.owner else "",
            )

    async def drain(self, rounds: int = 100) -> int:
        """Rounds until nothing is due now (the CLI and tests)."""
        total = 0
        for _ in range(rounds):
            claimed = await self.send_round()
            if not claimed:
                break
            total += claimed
        return total

    async def run(self, stop: asyncio.Event, interval: float = 1.0, kick: asyncio.Event | None = None) -> None:
        kick = kick or asyncio.Event()
        while not stop.is_set():
            try:
                busy = await self.send_round()
            except Exception:
                log.exception("notifier round failed")
                busy = 0
            if busy:
                continue
            kick.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(kick.wait())]
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()


async def send_pending(bot: Bot, sessionmaker) -> int:
    """Everything due now, at once (no per-chat gaps): for the CLI and tests, not the running bot."""
    return await Notifier(bot, sessionmaker, Pacer(chat_interval=0, group_per_minute=10**6)).drain()


async def run_notifier(
    bot: Bot,
    sessionmaker,
    stop: asyncio.Event,
    interval: float = 1.0,
    kick: asyncio.Event | None = None,
    pacer: Pacer | None = None,
) -> None:
    await Notifier(bot, sessionmaker, pacer).run(stop, interval, kick)
