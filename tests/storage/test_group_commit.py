"""Group commit (storage.writer): concurrent turns share one transaction and one COMMIT; each caller
is released only after that commit; one failing item never fails its neighbours; the draft's
version check holds within a batch and across writers. SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, func, select

from bot.runner import NOT_KEPT, Runner, Who
from dialogs.model import UserInput
from storage.db import make_engine, make_sessionmaker
from storage.inbox import DuplicateUpdate
from storage.models import Draft, Event, HandledUpdate
from storage.sealed import keyring_of
from storage.writer import GroupWriter
from tests.conftest import NOW


@pytest.fixture
async def db(db_url):
    eng = make_engine(db_url)
    yield eng
    await eng.dispose()


def count_commits(eng) -> list[int]:
    commits = [0]

    def on_commit(_conn) -> None:
        commits[0] += 1

    event.listen(eng.sync_engine, "commit", on_commit)
    return commits


async def events_of(eng, kind: str) -> list[dict]:
    async with make_sessionmaker(eng)() as s:
        return [e.payload for e in await s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))]


async def test_concurrent_items_share_one_commit_and_are_released_after_it(db):
    writer = GroupWriter(db)
    commits = count_commits(db)
    seen_at_release = []

    async def item(n: int) -> int:
        async def work(uow):
            uow.events.add("probe", "test", {"n": n})
            return n

        got = await writer.run(work)
        seen_at_release.append(commits[0])  # how many commits had happened when this caller resumed
        return got

    assert await asyncio.gather(*(item(n) for n in range(20))) == list(range(20))
    assert commits[0] == 1 and writer.batches == 1 and writer.items == 20
    assert seen_at_release == [1] * 20  # nobody was released before the commit holding its work
    assert [p["n"] for p in await events_of(db, "probe")] == list(range(20))


async def test_a_failing_item_does_not_fail_its_neighbours(db):
    """One item raises in Python, another fails in the database (a duplicate key, which aborts the
    whole transaction on PostgreSQL): each gets its own error, the others commit."""
    writer = GroupWriter(db)

    def work_for(n: int):
        async def work(uow):
            uow.events.add("probe", "test", {"n": n})
            if n == 4:
                await uow.flush()  # its row is written in the batch's transaction, then it fails
                raise ValueError("item 4 is broken")
            if n in (2, 7):  # the same update recorded twice in one batch
                await uow.handled_updates.record(1, 555, NOW)
            return n

        return work

    results = await asyncio.gather(*(writer.run(work_for(n)) for n in range(10)), return_exceptions=True)
    assert isinstance(results[4], ValueError)
    assert isinstance(results[7], DuplicateUpdate)
    assert [r for n, r in enumerate(results) if n not in (4, 7)] == [0, 1, 2, 3, 5, 6, 8, 9]
    assert sorted(p["n"] for p in await events_of(db, "probe")) == [0, 1, 2, 3, 5, 6, 8, 9]
    async with make_sessionmaker(db)() as s:
        assert await s.scalar(select(func.count()).select_from(HandledUpdate)) == 1


async def test_a_batch_reads_its_own_earlier_items(db):
    """An item sees what the items before it in the batch wrote (as if they had committed)."""
    writer = GroupWriter(db)

    async def work(uow):
        before = await uow.events.count_since("probe", 1, NOW)
        applicant = await uow.applicants.get_or_create("telegram", "1")
        uow.events.add("probe", "test", {"before": before}, applicant_id=applicant.id)
        return before

    await writer.run(work)  # creates the applicant (id 1)
    assert sorted(await asyncio.gather(*(writer.run(work) for _ in range(5)))) == [0, 1, 2, 3, 4, 5][1:]


async def test_callers_resume_only_after_the_connection_is_back_in_the_pool(db):
    """A caller that disposes the engine (shutdown, a test's teardown) right after its result must not
    catch the batch's connection half-closed: aiosqlite then warns of a connection never closed."""
    writer = GroupWriter(db)

    async def work(uow):
        uow.events.add("probe", "test", {})
        return db.pool.checkedout()

    during = await asyncio.gather(*(writer.run(work) for _ in range(3)))
    assert during == [1, 1, 1] and db.pool.checkedout() == 0
    await writer.close()  # nothing in flight: returns at once


def runner_for(eng, engine, blobs, calendar, clock) -> Runner:
    return Runner(engine, make_sessionmaker(eng), blobs, calendar, clock=clock, writer=GroupWriter(eng))


async def test_concurrent_turns_of_one_applicant_all_keep_their_answer(db, engine, blobs, calendar, clock):
    runner = runner_for(db, engine, blobs, calendar, clock)
    who = Who("telegram", "7", 7)
    await runner.handle(who, UserInput(kind="command", command="start", now=NOW))
    start = (await draft_of(db)).version

    async def status() -> list:
        return await runner.handle(Who("telegram", "7", 7), UserInput(kind="command", command="status", now=NOW))

    replies = await asyncio.gather(*(status() for _ in range(12)))
    assert all(r and r[0].text != NOT_KEPT for r in replies)
    assert (await draft_of(db)).version == start + 12  # every turn's write, none lost to a stale version


async def test_two_writers_on_one_draft_retry_conflicts_as_before(db_url, db, engine, blobs, calendar, clock):
    """Two processes' writers (two engines) write one draft at once: a version conflict is retried."""
    other = make_engine(db_url, keyring_of(db.dialect))  # the same keys, as two processes have
    try:
        a = runner_for(db, engine, blobs, calendar, clock)
        b = runner_for(other, engine, blobs, calendar, clock)
        await a.handle(Who("telegram", "7", 7), UserInput(kind="command", command="start", now=NOW))
        start = (await draft_of(db)).version

        async def status(r: Runner) -> list:
            return await r.handle(Who("telegram", "7", 7), UserInput(kind="command", command="status", now=NOW))

        replies = await asyncio.gather(*(status(r) for r in (a, b, a, b, a, b)))
        kept = sum(1 for r in replies if r and r[0].text != NOT_KEPT)
        assert (await draft_of(db)).version == start + kept  # each kept answer is one write, none lost
        assert kept >= 4
    finally:
        await other.dispose()


async def test_duplicate_update_in_a_batch_is_taken_once_and_spares_the_others(db, engine, blobs, calendar, clock):
    runner = runner_for(db, engine, blobs, calendar, clock)
    whos = [Who("telegram", str(u), u, update=(1, 900 + u)) for u in range(1, 6)]
    whos.append(Who("telegram", "3", 3, update=(1, 903)))  # update 903 delivered twice
    await asyncio.gather(*(runner.handle(w, UserInput(kind="command", command="start", now=NOW)) for w in whos))
    assert [w.duplicate for w in whos].count(True) == 1
    assert all(w.kept for w in whos if not w.duplicate)
    async with make_sessionmaker(db)() as s:
        assert await s.scalar(select(func.count()).select_from(HandledUpdate)) == 5
        assert await s.scalar(select(func.count()).select_from(Draft)) == 5


async def draft_of(eng) -> Draft:
    async with make_sessionmaker(eng)() as s:
        return await s.scalar(select(Draft))


async def test_a_unit_of_work_cannot_wait_for_its_own_writer(db):
    writer = GroupWriter(db)

    async def nested(uow):
        return await writer.run(lambda inner: asyncio.sleep(0))

    with pytest.raises(RuntimeError):
        await asyncio.wait_for(writer.run(nested), 10)  # refused at once, not a hang
