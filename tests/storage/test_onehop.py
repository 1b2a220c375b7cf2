"""SQLite through aiosqlite, one thread hop per statement (storage.onehop): counted at aiosqlite's
own queue. The transaction still takes the write lock before its first statement runs, errors are
SQLAlchemy's as before, and a clean connection goes back to the pool without a ROLLBACK."""

from __future__ import annotations

import sqlite3

import aiosqlite.core
import pytest
from sqlalchemy import exc, select, text

from storage.db import make_engine, make_sessionmaker, sqlite_path
from storage.models import Event
from storage.uow import UnitOfWork
from tests.conftest import NOW


@pytest.fixture
def hops(monkeypatch) -> list[int]:
    count = [0]
    orig = aiosqlite.core.Connection._execute

    async def counted(self, fn, *a, **k):
        count[0] += 1
        return await orig(self, fn, *a, **k)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    return count


@pytest.fixture
async def eng(sqlite_url):
    e = make_engine(sqlite_url)
    async with e.connect() as conn:  # the pool's connection opened (its pragmas are hops too)
        await conn.execute(text("SELECT 1"))
    yield e
    await e.dispose()


async def test_a_transaction_costs_one_hop_per_statement_and_one_for_its_commit(eng, hops):
    async with UnitOfWork(make_sessionmaker(eng)) as uow:
        applicant = await uow.applicants.get_or_create("telegram", "1")  # SELECT, INSERT applicant
        uow.events.add("probe", "test", {"n": 1}, applicant_id=applicant.id)
        await uow.flush()  # INSERT event
        assert await uow.events.count_since("probe", applicant.id, NOW.replace(year=2000)) == 1  # SELECT
    # BEGIN rode with the first statement; no ROLLBACK when the clean connection went back to the pool.
    assert hops[0] == 4 + 1


async def test_reads_cost_one_hop_each(eng, hops):
    async with eng.connect() as conn:
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        rows = (await conn.execute(text("SELECT value FROM json_each('[1,2,3]')"))).all()
        assert [r[0] for r in rows] == [1, 2, 3]
    assert hops[0] == 2 + 1  # and the ROLLBACK: every transaction holds the write lock (IMMEDIATE)


async def test_a_transaction_with_no_statement_costs_nothing(eng, hops):
    async with eng.begin():
        pass
    assert hops[0] == 0


async def test_the_write_lock_is_taken_with_the_first_statement(eng):
    """BEGIN IMMEDIATE is deferred to the first statement's hop, not dropped: from then on another
    connection cannot start writing."""
    other = sqlite3.connect(sqlite_path(str(eng.url)), timeout=0, isolation_level=None)
    try:
        async with eng.begin() as conn:
            await conn.execute(select(Event.id).limit(1))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # committed: free again
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_errors_are_sqlalchemys_and_the_transaction_rolls_back(eng, hops):
    async with eng.connect() as conn:
        await conn.begin()
        await conn.execute(text("CREATE TEMP TABLE t (k INTEGER PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(exc.IntegrityError):
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT count(*) FROM sqlite_temp_master WHERE name = 't'"))).scalar() == 0
    assert hops[0] == 3 + 1 + 1 + 1  # three statements, the ROLLBACK, the count and its transaction's ROLLBACK
