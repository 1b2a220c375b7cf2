"""Group commit: one writer per process runs the transactions of concurrent turns back to back in one
database transaction and commits them together (one COMMIT, one fsync), each caller released only
after the commit that holds its work.

A unit of work is a function `work(uow) -> result` (the runner's turn). The writer gives every item
its own session (its own identity map) on the batch's one connection, so an item reads what the
items before it in the batch wrote, as if they had committed one after the other; a draft's version
check therefore holds across a batch as across transactions.

Isolation without a savepoint per item (on SQLite a SAVEPOINT and its RELEASE are two more
statements each way through aiosqlite's thread): an item that raises rolls the batch back, and the
writer replays the batch in three parts - the items before it (together), the failing item alone
(its exception goes to its caller: a version conflict is retried by the runner as before), and the
items after it (together, with the same rule). So one failing item never fails its neighbours, and a
work function must be safe to run again (the runner's turn already is: it is retried on a version
conflict). Nothing outside the database is released before the commit: callers get their results
only then.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
MAX_BATCH = 64  # items per transaction: bounds the wait of the first item of a batch
_IN_ITEM = contextvars.ContextVar("in_group_writer_item", default=False)


@dataclass
class _Item:
    work: Callable[[UnitOfWork], Awaitable[Any]]
    future: asyncio.Future
    result: Any = field(default=None)


class GroupWriter:
    def __init__(self, engine: AsyncEngine, max_batch: int = MAX_BATCH):
        self.engine = engine
        self.max_batch = max_batch
        self._queue: list[_Item] = []
        self._task: asyncio.Task | None = None
        self.batches = 0  # committed transactions (for bench/ and tests)
        self.items = 0  # committed items

    async def run(self, work: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
        """Run `work` in the next batch; return its result once the batch's transaction committed."""
        if _IN_ITEM.get():  # it would wait for the batch it is part of
            raise RuntimeError("GroupWriter.run called from inside a unit of work it runs")
        item = _Item(work, asyncio.get_running_loop().create_future())
        self._queue.append(item)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await item.future

    async def close(self) -> None:
        """Wait for the batch in flight (and any queued behind it) to finish."""
        if self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _drain(self) -> None:
        # Items queued while a batch runs form the next one: the more arrive, the more share a commit.
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            batch = [i for i in batch if not i.future.cancelled()]
            try:
                await self._commit(batch)
            except BaseException as exc:  # e.g. the connection could not be opened: no item ran
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(exc))
                if not isinstance(exc, Exception):
                    raise

    async def _commit(self, batch: list[_Item]) -> None:
        if not batch:
            return
        failed_at, error, committed = None, None, False
        async with self.engine.connect() as conn:
            await conn.begin()
            for n, item in enumerate(batch):
                try:
                    item.result = await self._one(conn, item)
                except Exception as exc:  # noqa: BLE001 - handed to the item's caller below
                    failed_at, error = n, exc
                    break
            else:
                try:
                    await conn.commit()
                except Exception as exc:  # noqa: BLE001 - nothing of the batch is stored
                    error = exc
                else:
                    committed = True
            if conn.in_transaction():
                await conn.rollback()
        # Callers resume only once the connection is back in the pool: a caller that ends the
        # program (or a test that disposes the engine) never leaves the connection half-closed.
        if committed:
            self.batches += 1
            self.items += len(batch)
            for item in batch:
                if not item.future.done():
                    item.future.set_result(item.result)
            return
        if len(batch) == 1:
            if not batch[0].future.done():
                batch[0].future.set_exception(error)
            return
        if failed_at is None:  # the COMMIT failed: each item alone, so only one that cannot commit fails
            log.warning("a %d-item batch failed to commit; replaying its items one by one", len(batch))
            for item in batch:
                await self._commit([item])
            return
        log.info("an item of a %d-item batch failed; replaying its neighbours", len(batch))
        await self._commit(batch[:failed_at])
        await self._commit(batch[failed_at : failed_at + 1])
        await self._commit(batch[failed_at + 1 :])

    @staticmethod
    async def _one(conn: AsyncConnection, item: _Item) -> Any:
        # The item's session joins the batch's transaction: its commit only flushes, its rollback
        # (an exception in the unit of work) rolls the whole batch back for the replay above.
        def session() -> AsyncSession:
            return AsyncSession(bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only")

        token = _IN_ITEM.set(True)
        try:
            async with UnitOfWork(session) as uow:
                return await item.work(uow)
        finally:
            _IN_ITEM.reset(token)
