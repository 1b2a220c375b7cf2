"""The database watch: a full disk is served through (admins told once), a lost database stops the process."""

from __future__ import annotations

import asyncio
import errno
import sqlite3

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot import guard
from storage.db import make_engine, make_sessionmaker
from storage.health import DISK_FULL, DbHealth, Health, disk_full


def test_a_full_disk_is_told_from_other_write_failures():
    full = sqlite3.OperationalError("database or disk is full")
    assert disk_full(OperationalError("INSERT ...", {}, full))
    assert disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert not disk_full(
        OperationalError("INSERT ...", {}, sqlite3.OperationalError("attempt to write a readonly database"))
    )
    assert not disk_full(OSError(errno.EACCES, "Permission denied"))


async def test_the_write_check_on_a_full_database_is_transient(sqlite_url):
    eng = make_engine(sqlite_url)

    @event.listens_for(eng.sync_engine, "connect")
    def no_room(dbapi_conn, _record):  # SQLite's own SQLITE_FULL: not one page more than there is
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA page_count")
        pages = cur.fetchone()[0]
        cur.execute(f"PRAGMA max_page_count = {pages}")
        cur.close()

    sm = make_sessionmaker(eng)
    for i in range(2000):  # heartbeats of ever more owners, until the last free page is used up
        result = await DbHealth(sm, sqlite_url, f"test:{i}:" + "x" * 50).check()
        if not result.ok:
            break
    await eng.dispose()
    assert not result.ok and result.transient and result.reason == DISK_FULL


class Scripted(DbHealth):
    def __init__(self, results: list[Health]):
        self.results, self.last = results, Health()

    async def check(self) -> Health:
        self.last = self.results.pop(0) if self.results else Health()
        return self.last


async def test_the_watch_serves_through_a_full_disk_and_stops_on_a_lost_database():
    full = Health(ok=False, reason=DISK_FULL, transient=True)
    gone = Health(ok=False, reason="数据库文件已被删除")
    health = Scripted([full, full, Health(), full, Health(), gone])
    degraded, broken = [], []

    async def on_broken(reason):
        broken.append(reason)

    async def on_degraded(reason):
        degraded.append(reason)

    await asyncio.wait_for(guard.watch(health, on_broken, asyncio.Event(), 0.001, on_degraded=on_degraded), 10)
    assert degraded == [DISK_FULL, DISK_FULL]  # once per episode
    assert broken == ["数据库文件已被删除"]


async def test_a_full_disk_at_start_is_no_reason_to_refuse():
    alerts = []

    async def alert(reason, stopping=True):
        alerts.append((reason, stopping))

    assert await guard.check_at_start(Scripted([Health(ok=False, reason=DISK_FULL, transient=True)]), alert)
    assert not await guard.check_at_start(Scripted([Health(ok=False, reason="数据库文件只读，无法写入")]), alert)
    assert alerts == [(DISK_FULL, False), ("数据库文件只读，无法写入", True)]
