"""Async engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import weakref
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.health import DatabaseGone, FileWatch
from storage.keyring import KeyRing
from storage.onehop import dbapi as onehop_dbapi
from storage.sealed import bind_keyring

_WATCHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def insert_for(db):
    """The INSERT construct of the session's (or connection's) database, for its ON CONFLICT clauses.
    Imported from the database's own dialect package, already loaded by its engine: an SQLite bot
    never imports the PostgreSQL dialect (~0.03 s of its start-up)."""
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _sqlite_target(url: str) -> tuple[Path | None, bool]:
    """(the database file, whether it is opened read-only). With `uri=true` the database part is an
    SQLite URI (`file:/abs/path?mode=ro`, `file:///abs/path`, `file:rel/path`): its path is what is
    opened, not a relative folder named `file:`; an in-memory database has no file."""
    if not url.startswith("sqlite"):
        return None, False
    parsed = make_url(url)
    database, query = parsed.database or "", parsed.query
    if database.startswith("file:") and str(query.get("uri", "")).lower() in ("true", "1"):
        uri = urlsplit(database)
        if uri.netloc not in ("", "localhost"):
            return None, False
        params = {k: v[-1] for k, v in parse_qs(uri.query).items()}
        params.update({k: v if isinstance(v, str) else v[-1] for k, v in query.items()})
        if params.get("mode") == "memory" or params.get("vfs") == "memdb":
            return None, False
        database = unquote(uri.path)
        return (Path(database) if database and database != ":memory:" else None), params.get("mode") == "ro"
    return (Path(database) if database and database != ":memory:" else None), False


def sqlite_path(url: str) -> Path | None:
    return _sqlite_target(url)[0]


def secure_sqlite_file(url: str) -> None:
    """Create the database file owner-only before SQLite does: its WAL and SHM files copy its mode.
    A read-only URI (`mode=ro`) creates nothing: SQLite would not either."""
    path, read_only = _sqlite_target(url)
    if path is None or read_only:
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            os.chmod(p, 0o600)
        except FileNotFoundError:
            pass
        except PermissionError:  # a read-only (immutable) file: the write check at start reports it
            pass


def make_engine(url: str, keyring: KeyRing | None = None, **kwargs) -> AsyncEngine:
    """`keyring` seals the personal-data columns; without one (tests, tools) a random ring that
    lives as long as the engine is used, so nothing is ever written in plain. SQL parameters are
    kept out of logs and error messages (hide_parameters). SQLite goes through aiosqlite with one
    thread hop per statement (storage.onehop)."""
    if url.startswith("sqlite"):
        secure_sqlite_file(url)
        if make_url(url).get_driver_name() == "aiosqlite":
            kwargs.setdefault("module", onehop_dbapi())
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)
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
    else:
        engine = create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    bind_keyring(engine.dialect, keyring or KeyRing.ephemeral())
    return engine


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
    # committed in between, since SQLite cannot upgrade a stale read snapshot. On the one-hop
    # connection it goes with the transaction's first statement (no hop of its own); a transaction
    # that runs no statement opens none.
    dbapi_conn = conn.connection.dbapi_connection
    if hasattr(dbapi_conn, "defer_begin"):
        dbapi_conn.defer_begin("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def file_watch(engine: AsyncEngine) -> FileWatch | None:
    return _WATCHES.get(engine.sync_engine)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
