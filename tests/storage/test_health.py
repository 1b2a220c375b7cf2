"""A broken database is noticed: a deleted or replaced file, read-only files, a failed write check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import file_watch, make_engine, make_sessionmaker, secure_sqlite_file, sqlite_path
from storage.health import DatabaseGone, DbHealth
from storage.models import Heartbeat
from storage.uow import UnitOfWork


@pytest.fixture
async def opened(sqlite_url, tmp_path):
    eng = make_engine(sqlite_url)
    sm = make_sessionmaker(eng)
    health = DbHealth(sm, sqlite_url, "test:1:x", file_watch(eng))
    assert (await health.check()).ok
    yield sm, health, tmp_path / "test.db"
    await eng.dispose()


async def test_healthy_database_takes_the_write_check(opened):
    sm, health, _ = opened
    assert health.readiness() == (True, "")
    async with sm() as db:
        assert (await db.scalar(select(Heartbeat))).owner == "test:1:x"


async def test_deleted_database_file_is_detected_and_nothing_is_written_into_it(opened):
    sm, health, path = opened
    path.unlink()
    result = await health.check()
    assert not result.ok and "删除" in result.reason
    assert health.readiness() == (False, result.reason)
    with pytest.raises(DatabaseGone):  # the open connection would still write into the unlinked file
        async with UnitOfWork(sm) as uow:
            await uow.applicants.get_or_create("telegram", "1")


async def test_replaced_database_file_is_detected(opened, sqlite_url):
    sm, health, path = opened
    shutil.copy(path, path.with_suffix(".copy"))
    path.unlink()
    path.with_suffix(".copy").rename(path)
    result = await health.check()
    assert not result.ok and "替换" in result.reason


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr to make files read-only for root")
async def test_read_only_database_is_detected_at_start(sqlite_url, tmp_path):
    path = tmp_path / "test.db"
    files = [p for p in (path, path.with_name("test.db-wal"), path.with_name("test.db-shm")) if p.exists()]
    if subprocess.run(["chattr", "+i", *map(str, files)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i not permitted here")
    try:
        eng = make_engine(sqlite_url)
        health = DbHealth(make_sessionmaker(eng), sqlite_url, "test:1:x", file_watch(eng))
        result = await health.check()
        await eng.dispose()
    finally:
        subprocess.run(["chattr", "-i", *map(str, files)], check=True)
    assert not result.ok and "只读" in result.reason


async def test_read_only_connection_fails_the_write_check(sqlite_url, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # an SQLite URI taken for a relative path would show up here
    url = f"sqlite+aiosqlite:///file:{tmp_path / 'test.db'}?mode=ro&uri=true"
    eng = make_engine(url)
    health = DbHealth(make_sessionmaker(eng), url, "test:1:x", file_watch(eng))
    result = await health.check()
    await eng.dispose()
    assert not result.ok and "只读" in result.reason
    assert list(cwd.iterdir()) == []
    assert health.path == tmp_path / "test.db" and file_watch(eng) is not None


@pytest.mark.parametrize(
    ("database", "expected"),
    [
        ("/abs/a.db", "/abs/a.db"),
        ("data/a.db", "data/a.db"),
        ("file:/abs/a.db?mode=ro&uri=true", "/abs/a.db"),
        ("file:///abs/a.db?uri=true", "/abs/a.db"),
        ("file:rel.db?uri=true", "rel.db"),
        ("file:mem?mode=memory&uri=true", None),
        (":memory:", None),
    ],
)
def test_the_database_file_of_a_url(database, expected):
    assert sqlite_path(f"sqlite+aiosqlite:///{database}") == (None if expected is None else Path(expected))


def test_a_read_only_uri_creates_no_file(tmp_path):
    secure_sqlite_file(f"sqlite+aiosqlite:///file:{tmp_path / 'new' / 'a.db'}?mode=ro&uri=true")
    assert not (tmp_path / "new").exists()
