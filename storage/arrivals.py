"""The inbox: Telegram updates stored before they are confirmed, and who handles each chat's line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import InboxChat, InboxUpdate


@dataclass(frozen=True)
class Arrival:
    update_id: int
    chat_id: int
    payload: str


@dataclass
class Taken:
    """An update a chat's line is handling, removed from the inbox by the transaction that records it
    (the answer's own, or the dedup middleware's), so handling it costs no transaction of its own.
    `last`: nothing else of the chat is known to wait, so that transaction also gives the chat's lease
    up when the inbox holds nothing more for it. `removed` and `released` are set by the caller once
    that transaction committed (`settled`); `settle` may run again (a replayed or retried turn)."""

    bot_id: int
    update_id: int
    chat_id: int
    owner: str
    last: bool = False
    removed: bool = False
    released: bool = False
    _released: bool = field(default=False, repr=False)

    async def settle(self, db: AsyncSession) -> None:
        """In the caller's transaction: the update's row goes, and the lease too when `last` and idle."""
        inbox = Inbox(db)
        await inbox.done(self.bot_id, self.update_id)
        self._released = self.last and await inbox.release_if_idle(self.bot_id, self.chat_id, self.owner)

    def settled(self) -> None:
        self.removed, self.released = True, self._released


_U, _C = InboxUpdate.__table__, InboxChat.__table__
# The statements run for every update, built once (their compiled form is cached by SQLAlchemy) and
# run as Core statements on the session's connection: no ORM bulk-DML bookkeeping per statement.
_DONE = delete(_U).where(_U.c.bot_id == bindparam("b"), _U.c.update_id == bindparam("u"))
_RELEASE_IF_IDLE = delete(_C).where(
    _C.c.bot_id == bindparam("b"),
    _C.c.chat_id == bindparam("c"),
    _C.c.owner == bindparam("o"),
    ~exists().where(_U.c.bot_id == bindparam("b"), _U.c.chat_id == bindparam("c")),
)


class Inbox:
    """Each chat's updates are handled by one process at a time (the chat's lease), in update_id order."""

    def __init__(self, db: AsyncSession):
        self.db = db

    async def _core(self, statement, params: dict | None = None):
        """A Core statement on the session's connection (in its transaction)."""
        return await (await self.db.connection()).execute(statement, params)

    async def store(self, bot_id: int, arrivals: list[Arrival], now: datetime) -> set[int]:
        """Idempotent: an update already waiting is kept once. One statement; returns the update ids it
        inserted (not those already waiting)."""
        if not arrivals:
            return set()
        rows = [
            {"bot_id": bot_id, "update_id": a.update_id, "chat_id": a.chat_id, "payload": a.payload, "received_at": now}
            for a in arrivals
        ]
        q = insert_for(self.db)(_U).values(rows).on_conflict_do_nothing().returning(_U.c.update_id)
        return set((await self._core(q)).scalars())

    async def claim_many(self, bot_id: int, chats: set[int], owner: str, now: datetime, until: datetime) -> set[int]:
        """Take the leases of `chats` that are free, lapsed or already ours, in one statement; returns
        the chats now held by `owner` (a chat held by a live process is left to it)."""
        if not chats:
            return set()
        ins = insert_for(self.db)(_C).values(
            [{"bot_id": bot_id, "chat_id": c, "owner": owner, "lease_until": until} for c in sorted(chats)]
        )
        q = ins.on_conflict_do_update(
            index_elements=[_C.c.bot_id, _C.c.chat_id],
            set_={"owner": ins.excluded.owner, "lease_until": ins.excluded.lease_until},
            where=(_C.c.lease_until < now) | (_C.c.owner == owner) | _C.c.owner.is_(None),
        ).returning(_C.c.chat_id)
        return set((await self._core(q)).scalars())

    async def waiting(self, bot_id: int, chats: set[int], besides: set[int] = frozenset()) -> list:
        """The waiting updates of `chats` other than `besides` (rows of update_id, chat_id, payload), in
        update_id order (one statement)."""
        if not chats:
            return []
        q = select(_U.c.update_id, _U.c.chat_id, _U.c.payload).where(
            _U.c.bot_id == bot_id, _U.c.chat_id.in_(sorted(chats))
        )
        if besides:
            q = q.where(_U.c.update_id.not_in(sorted(besides)))
        return list(await self._core(q.order_by(_U.c.update_id)))

    async def release_if_idle(self, bot_id: int, chat_id: int, owner: str) -> bool:
        """Give the chat's lease up unless an update of it waits (stored by anyone meanwhile): one statement,
        so no update is left waiting with nobody holding its chat."""
        got = await self._core(_RELEASE_IF_IDLE, {"b": bot_id, "c": chat_id, "o": owner})
        return bool(got.rowcount)

    async def owners(self, bot_id: int) -> list[str]:
        q = select(InboxChat.owner).where(InboxChat.bot_id == bot_id).distinct()
        return [o for o in (await self.db.execute(q)).scalars() if o]

    async def waiting_chats(
        self, bot_id: int, now: datetime, limit: int, busy: set[int], dead: frozenset[str] = frozenset()
    ) -> list[int]:
        """Chats with waiting updates that nobody holds (or whose holder's lease lapsed, or whose holder is
        known dead), oldest first."""
        free = (InboxChat.chat_id.is_(None)) | (InboxChat.lease_until < now)
        if dead:
            free = free | InboxChat.owner.in_(dead)
        q = (
            select(InboxUpdate.chat_id)
            .outerjoin(InboxChat, (InboxChat.bot_id == InboxUpdate.bot_id) & (InboxChat.chat_id == InboxUpdate.chat_id))
            .where(InboxUpdate.bot_id == bot_id, free)
            .group_by(InboxUpdate.chat_id)
            .order_by(func.min(InboxUpdate.update_id))
            .limit(limit + len(busy))
        )
        return [c for c in (await self.db.execute(q)).scalars() if c not in busy][:limit]

    async def claim(
        self, bot_id: int, chat_id: int, owner: str, now: datetime, until: datetime, dead: frozenset[str] = frozenset()
    ) -> bool:
        """Take the chat's lease: a new one, or one whose holder let it lapse or died. In its own transaction."""
        got = await self.db.execute(
            insert_for(self.db)(InboxChat)
            .values(bot_id=bot_id, chat_id=chat_id, owner=owner, lease_until=until)
            .on_conflict_do_nothing()
        )
        if got.rowcount:
            return True
        taken = await self.db.execute(
            update(InboxChat)
            .where(
                InboxChat.bot_id == bot_id,
                InboxChat.chat_id == chat_id,
                (InboxChat.lease_until < now) | (InboxChat.owner == owner) | InboxChat.owner.in_(dead or {owner}),
            )
            .values(owner=owner, lease_until=until)
        )
        return bool(taken.rowcount)

    async def renew(self, bot_id: int, chat_id: int, owner: str, until: datetime) -> bool:
        got = await self.db.execute(
            update(InboxChat)
            .where(InboxChat.bot_id == bot_id, InboxChat.chat_id == chat_id, InboxChat.owner == owner)
            .values(lease_until=until)
        )
        return bool(got.rowcount)

    async def release(self, bot_id: int, chat_id: int, owner: str) -> None:
        await self.db.execute(
            delete(InboxChat).where(InboxChat.bot_id == bot_id, InboxChat.chat_id == chat_id, InboxChat.owner == owner)
        )

    async def head(self, bot_id: int, chat_id: int) -> InboxUpdate | None:
        """The chat's oldest waiting update."""
        q = (
            select(InboxUpdate)
            .where(InboxUpdate.bot_id == bot_id, InboxUpdate.chat_id == chat_id)
            .order_by(InboxUpdate.update_id)
            .limit(1)
        )
        return (await self.db.execute(q)).scalar_one_or_none()

    async def done(self, bot_id: int, update_id: int) -> None:
        await self._core(_DONE, {"b": bot_id, "u": update_id})

    async def depth(self) -> tuple[int, datetime | None]:
        """Waiting updates and the oldest one's arrival (for /metrics)."""
        n, oldest = (await self.db.execute(select(func.count(), func.min(InboxUpdate.received_at)))).one()
        return n, oldest

    async def ids(self, bot_id: int) -> list[int]:
        q = select(InboxUpdate.update_id).where(InboxUpdate.bot_id == bot_id).order_by(InboxUpdate.update_id)
        return list((await self.db.execute(q)).scalars())
