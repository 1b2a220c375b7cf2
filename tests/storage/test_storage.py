"""Storage against a real database: migrations, drafts with versions, idempotent submission."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from bot.runner import Runner, Who
from dialogs.model import UserInput
from storage import migrate
from storage.db import make_engine, make_sessionmaker
from storage.models import Application, Draft, Event
from storage.repos import VersionConflict
from storage.uow import UnitOfWork
from tests.conftest import DB_KINDS, NOW, PG_URL, _pg_fresh_url
from tests.scripts import FULL, as_input

REVISIONS = ["0001"]


def test_stairway_upgrade_downgrade_upgrade(tmp_path):
    from alembic.script import ScriptDirectory

    url = f"sqlite+aiosqlite:///{tmp_path / 'stair.db'}"
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    revisions = [r.revision for r in script.walk_revisions()][::-1]
    assert revisions[0] == "0001"
    for rev in revisions:
        down = script.get_revision(rev).down_revision or "base"
        migrate.upgrade(url, rev)
        migrate.downgrade(url, down)
        migrate.upgrade(url, rev)


def test_the_start_up_checks_against_alembics_head():
    """`migrate.HEAD` is what a start-up compares the database with before deciding not to run
    Alembic: a new migration must move it (or a database would be served unmigrated)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    assert heads == [migrate.HEAD], f"storage/migrate.py HEAD is {migrate.HEAD!r}; Alembic's head is {heads}"


@pytest.fixture(params=DB_KINDS)
def empty_db_url(request, tmp_path) -> str:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
        return _pg_fresh_url(PG_URL)
    return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"


async def table_names(url: str) -> list[str]:
    eng = make_engine(url)
    async with eng.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    await eng.dispose()
    return names


async def test_a_start_up_migrates_a_fresh_or_older_database_and_leaves_a_current_one(empty_db_url):
    url = empty_db_url
    assert migrate.current_revisions(url) == frozenset()
    assert migrate.ensure_current(url) == "created"  # fresh: the models' schema, stamped HEAD
    assert migrate.current_revisions(url) == {migrate.HEAD}
    assert {"drafts", "inbox_updates"} <= set(await table_names(url))
    assert migrate.ensure_current(url) == "current"  # current: Alembic is not run

    migrate.downgrade(url, "0002")  # an older database (an earlier release's)
    assert migrate.current_revisions(url) == {"0002"}
    assert migrate.ensure_current(url) == "migrated"  # Alembic upgrades it
    assert migrate.current_revisions(url) == {migrate.HEAD}


async def test_schema_has_the_tables(db_url):
    eng = make_engine(db_url)
    async with eng.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    await eng.dispose()
    for table in (
        "applicants",
        "drafts",
        "events",
        "applications",
        "deliveries",
        "department_cases",
        "staff",
        "audit",
        "tickets",
        "blobs",
        "notifications",
    ):
        assert table in names


async def test_draft_version_guards_concurrent_writes(db_url):
    eng = make_engine(db_url)
    sm = make_sessionmaker(eng)
    async with UnitOfWork(sm) as uow:
        a = await uow.applicants.get_or_create("telegram", "1")
        await uow.drafts.for_applicant(a.id)
    # Two processes read the same version; the first to save wins, the second is refused. (On SQLite
    # a transaction holds the write lock from BEGIN IMMEDIATE, so the reads are separate transactions.)
    async with UnitOfWork(sm) as one:
        d1 = await one.drafts.for_applicant(a.id)
    async with UnitOfWork(sm) as two:
        d2 = await two.drafts.for_applicant(a.id)
    async with UnitOfWork(sm) as one:
        await one.drafts.save(d1, "id_type", {"answers": {}}, 0)
    with pytest.raises(VersionConflict):
        async with UnitOfWork(sm) as two:
            await two.drafts.save(d2, "archive", {"answers": {}}, 0)
    async with sm() as db:
        draft = await db.scalar(select(Draft))
    assert draft.state == "id_type" and draft.version == 1
    await eng.dispose()


async def test_full_application_commits_application_and_events(db_url, engine, blobs, calendar):
    eng = make_engine(db_url)
    sm = make_sessionmaker(eng)
    runner = Runner(engine, sm, blobs, calendar, clock=lambda: NOW)
    who = Who("telegram", "7", 7)

    replies = []
    for kind, value in FULL:
        replies = await runner.handle(who, as_input(kind, value, NOW, account="telegram:7"))
    assert "提交成功" in replies[-1].text
    # Monday 2026-11-23 + 15 working days = Monday 2026-12-14
    assert "2026年12月14日" in replies[-1].text
    # Re-delivery of the final press: the application is not created twice.
    again = await runner.handle(who, UserInput(kind="choose", payload="commitment|accept", now=NOW))
    assert "按钮已失效" in again[0].text
    async with sm() as db:
        apps = list(await db.scalars(select(Application)))
        events = list(await db.scalars(select(Event.kind)))
    assert len(apps) == 1 and apps[0].status == "submitted"
    assert apps[0].data["answers"]["name"] == "张𫖮"
    assert set(apps[0].data["materials"]) == {"household", "id_front", "id_back"}
    for f in apps[0].data["materials"]["household"]["files"]:
        assert blobs.exists(f["sha256"])
    assert "application_submitted" in events and "notice_acknowledged" in events
    await eng.dispose()


async def test_submit_is_idempotent_per_draft_epoch(runner, sessionmaker):
    from bot.runner import Who

    who = Who("console", "u1")
    for kind, value in FULL:
        await runner.handle(who, as_input(kind, value, NOW))
    async with UnitOfWork(sessionmaker) as uow:
        draft = await uow.drafts.for_applicant(1)
        key = f"{draft.id}:{draft.epoch}"
        assert await uow.applications.by_submission_key(key) is not None
        assert await uow.db.scalar(select(func.count()).select_from(Application)) == 1
