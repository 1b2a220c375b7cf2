"""Alembic migrations run from code: `python -m bot db upgrade` and the tests use this.

A serving process's start-up only needs to know the schema is current: `ensure_current` reads
`alembic_version` and compares it with `HEAD` over SQLAlchemy alone, and runs Alembic (importing
its machinery, ~0.1 s of CPU with mako and pygments, and every migration script) only when the
database is fresh or behind. tests/storage/test_storage.py checks that `HEAD` is Alembic's head, so a
new migration cannot be forgotten here.
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


def ensure_current(url: str) -> bool:
    """Migrate the database to the head unless it is there already; True if Alembic ran.

    Anything but exactly `HEAD` (a fresh database, an older one, one stamped by newer code) goes to
    Alembic's `upgrade head`, which migrates it, or refuses as it always did."""
    if current_revisions(url) == {HEAD}:
        return False
    upgrade(url)
    return True
