"""Key rotation over thousands of rows and files while updates are served; kill -9 and resume.

Also: the blind index finds an application by ID number, plain rows from before migration 0004
are read and then sealed by `keys rotate`, and a sealed value cannot be moved to another column.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from bot.runner import Runner, Who
from storage import rotation
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker
from storage.keyring import KeyRing, KeyRingError, create_key_file, write_key_file
from storage.migrate import upgrade
from storage.models import Application, Draft, Notification
from storage.uow import UnitOfWork
from tests.conftest import NOW
from tests.scripts import ADULT_MAN, FULL, as_input

ROOT = Path(__file__).resolve().parents[2]
ROWS, FILES = 3000, 1000


def feed(runner: Runner, uid: str):
    async def go() -> None:
        for kind, value in FULL:
            replies = await runner.handle(Who("telegram", uid, int(uid)), as_input(kind, value, NOW))
            assert not any("系统繁忙" in r.text for r in replies)

    return go()


def sealed_under(db_path: Path, kid: str) -> int:
    with closing(sqlite3.connect(db_path, timeout=30)) as db:
        return db.execute("SELECT count(*) FROM notifications WHERE body LIKE ?", (f"e1.{kid}.%",)).fetchone()[0]


async def test_rotation_while_serving_survives_kill_9_and_completes(tmp_path, engine, calendar):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    key_file = data / "keys.json"
    old_kid = create_key_file(key_file).current
    url = f"sqlite+aiosqlite:///{data / 'assistant.db'}"
    upgrade(url)
    eng = make_engine(url, KeyRing.load(key_file))
    sm = make_sessionmaker(eng)
    blobs = BlobStore(data / "blobs", KeyRing.load(key_file))
    async with sm() as db, db.begin():
        await db.execute(
            insert(Notification),
            [
                {
                    "channel": "telegram",
                    "chat_id": str(i),
                    "body": {"kind": "x", "text": f"您好 {i}"},
                    "status": "sent",
                    "attempts": 1,
                }
                for i in range(ROWS)
            ],
        )
    with ThreadPoolExecutor(8) as pool:
        refs = list(pool.map(blobs.put, [f"photo {i}".encode() * 50 for i in range(FILES)]))

    new = KeyRing.load(key_file).with_new_key()
    write_key_file(key_file, new)  # what `keys rotate --new-key` does first
    new_kid = KeyRing.load(key_file).current
    env = {**os.environ, "DATA_DIR": str(data), "DATABASE_URL": "", "LOG_LEVEL": "WARNING"}
    with open(tmp_path / "rotate.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "keys", "rotate", "--batch", "50"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    runner = Runner(engine, sm, blobs, calendar, clock=lambda: NOW)
    serving = asyncio.gather(*(feed(runner, str(100 + i)) for i in range(3)))
    for _ in range(600):  # kill -9 in the middle of the notifications
        if 0 < sealed_under(data / "assistant.db", new_kid) < ROWS:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("rotation did not start: " + (tmp_path / "rotate.log").read_text())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    await serving
    report = await rotation.status(sm, blobs)
    assert report.columns["notifications.body"][old_kid] > 0  # really cut off half-way

    done = await rotation.rotate(sm, blobs, batch=200)
    again = await rotation.rotate(sm, blobs, batch=200)  # safe to run twice: nothing left to do
    report = await rotation.status(sm, blobs)
    assert report.stale(new_kid) == 0 and report.under(old_kid) == 0
    assert done.rows > 0 and again.rows == 0 and again.files == 0
    # Every value and file decrypts; the drafts served during rotation completed.
    async with sm() as db:
        bodies = list(await db.scalars(select(Notification.body)))
        drafts = list(await db.scalars(select(Draft)))
        apps = list(await db.scalars(select(Application)))
    assert len(bodies) >= ROWS and all(isinstance(b, dict) for b in bodies)
    assert len(apps) == 3 and all(d.state == "submitted" for d in drafts)
    assert all(blobs.get(r) for r in refs)
    # The retired key can go: everything still opens without it.
    slim = KeyRing.load(key_file).without(old_kid)
    eng2 = make_engine(url, slim)
    async with make_sessionmaker(eng2)() as db:
        assert len(list(await db.scalars(select(Notification.body)))) == len(bodies)
    await eng2.dispose()
    assert BlobStore(data / "blobs", slim).get(refs[0])
    await eng.dispose()


async def test_blind_index_finds_the_application_by_id_number(runner, sessionmaker):
    await feed(runner, "7")
    async with UnitOfWork(sessionmaker) as uow:
        found = await uow.applications.by_id_number(" 130102 19900307 " + ADULT_MAN[-4:])
        assert [a.ref for a in found] and found[0].data["answers"]["id_number"] == ADULT_MAN
        assert await uow.applications.by_id_number("110105194912310029") == []
        raw = (await uow.db.execute(text("SELECT id_index, data FROM applications"))).one()
    assert len(raw[0]) == 32 and ADULT_MAN not in raw[0] and ADULT_MAN not in raw[1]


async def test_plain_rows_from_before_0004_are_read_then_sealed_and_indexed(sqlite_url, tmp_path):
    ring = KeyRing.ephemeral()
    eng = make_engine(sqlite_url, ring)
    sm = make_sessionmaker(eng)
    async with sm() as db, db.begin():
        await db.execute(
            text(
                "INSERT INTO applicants (id, channel, external_id, created_at) "
                "VALUES (1, 'telegram', '1', '2026-01-01')"
            )
        )
        await db.execute(
            text(
                "INSERT INTO applications (ref, submission_key, applicant_id, data, status, submitted_at, "
                "deadline_provisional, version) VALUES ('LJ260101-0000010', 'k', 1, :d, 'submitted', "
                "'2026-01-01', 0, 1)"
            ),
            {"d": f'{{"answers": {{"id_number": "{ADULT_MAN}"}}}}'},
        )
        await db.execute(
            text(
                "INSERT INTO tickets (applicant_id, status, question, context, created_at, "
                "updated_at) VALUES (1, 'open', '旧工单', '{}', '2026-01-01', '2026-01-01')"
            )
        )
    blobs = BlobStore(tmp_path / "blobs", ring)
    async with sm() as db:
        app = await db.scalar(select(Application))
        assert app.data["answers"]["id_number"] == ADULT_MAN  # plain still reads
    report = await rotation.status(sm, blobs)
    assert report.columns["applications.data"]["plain"] == 1 and report.unindexed == 1
    await rotation.rotate(sm, blobs)
    report = await rotation.status(sm, blobs)
    assert report.stale(ring.current) == 0 and report.unindexed == 0
    async with UnitOfWork(sm) as uow:
        assert len(await uow.applications.by_id_number(ADULT_MAN)) == 1
        raw = (await uow.db.execute(text("SELECT data FROM applications"))).scalar()
        question = (await uow.db.execute(text("SELECT question FROM tickets"))).scalar()
    assert raw.startswith("e1.") and question.startswith("e1.")
    await eng.dispose()


async def test_a_sealed_value_moved_to_another_column_or_altered_fails(sqlite_url):
    ring = KeyRing.ephemeral()
    eng = make_engine(sqlite_url, ring)
    sm = make_sessionmaker(eng)
    async with UnitOfWork(sm) as uow:
        applicant = await uow.applicants.get_or_create("telegram", "1")
        await uow.drafts.for_applicant(applicant.id)
        uow.events.add("x", "t", {"secret": ADULT_MAN}, applicant_id=applicant.id)
    async with sm() as db, db.begin():
        await db.execute(text("UPDATE drafts SET data = (SELECT payload FROM events LIMIT 1)"))
    with pytest.raises(KeyRingError):
        async with sm() as db:
            await db.scalar(select(Draft))
    await eng.dispose()
