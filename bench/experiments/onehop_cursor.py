"""What-if for bench_updates.py --experiment: an aiosqlite cursor doing execute + fetch + close in one
thread hop (SQLAlchemy's adapter makes 3-4 hops per statement). Not used by the assistant."""

import collections

from sqlalchemy.dialects.sqlite import aiosqlite as sa_aiosqlite
from sqlalchemy.util.concurrency import await_


class OneHopCursor:
    server_side = False
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection):
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = collections.deque()
        self.description = None
        self.rowcount = -1
        self.lastrowid = None
        self.arraysize = 1
        self._soft_closed_memoized = {}

    async def _async_soft_close(self):
        return None

    def _run(self, fn):
        mutex = self._adapt_connection._execute_mutex
        conn = self._connection

        async def go():
            async with mutex:
                return await conn._execute(fn)

        try:
            rows, self.description, self.rowcount, self.lastrowid = await_(go())
        except Exception as error:  # noqa: BLE001 - handed to the adapter, as SQLAlchemy's own cursor does
            self._adapt_connection._handle_exception(error)
        self._rows = collections.deque(rows)

    def execute(self, operation, parameters=None):
        raw = self._connection._conn

        def run():
            cur = raw.cursor()
            try:
                if parameters is None:
                    cur.execute(operation)
                else:
                    cur.execute(operation, parameters)
                rows = cur.fetchall() if cur.description else []
                return rows, cur.description, cur.rowcount, cur.lastrowid
            finally:
                cur.close()

        self._run(run)

    def executemany(self, operation, seq):
        raw = self._connection._conn

        def run():
            cur = raw.cursor()
            try:
                cur.executemany(operation, seq)
                return [], cur.description, cur.rowcount, cur.lastrowid
            finally:
                cur.close()

        self._run(run)

    def setinputsizes(self, *a):
        pass

    def close(self):
        self._rows.clear()

    def __iter__(self):
        while self._rows:
            yield self._rows.popleft()

    def fetchone(self):
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size=None):
        size = size or self.arraysize
        return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]

    def fetchall(self):
        rows = list(self._rows)
        self._rows.clear()
        return rows


def install():
    sa_aiosqlite.AsyncAdapt_aiosqlite_connection._cursor_cls = OneHopCursor
