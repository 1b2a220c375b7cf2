"""Async engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.keyring import KeyRing
from storage.sealed import bind_keyring


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    return Path(path) if path and path != ":memory:" else None


def secure_sqlite_file(url: str) -> None:
    """Create the database file owner-only before SQLite does: its WAL and SHM files copy its mode."""
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            os.chmod(p, 0o600)
        except FileNotFoundError:
            pass


def make_engine(url: str, keyring: KeyRing | None = None, **kwargs) -> AsyncEngine:
    """`keyring` seals the personal-data columns; without one (tests, tools) a random ring that
    lives as long as the engine is used, so nothing is ever written in plain. SQL parameters are
    kept out of logs and error messages (hide_parameters)."""
    if url.startswith("sqlite"):
        secure_sqlite_file(url)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    bind_keyring(engine.dialect, keyring or KeyRing.ephemeral())
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
