"""Sends one claimed outbox row: the one place where Telegram's retry_after, network errors and refusals
are handled, for both senders (an answer's replies, bot.telegram.replies; the notifier, bot.notifier)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from bot.outbox import LEASE
from bot.pacing import Pacer
from bot.telegram.render import send_body
from dialogs.clock import utcnow
from storage.cases import Notifications
from storage.helpdesk import Tickets
from storage.models import Notification
from storage.writer import GroupWriter

log = logging.getLogger(__name__)
T = TypeVar("T")
Write = Callable[[Callable[[Notifications], Awaitable[T]]], Awaitable[T]]
MAX_ATTEMPTS = 5  # failed calls before a row is given up
RETRY_REPLY, RETRY_OTHER = 2.0, 5.0  # seconds before a failed row is tried again, doubling with each failure


def is_reply(row: Notification) -> bool:
    return row.kind == "reply" or (row.body or {}).get("kind") == "reply"


def transactions(sessionmaker, writer: GroupWriter | None = None) -> Write:
    """One transaction on the outbox rows per call: through the group writer when there is one."""

    async def write(fn: Callable[[Notifications], Awaitable[T]]) -> T:
        if writer is not None:
            return await writer.run(lambda uow: fn(uow.notifications))
        async with sessionmaker() as db, db.begin():
            return await fn(Notifications(db))

    return write


class RowSender:
    """Claimed row -> "sending" (committed just before the call) -> removed (a reply) or "sent"; a call
    that failed makes it pending again, so only a kill during the call leaves it "sending" (see
    bot.notifier.Notifier for what becomes of it)."""

    def __init__(
        self,
        write: Write,
        owner: str,
        pacer: Pacer,
        *,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        lease: timedelta = LEASE,
    ) -> None:
        self.write, self.owner, self.pacer = write, owner, pacer
        self.clock, self.sleep, self.lease = clock, sleep, lease

    async def send(
        self,
        bot: Bot,
        row: Notification,
        *,
        gap: bool,
        tries: int = 1,
        inline_wait: float = 0.0,
        marked: bool = True,
    ) -> datetime | None:
        """None once done with the row: shown, given up, or taken by another sender meanwhile. Else when
        it may be tried again: then it is pending, unclaimed and due at that time (the caller keeps the
        chat's later rows behind it). Up to `tries` calls here, waiting out a retry_after of at most
        `inline_wait` s; `gap`: keep the pace between messages of the chat (an answer's replies go at once).
        `marked=False`: the first call goes without the "sending" mark (the reply fast path: rows its
        own committed answer just wrote and claimed; a reply interrupted either way is sent again)."""
        chat = int(row.chat_id)
        for attempt in range(1, tries + 1):
            if (marked or attempt > 1) and not await self.write(lambda repo: repo.sending(row.id, self.owner)):
                return None
            try:
                await self.pacer.take(chat, gap=gap)
                msg = await send_body(bot, chat, row.body or {})
            except TelegramRetryAfter as e:
                self.pacer.hold(chat, e.retry_after)
                if e.retry_after > inline_wait or attempt == tries:
                    retry_at = self.clock() + timedelta(seconds=e.retry_after)
                    await self.write(lambda repo, at=retry_at: repo.release(row.id, at))
                    return retry_at
                await self._pending(row.id)
                await self.sleep(e.retry_after)
                continue
            except (TelegramNetworkError, TelegramServerError) as e:
                log.warning("notification %s not sent (%s), attempt %d", row.id, type(e).__name__, attempt)
                if attempt == tries:
                    return await self._failed(row, give_up=False)
                await self._pending(row.id)
                await self.sleep(0.5 * 2 ** (attempt - 1))
                continue
            except (TelegramAPIError, ValueError) as e:  # refused (e.g. the user blocked the bot)
                log.warning("notification %s refused: %s", row.id, type(e).__name__)
                return await self._failed(row, give_up=is_reply(row))  # a reply for good
            self.pacer.sent(chat)
            await self.write(lambda repo, m=msg.message_id: self._done(repo, row, m))
            return None
        return None  # not reached: the last attempt returns

    async def _done(self, repo: Notifications, row: Notification, message_id: int) -> None:
        if is_reply(row):  # once shown, not kept (it may quote what the applicant entered)
            await repo.remove(row.id)
            return
        await repo.mark_sent(row.id, self.clock())
        ticket_id = (row.body or {}).get("ticket_id")
        if ticket_id:  # staff reply to this message to answer the ticket
            await Tickets(repo.db).attach_staff_message(ticket_id, int(row.chat_id), message_id)

    async def _pending(self, row_id: int) -> None:
        """Back from "sending" (the call failed, so nothing was shown), still ours, for a while longer."""
        until = self.clock() + self.lease
        await self.write(lambda repo: repo.unsend(row_id, self.owner, until))

    async def _failed(self, row: Notification, give_up: bool) -> datetime | None:
        give_up = give_up or row.attempts + 1 >= MAX_ATTEMPTS
        base = RETRY_REPLY if is_reply(row) else RETRY_OTHER
        retry_at = None if give_up else self.clock() + timedelta(seconds=base * 2**row.attempts)
        await self.write(lambda repo: repo.mark_failed(row.id, give_up=give_up, retry_at=retry_at))
        return retry_at
