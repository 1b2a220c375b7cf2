"""Real transactions: a process killed between the reference savepoint and the commit keeps nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.runner import Runner, Who
from dialogs.model import UserInput
from storage.db import make_engine, make_sessionmaker
from storage.models import Application, Delivery, Draft, Event
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mode", ["turn", "group"])  # a transaction per turn; group commit (storage.writer)
async def test_kill_between_savepoint_and_commit_keeps_nothing(db_url, tmp_path, engine, calendar, blobs, mode):
    from storage.keyring import KeyRing, create_key_file

    keys = tmp_path / "keys.json"
    create_key_file(keys)  # the child and this test read the same personal-data keys
    child = subprocess.run(
        [sys.executable, "-m", "tests.storage.crash_submit", db_url, str(tmp_path / "blobs"), str(keys), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    assert "submitting" in child.stdout and "survived" not in child.stdout

    eng = make_engine(db_url, KeyRing.load(keys))
    sm = make_sessionmaker(eng)
    async with sm() as db:
        assert await db.scalar(select(func.count()).select_from(Application)) == 0
        assert await db.scalar(select(func.count()).select_from(Delivery)) == 0
        assert "application_submitted" not in set(await db.scalars(select(Event.kind)))
        assert (await db.scalar(select(Draft))).state == "commitment"
    # The applicant presses again after the restart: the application is created and accepted in full.
    from office.window import on_submitted_hook

    runner = Runner(
        engine,
        sm,
        blobs,
        calendar,
        clock=lambda: NOW,
        on_submitted=on_submitted_hook(calendar, auto_accept=True, window_chat_id=None),
    )
    replies = await runner.handle(
        Who("telegram", "7", 7), UserInput(kind="choose", payload="commitment|accept", now=NOW)
    )
    assert "提交成功" in replies[-1].text
    async with sm() as db:
        app = await db.scalar(select(Application))
        assert app.status == "accepted"
        assert await db.scalar(select(func.count()).select_from(Delivery)) == 3
    await eng.dispose()


async def test_sqlite_writers_wait_for_each_other_instead_of_failing(sqlite_url):
    """Two engines (two processes) write the same row: the second waits for the first's COMMIT and
    then reads its result; no "database is locked", no lost update."""
    import asyncio

    from sqlalchemy import update

    from storage.keyring import KeyRing
    from storage.uow import UnitOfWork

    ring = KeyRing.ephemeral()  # two processes share the key file
    one, two = make_engine(sqlite_url, ring), make_engine(sqlite_url, ring)
    sm1, sm2 = make_sessionmaker(one), make_sessionmaker(two)
    async with UnitOfWork(sm1) as uow:
        applicant = await uow.applicants.get_or_create("telegram", "1")
        initial = (await uow.drafts.for_applicant(applicant.id)).epoch
    first_holds, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with UnitOfWork(sm1) as uow:
            draft = await uow.drafts.for_applicant(applicant.id)
            first_holds.set()
            await release.wait()
            await uow.db.execute(update(Draft).where(Draft.id == draft.id).values(epoch=draft.epoch + 1))

    async def second() -> int:
        await first_holds.wait()
        async with UnitOfWork(sm2) as uow:  # BEGIN waits here until the first commits
            draft = await uow.drafts.for_applicant(applicant.id)
            seen = draft.epoch
            await uow.db.execute(update(Draft).where(Draft.id == draft.id).values(epoch=seen + 1))
            return seen

    task = asyncio.create_task(first())
    other = asyncio.create_task(second())
    await asyncio.sleep(0.3)
    release.set()
    await task
    assert await other == initial + 1
    async with sm1() as db:
        assert (await db.scalar(select(Draft))).epoch == initial + 2
    await one.dispose()
    await two.dispose()


async def test_handled_update_ids_are_remembered_per_bot_and_pruned(db_url):
    from datetime import timedelta

    import pytest

    from storage.inbox import DuplicateUpdate, HandledUpdates

    eng = make_engine(db_url)
    sm = make_sessionmaker(eng)
    async with sm() as db, db.begin():
        repo = HandledUpdates(db)
        await repo.record(1, 100, NOW - timedelta(days=3))
        await repo.record(1, 101, NOW)
        await repo.record(2, 100, NOW)  # another bot's update 100
    async with sm() as db:
        with pytest.raises(DuplicateUpdate):
            await HandledUpdates(db).record(1, 101, NOW)
    async with sm() as db, db.begin():
        assert await HandledUpdates(db).prune(NOW - timedelta(hours=48)) == 1
    async with sm() as db:
        repo = HandledUpdates(db)
        assert [await repo.seen(1, 100), await repo.seen(1, 101), await repo.seen(2, 100)] == [False, True, True]
    await eng.dispose()
