"""At-least-once intake: updates are stored before Telegram is told, then handled per chat and removed."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.outbox import dead_owners
from dialogs.clock import utcnow
from storage.arrivals import Arrival, Inbox

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)  # a chat held by a process that died is taken over after this
POLL = 0.25  # also look for chats whose updates another process stored


def chat_of(update: dict[str, Any]) -> int:
    """The chat an update belongs to (the sender for chat-less updates, 0 when there is none)."""
    for key, event in update.items():
        if key == "update_id" or not isinstance(event, dict):
            continue
        for holder in (event, event.get("message") or {}):
            chat = holder.get("chat")
            if isinstance(chat, dict) and "id" in chat:
                return int(chat["id"])
        sender = event.get("from") or event.get("user")
        if isinstance(sender, dict) and "id" in sender:
            return int(sender["id"])
    return 0


class InboxProcessor:
    """Stores arrivals (webhook or polling) and handles them: each chat's line by one process at a time,
    oldest update first; a row is removed only after the dispatcher finished with it."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        sessionmaker,
        owner: str,
        concurrency: int = 32,
        lease: timedelta = LEASE,
        poll: float = POLL,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.dp, self.bot, self.sessionmaker, self.owner = dp, bot, sessionmaker, owner
        self.concurrency, self.lease, self.poll, self.clock = concurrency, lease, poll, clock
        self.kick = asyncio.Event()
        self._chats: dict[int, asyncio.Task] = {}
        self._draining = False
        self.handled = 0  # updates handed to the dispatcher by this process

    @property
    def bot_id(self) -> int:
        return self.bot.id

    async def store(self, updates: list[dict[str, Any]]) -> None:
        """Durably stored when this returns; only then may Telegram be told the updates arrived."""
        arrivals = [Arrival(int(u["update_id"]), chat_of(u), json.dumps(u, ensure_ascii=False)) for u in updates]
        async with self.sessionmaker() as db, db.begin():
            await Inbox(db).store(self.bot_id, arrivals, self.clock())
        self.kick.set()

    def in_flight(self) -> int:
        return len(self._chats)

    async def run(self, stop: asyncio.Event) -> None:
        """Claim waiting chats and handle them until `stop`; then `drain()` finishes what is in hand."""
        while not stop.is_set() and not self._draining:
            try:
                await self._claim_more()
            except Exception:
                log.exception("inbox: could not claim chats")
            self.kick.clear()
            waiters = [asyncio.ensure_future(self.kick.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    async def _claim_more(self) -> None:
        room = self.concurrency - len(self._chats)
        if room <= 0:
            return
        now = self.clock()
        async with self.sessionmaker() as db:
            inbox = Inbox(db)
            dead = dead_owners(await inbox.owners(self.bot_id), self.owner)  # killed on this host: no wait
            chats = await inbox.waiting_chats(self.bot_id, now, room, set(self._chats), dead)
        for chat in chats:
            async with self.sessionmaker() as db, db.begin():
                mine = await Inbox(db).claim(self.bot_id, chat, self.owner, now, now + self.lease, dead)
            if mine and not self._draining:
                self._chats[chat] = asyncio.create_task(self._line(chat))
            elif mine:
                await self._release(chat)

    async def _line(self, chat: int) -> None:
        inbox_kick = False
        try:
            while not self._draining:
                async with self.sessionmaker() as db:
                    row = await Inbox(db).head(self.bot_id, chat)
                if row is None:
                    break
                await self._handle(row.update_id, row.payload)
                async with self.sessionmaker() as db, db.begin():
                    inbox = Inbox(db)
                    await inbox.done(self.bot_id, row.update_id)
                    if not await inbox.renew(self.bot_id, chat, self.owner, self.clock() + self.lease):
                        log.warning("inbox: lease of a chat lapsed while handling it")
                        break
        except Exception:
            log.exception("inbox: handling stopped; the chat's updates wait for the next attempt")
            await asyncio.sleep(1)
            inbox_kick = True
        finally:
            try:
                await asyncio.shield(self._release(chat))
            finally:
                self._chats.pop(chat, None)
                if inbox_kick or not self._draining:
                    self.kick.set()  # anything stored meanwhile for this chat is claimed again

    async def _handle(self, update_id: int, payload: str) -> None:
        update = Update.model_validate(json.loads(payload), context={"bot": self.bot})
        try:
            await self.dp.feed_update(self.bot, update)
        finally:
            self.handled += 1

    async def _release(self, chat: int) -> None:
        async with self.sessionmaker() as db, db.begin():
            await Inbox(db).release(self.bot_id, chat, self.owner)

    async def drain(self, timeout: float = 10.0) -> int:
        """Stop taking chats, let each line finish the update in hand (at most `timeout` s), release the
        rest for another process or the next start. Returns the number of lines cut short."""
        self._draining = True
        tasks = list(self._chats.values())
        if not tasks:
            return 0
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2)
            log.warning("inbox: %d chats cut short at shutdown; their updates wait in the inbox", len(pending))
        return len(pending)
