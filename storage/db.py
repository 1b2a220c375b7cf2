"""Async engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import weakref
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.health import DatabaseGone, FileWatch, sqlite_path


_WATCHES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def make_engine(url: str, **kwargs) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        file = sqlite_path(url)
        watch = FileWatch(file) if file is not None else None
        _WATCHES[engine.sync_engine] = watch

        def on_connect(dbapi_conn, record) -> None:
            _sqlite_connect(dbapi_conn, record)
            if watch is not None:
                watch.remember()

        def on_begin(conn) -> None:
            # Nothing is written into a deleted or replaced file: a stat per transaction (microseconds).
            if watch is not None and (problem := watch.problem()):
                raise DatabaseGone(problem)
            _sqlite_begin(conn)

        event.listen(engine.sync_engine, "connect", on_connect)
        event.listen(engine.sync_engine, "begin", on_begin)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_connect(dbapi_conn, _record) -> None:
    # SQLAlchemy's recipe for pysqlite/aiosqlite: the driver's own transaction handling is switched
    # off (it emits no BEGIN before a SAVEPOINT, so a savepoint's RELEASE would commit on its own),
    # and the "begin" event below emits BEGIN. The pragmas run here, outside any transaction.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn) -> None:
    # IMMEDIATE takes the write lock up front (waiting up to busy_timeout): a deferred transaction
    # that read first and writes later fails at once with "database is locked" when another process
    # committed in between, since SQLite cannot upgrade a stale read snapshot.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def file_watch(engine: AsyncEngine) -> FileWatch | None:
    return _WATCHES.get(engine.sync_engine)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
