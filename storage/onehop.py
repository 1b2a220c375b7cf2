"""aiosqlite, one thread hop per statement.

aiosqlite runs every call on the connection's own thread; SQLAlchemy's adapter
(`sqlalchemy.dialects.sqlite.aiosqlite`) makes a call, and so a hop to that thread and back, for each
DBAPI step: open a cursor, execute, fetch the rows, close the cursor. That is 3-4 hops per statement
(~0.15 ms of the event loop's CPU each on a small VM), more than the statement itself costs SQLite.
Here a statement is one function run on that thread: execute, fetch every row, close. Rows come back
fully fetched, as SQLAlchemy's own adapter already does for a client-side cursor; a server-side
cursor (`stream`) is SQLAlchemy's, unchanged.

Two more hops go: `BEGIN` is deferred and sent ahead of the transaction's first statement, in the
same hop (`defer_begin`), and COMMIT / ROLLBACK on a connection with no open transaction (the pool's
reset on return after a commit, a transaction that never ran a statement) do nothing, as sqlite3
itself would, without a hop. aiosqlite stays the driver: the engine is built with this module's
DBAPI (`create_async_engine(..., module=dbapi())`), the dialect is SQLAlchemy's `sqlite+aiosqlite`.
"""

from __future__ import annotations

import collections
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose `execute` is one call on the connection's thread."""

    __slots__ = ("description", "rowcount", "lastrowid", "arraysize")
    _awaitable_cursor_close = False  # nothing open on the thread once execute returned

    def __init__(self, adapt_connection: OneHopConnection):
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # no aiosqlite cursor: each execute opens and closes its own sqlite3 one
        self._soft_closed_memoized = {}
        self._rows = collections.deque()
        self.description = None
        self.rowcount = -1
        self.lastrowid = None
        self.arraysize = 1

    def _run(self, step) -> None:
        """`step(cursor)` on the connection's thread, with the cursor opened, fetched and closed there."""
        adapt = self._adapt_connection
        begin, adapt._pending_begin = adapt._pending_begin, None

        def call():
            raw = self._connection._conn
            if begin is not None:
                raw.execute(begin)
            cur = raw.cursor()
            try:
                step(cur)
                rows = cur.fetchall() if cur.description else ()
                return rows, cur.description, cur.rowcount, cur.lastrowid
            finally:
                cur.close()

        async def go():
            async with adapt._execute_mutex:
                return await self._connection._execute(call)

        try:
            rows, self.description, self.rowcount, self.lastrowid = await_(go())
        except Exception as error:  # noqa: BLE001 - the adapter maps it, as SQLAlchemy's cursor does
            adapt._handle_exception(error)
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> None:
        if parameters is None:
            self._run(lambda cur: cur.execute(operation))
        else:
            self._run(lambda cur: cur.execute(operation, parameters))

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._run(lambda cur: cur.executemany(operation, seq_of_parameters))

    def nextset(self) -> None:
        return None  # sqlite3 has one result set per statement

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_pending_begin",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any):
        super().__init__(dbapi, connection)
        self._pending_begin: str | None = None

    def defer_begin(self, statement: str = "BEGIN") -> None:
        """Open the transaction with `statement`, sent in the same hop as the next statement."""
        self._pending_begin = statement

    def _in_transaction(self) -> bool:
        # sqlite3 reads the flag without a thread check (sqlite3_get_autocommit); nothing else runs
        # on the connection's thread meanwhile: its calls are awaited one at a time.
        raw = self._connection._connection
        return raw is not None and raw.in_transaction

    def commit(self) -> None:
        self._pending_begin = None
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        self._pending_begin = None
        if self._in_transaction():
            super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        creator_fn = kw.pop("async_creator_fn", None)
        connection = creator_fn(*arg, **kw) if creator_fn else self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # aiosqlite >= 0.22 (pinned): the connection holds its thread
        return OneHopConnection(self, await_(connection))


def dbapi() -> OneHopDBAPI:
    import sqlite3

    import aiosqlite

    return OneHopDBAPI(aiosqlite, sqlite3)
