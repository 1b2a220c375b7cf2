"""At-least-once intake: updates are stored before Telegram is told, then handled per chat and removed.

The cost per update is kept to the answer's own transaction (bench/bench_e2e.py): a fetched batch is
stored and its chats' leases taken in one transaction (through the group writer when there is one),
the stored updates go to their chats' lines in memory (no read back, no decryption, no re-parse),
and each update's row is removed by the transaction that records the update (the answer's, or the
dedup middleware's: `storage.arrivals.Taken`), which also gives the chat's lease up when it was the
last one known and the inbox holds nothing more for the chat. A lease is renewed only when half of
it is gone. The periodic look-up (other processes' updates, chats of dead holders) backs off while
it finds nothing.

With the group writer, a chat whose line ran out is held for `hold` seconds more (its next update
usually follows its reply at once): a batch for it then takes no lease and its answers release none;
the lease goes in one statement once the chat stayed idle (`DELETE … WHERE NOT EXISTS`, which fails
while anything of the chat waits, stored by anyone: then that is read and handled). Updates another
process stored for a chat held here wait for that release, so at most `hold` seconds longer. A store
that finds a chat held by another live process looks again soon (the holder may be releasing it: on
PostgreSQL the holder's `NOT EXISTS` reads its statement's snapshot and can miss an update committed
meanwhile, which is then found by the look-up, not by the holder)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.outbox import dead_owners
from bot.telegram.dedup import inbox_arrival
from dialogs.clock import utcnow
from storage.arrivals import Arrival, Inbox, Taken
from storage.writer import GroupWriter

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)  # a chat held by a process that died is taken over after this
POLL = 0.25  # also look for chats whose updates another process stored
IDLE_POLL = 2.0  # ... backing off to this while the look-up finds nothing
HOLD = 1.0  # seconds an idle chat's lease is kept for its next update (with the group writer)


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


class _Line:
    """A chat held by this process: the updates known to wait (update_id order), ids seen, lease end."""

    def __init__(self, until: datetime, read_first: bool) -> None:
        self.queue: list[tuple[int, Any]] = []  # (update_id, Update | dict | stored payload)
        self.known: set[int] = set()
        self.until = until
        self.read_first = read_first  # what waits is not known: read it before anything else
        self.released = False  # the lease was given up (the inbox held nothing more for the chat)
        self.releasing = False  # the line asked for its lease to go (a store must take it again)
        self.idle = False  # out of updates, holding the lease for the chat's next one
        self.wake = asyncio.Event()  # set when updates are added (or the processor drains)

    def add(self, items: list[tuple[int, Any]]) -> None:
        fresh = [(u, x) for u, x in items if u not in self.known]
        if fresh:
            self.known.update(u for u, _ in fresh)
            self.queue = sorted(self.queue + fresh, key=lambda i: i[0])
            self.released = False  # whoever added them holds the lease again (store's claim)
            self.wake.set()


class InboxProcessor:
    """Stores arrivals (webhook or polling) and handles them: each chat's line by one process at a time,
    oldest update first; a row is removed only once the update took effect (in the same transaction)."""

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
        writer: GroupWriter | None = None,
        idle_poll: float = IDLE_POLL,
        hold: float = HOLD,
    ):
        self.dp, self.bot, self.sessionmaker, self.owner = dp, bot, sessionmaker, owner
        self.concurrency, self.lease, self.poll, self.clock = concurrency, lease, poll, clock
        self.writer, self.idle_poll = writer, max(idle_poll, poll)
        # Holding idle leases needs the group writer: it runs a store's and a release's work in the
        # order they were asked for, on one connection, so neither misses the other (`store`).
        self.hold = hold if writer is not None else 0.0
        self.kick = asyncio.Event()
        self._chats: dict[int, asyncio.Task] = {}
        self._lines: dict[int, _Line] = {}
        self._running = False
        self._draining = False
        self.handled = 0  # updates handed to the dispatcher by this process

    @property
    def bot_id(self) -> int:
        return self.bot.id

    async def _write(self, work: Callable[[Inbox], Awaitable[Any]]) -> Any:
        """One write transaction: a unit of work of the group writer (sharing its COMMIT), else its own."""
        if self.writer is not None:
            return await self.writer.run(lambda uow: work(Inbox(uow.db)))
        async with self.sessionmaker() as db, db.begin():
            return await work(Inbox(db))

    async def store(self, updates: list[dict[str, Any]], parsed: list[Update] | None = None) -> None:
        """Durably stored when this returns; only then may Telegram be told the updates arrived. While
        `run` runs, the same transaction takes the leases of the updates' chats, and the updates go to
        their lines in memory (`parsed`: the same updates as aiogram objects, not parsed again)."""
        arrivals = [Arrival(int(u["update_id"]), chat_of(u), json.dumps(u, ensure_ascii=False)) for u in updates]
        if not arrivals:
            return
        now = self.clock()
        take = self._running and not self._draining and self.in_flight() < self.concurrency
        chats = {a.chat_id for a in arrivals}

        held: set[int] = set()

        async def work(inbox: Inbox) -> tuple[set[int], set[int], list[tuple[int, int, str]]]:
            nonlocal held
            inserted = await inbox.store(self.bot_id, arrivals, now)
            if not take:
                return inserted, set(), []
            # Chats whose line holds a lease well inside its term need no claim. Decided here, as the
            # writer runs this: a release asked for before it is seen (`releasing`: claim again), and
            # one asked for after it runs after it, so its NOT EXISTS sees the rows inserted above.
            held = {c for c in chats if self._holds(c, now)} if self.hold else set()
            mine = held | await inbox.claim_many(self.bot_id, chats - held, self.owner, now, now + self.lease)
            # What else waits in those chats (stored before, or by another process): their lines' start.
            older = await inbox.waiting(self.bot_id, mine, inserted)
            return inserted, mine, [(r.update_id, r.chat_id, r.payload) for r in older]

        inserted, mine, older = await self._write(work)
        if not take or len(mine) < len(chats):
            self.kick.set()  # a chat held by another process: look again soon, it may be letting it go
        if not take:
            return
        objects = parsed if parsed is not None and len(parsed) == len(updates) else updates
        items: dict[int, list[tuple[int, Any]]] = {c: [] for c in mine}
        for a, obj in zip(arrivals, objects, strict=True):
            if a.chat_id in mine and a.update_id in inserted:
                items[a.chat_id].append((a.update_id, obj))
        for update_id, chat, payload in older:
            items[chat].append((update_id, payload))
        until = now + self.lease
        for chat, got in items.items():  # no await in this loop: a line sees all or nothing of it
            line = self._lines.get(chat)
            if line is not None:
                if chat not in held:  # claimed just now (a held line keeps its own term)
                    line.until = max(line.until, until)
                line.add(got)
            elif chat in held:  # its line ended meanwhile (cut short): not claimed, so the look-up takes it
                self.kick.set()
            elif not self._draining:
                self._start(chat, until, got)
            else:
                self.kick.set()  # released below; the updates wait for the next start
        if self._draining:
            for chat in mine:
                if chat not in self._lines:
                    await self._release(chat)

    def in_flight(self) -> int:
        """Lines handling updates (not those only holding an idle chat's lease)."""
        return len(self._chats) - sum(1 for line in self._lines.values() if line.idle)

    def _holds(self, chat: int, now: datetime) -> bool:
        """This process's line for `chat` holds its lease, well inside its term, and keeps it."""
        line = self._lines.get(chat)
        return (
            line is not None
            and not (line.released or line.releasing or line.read_first)
            and line.until - now > self.lease / 2
        )

    def _start(self, chat: int, until: datetime, items: list[tuple[int, Any]] | None) -> None:
        line = self._lines[chat] = _Line(until, read_first=items is None)
        line.add(items or [])
        self._chats[chat] = asyncio.create_task(self._line(chat, line))

    async def run(self, stop: asyncio.Event) -> None:
        """Claim waiting chats and handle them until `stop`; then `drain()` finishes what is in hand."""
        self._running = True
        wait = self.poll
        try:
            while not stop.is_set() and not self._draining:
                found = 0
                try:
                    found = await self._claim_more()
                except Exception:
                    log.exception("inbox: could not claim chats")
                kicked = self.kick.is_set()
                self.kick.clear()
                wait = self.poll if found or kicked else min(wait * 2, self.idle_poll)
                waiters = [asyncio.ensure_future(self.kick.wait()), asyncio.ensure_future(stop.wait())]
                await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                for w in waiters:
                    w.cancel()
        finally:
            self._running = False

    async def _claim_more(self) -> int:
        room = self.concurrency - self.in_flight()
        if room <= 0:
            return 0
        now = self.clock()
        async with self.sessionmaker() as db:
            inbox = Inbox(db)
            dead = dead_owners(await inbox.owners(self.bot_id), self.owner)  # killed on this host: no wait
            chats = await inbox.waiting_chats(self.bot_id, now, room, set(self._chats), dead)
        for chat in chats:
            if chat in self._lines:  # stored and taken meanwhile (store)
                continue
            mine = await self._write(
                lambda inbox, chat=chat: inbox.claim(self.bot_id, chat, self.owner, now, now + self.lease, dead)
            )
            if chat in self._lines:  # ours already: the line started while the claim ran
                continue
            if mine and not self._draining:
                self._start(chat, now + self.lease, None)
            elif mine:
                await self._release(chat)
        return len(chats)

    async def _line(self, chat: int, line: _Line) -> None:
        cut = False
        try:
            while not self._draining:
                if line.read_first or not line.queue:
                    # Nothing more known: held a moment for the chat's next update (`hold`), then the
                    # lease goes unless something waits, which is then read.
                    if not line.read_first and self.hold and await self._idle(line):
                        continue
                    if self._draining:
                        break
                    if not line.read_first and await self._release_if_idle(chat, line):
                        line.released = True
                        if not line.queue:  # else a store that came meanwhile took the lease again
                            break
                        continue
                    line.read_first = False
                    async with self.sessionmaker() as db:
                        rows = await Inbox(db).waiting(self.bot_id, {chat})
                    line.queue = [(r.update_id, r.payload) for r in rows]  # the inbox is what waits
                    line.known.update(u for u, _ in line.queue)
                    continue
                if self.clock() > line.until - self.lease / 2 and not await self._renew(chat, line):
                    log.warning("inbox: lease of a chat lapsed while handling it")
                    cut = True
                    break
                update_id, obj = line.queue.pop(0)
                taken = Taken(self.bot_id, update_id, chat, self.owner, last=not (line.queue or self.hold))
                await self._handle(obj, taken)
                if not taken.removed:  # not recorded by anyone (a duplicate, an update no handler took)
                    taken.last = not (line.queue or self.hold)
                    await self._write(lambda inbox, t=taken: t.settle(inbox.db))
                    taken.settled()
                line.released = taken.released and not line.queue
                if line.released:
                    break
        except Exception:
            log.exception("inbox: handling stopped; the chat's updates wait for the next attempt")
            await asyncio.sleep(1)
            cut = True
        finally:
            try:
                if cut or not line.released:
                    await asyncio.shield(self._release(chat))
            finally:
                if self._lines.get(chat) is line:
                    del self._lines[chat]
                self._chats.pop(chat, None)
                if cut:
                    self.kick.set()  # anything stored meanwhile for this chat is claimed again

    async def _idle(self, line: _Line) -> bool:
        """Hold the lease up to `hold` s for the chat's next update; True when one came."""
        line.wake.clear()
        line.idle = True
        try:
            await asyncio.wait_for(line.wake.wait(), timeout=self.hold)
        except TimeoutError:
            pass
        finally:
            line.idle = False
        return bool(line.queue)

    async def _release_if_idle(self, chat: int, line: _Line) -> bool:
        line.releasing = True  # from here a store claims the chat again (`_holds`)
        try:
            return await self._write(lambda inbox: inbox.release_if_idle(self.bot_id, chat, self.owner))
        finally:
            line.releasing = False

    async def _renew(self, chat: int, line: _Line) -> bool:
        until = self.clock() + self.lease
        if await self._write(lambda inbox: inbox.renew(self.bot_id, chat, self.owner, until)):
            line.until = until
            return True
        return False

    async def _handle(self, obj: Any, taken: Taken) -> None:
        if isinstance(obj, Update):
            update = obj
        else:
            update = Update.model_validate(json.loads(obj) if isinstance(obj, str) else obj, context={"bot": self.bot})
        token = inbox_arrival.set(taken)
        try:
            await self.dp.feed_update(self.bot, update)
        finally:
            inbox_arrival.reset(token)
            self.handled += 1

    async def _release(self, chat: int) -> None:
        await self._write(lambda inbox: inbox.release(self.bot_id, chat, self.owner))

    async def drain(self, timeout: float = 10.0) -> int:
        """Stop taking chats, let each line finish the update in hand (at most `timeout` s), release the
        rest for another process or the next start. Returns the number of lines cut short."""
        self._draining = True
        for line in self._lines.values():
            line.wake.set()  # lines holding an idle chat let it go now
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
