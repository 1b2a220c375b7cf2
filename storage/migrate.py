"""Alembic migrations run from code: `python -m bot db upgrade` and the tests use this.

A serving process's start-up only needs to know the schema is current: `ensure_current` reads
`alembic_version` and compares it with `HEAD` over SQLAlchemy alone, and runs Alembic (importing
its machinery, ~0.1 s of CPU with mako and pygments, and every migration script) only when the
database is behind (or stamped by newer code: Alembic refuses it). A fresh, empty database is
built as Alembic's cookbook says ("Building an Up to Date Database from Scratch"): the models'
`create_all`, then stamped `HEAD`, both in one transaction and without Alembic (~0.5 s of CPU less
than replaying every migration, SQLite's batch table copies included). tests/storage/test_storage.py
checks that `HEAD` is Alembic's head, so a new migration cannot be forgotten here, and that the
schema `create_all` builds is the one the migrations build, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0009"  # the head revision of storage/migrations/versions (the last one's `revision`)
VERSION_TABLE = "alembic_version"  # Alembic's default; env.py does not change it


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _outside_loop(fn, *args):
    """Alembic's env runs its own event loop; from inside a running loop, use a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    _outside_loop(command.upgrade, alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    _outside_loop(command.downgrade, alembic_config(url), revision)


async def stamped_revisions(conn) -> frozenset[str]:
    """The revisions stamped in the database of an async connection (empty: never migrated)."""
    from sqlalchemy import inspect, text

    if not await conn.run_sync(lambda c: inspect(c).has_table(VERSION_TABLE)):
        return frozenset()
    rows = await conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return frozenset(r[0] for r in rows)


async def _read_revisions(url: str) -> frozenset[str]:
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await stamped_revisions(conn)
    finally:
        await engine.dispose()


def current_revisions(url: str) -> frozenset[str]:
    """The revisions stamped in the database (empty: never migrated), read without Alembic."""
    return _outside_loop(asyncio.run, _read_revisions(url))


def _version_table():
    """Alembic's version table as Alembic creates it (alembic.runtime.migration), in a MetaData of
    its own: the models' metadata does not hold it, as it does not in a migrated database."""
    from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table

    return Table(
        VERSION_TABLE,
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )


_CREATE_LOCK = 0x6865_6265_6931  # PostgreSQL advisory lock key: one process builds a fresh database


async def _state(conn) -> str:
    """ "current" (stamped HEAD), "empty" (no table at all) or "other" (for Alembic to judge)."""
    from sqlalchemy import inspect

    names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    if not names:
        return "empty"
    return "current" if VERSION_TABLE in names and await stamped_revisions(conn) == {HEAD} else "other"


_LOCKED_TRIES = 50  # x 0.2 s: how long a start waits for another start's build of a fresh SQLite file


async def _current_or_created(url: str) -> str:
    """`_look_or_create`, again while SQLite says the database is locked: a fresh file is not in WAL
    mode yet, and switching it (each connection's first pragma, storage.db) is refused while another
    process starting on it holds its build transaction, whatever the busy timeout. The next look
    then finds it built ("current")."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(_LOCKED_TRIES):
        try:
            return await _look_or_create(url)
        except OperationalError as error:
            if "database is locked" not in str(error) or attempt == _LOCKED_TRIES - 1:
                raise
            await asyncio.sleep(0.2)
    raise AssertionError("unreachable")


async def _look_or_create(url: str) -> str:
    """One look (a plain read: no write lock on a restart); an empty database is then built and
    stamped in one write transaction that looks again first (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
    advisory lock), so two processes starting on one fresh database build it once."""
    from sqlalchemy import insert, text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from storage.db import make_engine
    from storage.models import Base

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            state = await _state(conn)
    finally:
        await engine.dispose()
    if state != "empty":
        return state
    engine = make_engine(url, poolclass=NullPool)  # SQLite: pragmas, BEGIN IMMEDIATE
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_LOCK})
            state = await _state(conn)
            if state == "empty":
                version = _version_table()
                await conn.run_sync(Base.metadata.create_all, checkfirst=False)
                await conn.run_sync(version.create, checkfirst=False)
                await conn.execute(insert(version).values(version_num=HEAD))
                state = "created"
    finally:
        await engine.dispose()
    return state


def ensure_current(url: str) -> str:
    """Bring the database to the head; says what it took: "current" (nothing), "created" (a fresh,
    empty database: the models' schema, stamped HEAD, without Alembic) or "migrated" (Alembic).

    Anything else (an older database, one stamped by newer code, tables but no stamp) goes to
    Alembic's `upgrade head`, which migrates it, or refuses as it always did."""
    state = _outside_loop(asyncio.run, _current_or_created(url))
    if state in ("current", "created"):
        return state
    upgrade(url)
    return "migrated"
