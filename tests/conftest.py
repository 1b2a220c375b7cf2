"""Shared fixtures: one engine per run, a migrated database per test, a fixed clock."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest

import bot  # noqa: F401 - first, as in the bot process: aiogram's types are built when first used
from dialogs.engine import Engine
from dialogs.workdays import WorkCalendar
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday, 10:00 in Beijing
PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")


@pytest.fixture(scope="session")
def faq():
    from dialogs.faq import FaqIndex, load_bank

    index = FaqIndex(load_bank())
    index.warm_up()
    return index


@pytest.fixture(scope="session")
def engine(faq) -> Engine:
    return Engine(faq=faq)


@pytest.fixture
def clock():
    return lambda: NOW


def _pg_fresh_url(base: str) -> str:
    """A new empty database per test on the PostgreSQL server behind TEST_DATABASE_URL."""
    import asyncio

    import asyncpg

    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = base.replace("postgresql+asyncpg://", "postgresql://")

    async def create() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create()).result()
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}"


DB_KINDS = ["sqlite", "postgresql"]


@pytest.fixture(params=DB_KINDS)
def db_url(request, tmp_path) -> str:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(
                "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres)"
            )
        url = _pg_fresh_url(PG_URL)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def sessionmaker(sqlite_url):
    eng = make_engine(sqlite_url)
    yield make_sessionmaker(eng)
    await eng.dispose()


@pytest.fixture
def blobs(tmp_path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


@pytest.fixture(scope="session")
def intake_pool(tmp_path_factory):
    """The real intake workers (separate processes with memory and time caps), shared by the run."""
    from bot.intake import IntakePool

    pool = IntakePool(spool=tmp_path_factory.mktemp("spool"))
    yield pool
    pool.close()


@pytest.fixture
async def runner(engine, sessionmaker, blobs, calendar, clock, intake_pool):
    from bot.runner import Runner
    from storage.writer import GroupWriter

    # The production path: group commit (tests that build a Runner themselves cover the per-turn path).
    writer = GroupWriter(sessionmaker.kw["bind"])
    return Runner(engine, sessionmaker, blobs, calendar, clock=clock, intake=intake_pool, writer=writer)


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("Redis tests need TEST_REDIS_URL (or REDIS_URL), e.g. redis://127.0.0.1:6379/0")
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> str:
    """Keys of one test only: tests running at once (or again) never share a window."""
    return f"test-{uuid.uuid4().hex[:12]}"
