"""Blob reference counting: the migration backfills who holds stored files; sync reports orphans."""

from __future__ import annotations

import json
import sqlite3

from storage import migrate
from storage.db import make_engine, make_sessionmaker
from storage.models import Blob
from storage.uow import UnitOfWork

A, B = "a" * 64, "b" * 64


def test_migration_backfills_references_of_existing_drafts_and_applications(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0002")
    con = sqlite3.connect(tmp_path / "old.db")
    now = "2026-11-23 02:00:00"
    con.execute("INSERT INTO applicants (id, channel, external_id, created_at) VALUES (1, 'telegram', '1', ?)", (now,))
    con.execute(
        "INSERT INTO drafts (id, applicant_id, state, data, epoch, version, created_at, updated_at)"
        " VALUES (7, 1, 'm_doc', ?, 0, 1, ?, ?)",
        (json.dumps({"materials": {"household": [{"sha256": A}]}}), now, now),
    )
    con.execute(
        "INSERT INTO applications (id, ref, submission_key, applicant_id, data, status, deadline_provisional,"
        " version, submitted_at) VALUES (3, 'LJ1', 'k', 1, ?, 'submitted', 0, 1, '2026-11-23 02:00:00')",
        (json.dumps({"materials": {"household": {"title": "户口簿", "files": [{"sha256": A}, {"sha256": B}]}}}),),
    )
    con.commit()
    migrate.upgrade(url)
    rows = set(con.execute("SELECT sha256, holder FROM blob_refs"))
    assert rows == {(A, "draft:7"), (A, "app:3"), (B, "app:3")}


async def test_sync_reports_only_files_nobody_holds(db_url):
    eng = make_engine(db_url)
    sm = make_sessionmaker(eng)
    try:
        async with UnitOfWork(sm) as uow:
            for sha in (A, B):
                await uow.blobs.record(sha, "image", "image/jpeg", 1, 1)
            await uow.blob_refs.add("draft:1", {A, B})
            await uow.blob_refs.add("app:9", {B})
        async with UnitOfWork(sm) as uow:
            assert await uow.blob_refs.sync("draft:1", set()) == [A]  # B is still the application's
            assert await uow.db.get(Blob, A) is None and await uow.db.get(Blob, B) is not None
            assert await uow.blob_refs.sync("draft:1", set()) == []
    finally:
        await eng.dispose()
