"""/delete and /mydata against the real database and blob store; retention with a fake clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text, update

from bot.runner import Who
from office.privacy import Policy, purge
from storage.models import Application, Audit, Delivery, Draft, Notification
from storage.uow import UnitOfWork
from tests.conftest import NOW
from tests.scripts import ADULT_MAN, ELIGIBILITY, FORM, FULL, MATERIALS, as_input, jpeg

POLICY = Policy(draft_days=30, case_days=365, warning_days=3, packet_days=30)


async def say(runner, script, uid="9", now=NOW):
    replies = []
    for kind, value in script:
        replies = await runner.handle(Who("telegram", uid, int(uid)), as_input(kind, value, now))
    return "\n".join(r.text for r in replies)


async def touched_at(sessionmaker, when=NOW) -> None:
    """The fake clock for drafts: the repository stamps updated_at with the wall clock."""
    async with sessionmaker() as db:
        await db.execute(update(Draft).values(updated_at=when))
        await db.commit()


def refs_of(data) -> set[str]:
    from storage.retention import material_refs

    return material_refs(data)


async def test_delete_removes_the_draft_and_its_files_at_once(runner, sessionmaker, blobs):
    await say(runner, ELIGIBILITY + FORM + MATERIALS[:2] + [("upload", [jpeg("green")])])
    async with sessionmaker() as db:
        draft = await db.scalar(select(Draft))
    refs = refs_of(draft.data)
    assert refs and all(blobs.exists(r) for r in refs)
    out = await say(runner, [("command", "delete"), ("choose", "g|delete_yes")])
    assert "已删除" in out
    async with sessionmaker() as db:
        draft = await db.scalar(select(Draft))
        raw = (await db.execute(text("SELECT data FROM drafts"))).scalar()
    assert draft.state == "idle" and not draft.data.get("answers") and ADULT_MAN not in raw
    assert not any(blobs.exists(r) for r in refs)


async def test_a_file_another_application_uses_is_kept(runner, sessionmaker, blobs):
    await say(runner, FULL, uid="8")  # submitted with the same photos
    await say(runner, ELIGIBILITY + FORM + MATERIALS[:2])
    async with sessionmaker() as db:
        app = await db.scalar(select(Application))
    shared = refs_of(app.data)
    await say(runner, [("command", "delete"), ("choose", "g|delete_yes")])
    assert shared and all(blobs.exists(r) for r in shared)


async def test_mydata_lists_the_submission_departments_and_retention(runner, sessionmaker):
    await say(runner, FULL)
    async with UnitOfWork(sessionmaker) as uow:
        app = await uow.applications.latest_for(1)
        uow.deliveries.add(app.id, "tax", 1, NOW)
        await uow.flush()
        await uow.db.execute(update(Delivery).values(status="delivered", delivered_at=NOW))
    out = await say(runner, [("command", "mydata")])
    assert app.ref in out and "税务部门" in out and "送达" in out and "办结后保存" in out
    assert ADULT_MAN not in out
    out = await say(runner, [("command", "delete")])
    assert "政务档案" in out


async def test_untouched_draft_is_warned_then_purged_with_its_files(runner, sessionmaker, blobs, tmp_path):
    await say(runner, ELIGIBILITY + FORM + MATERIALS[:2])
    await touched_at(sessionmaker)
    async with sessionmaker() as db:
        refs = refs_of((await db.scalar(select(Draft))).data)
    assert (await purge(sessionmaker, blobs, None, POLICY, NOW + timedelta(days=20))).warned == 0
    first = await purge(sessionmaker, blobs, None, POLICY, NOW + timedelta(days=28))
    assert (first.warned, first.drafts) == (1, 0)
    again = await purge(sessionmaker, blobs, None, POLICY, NOW + timedelta(days=29))
    assert (again.warned, again.drafts) == (0, 0)  # warned once; not yet due
    async with sessionmaker() as db:
        notes = [n.body["text"] for n in await db.scalars(select(Notification))]
    assert len(notes) == 1 and "将于" in notes[0] and "删除" in notes[0]
    done = await purge(sessionmaker, blobs, None, POLICY, NOW + timedelta(days=31))
    assert done.drafts == 1 and done.files == len(refs) and refs
    assert not any(blobs.exists(r) for r in refs)
    async with sessionmaker() as db:
        draft = await db.scalar(select(Draft))
        audits = list(await db.scalars(select(Audit).where(Audit.action == "retention")))
    assert draft.state == "idle" and draft.data == {}
    assert len(audits) == 4 and audits[-1].detail["drafts"] == 1 and audits[-1].actor == "system:retention"


async def test_a_returning_applicant_is_not_purged(runner, sessionmaker, blobs):
    await say(runner, ELIGIBILITY)
    await touched_at(sessionmaker)
    assert (await purge(sessionmaker, blobs, None, POLICY, NOW + timedelta(days=28))).warned == 1
    await say(runner, [("command", "status")], now=NOW + timedelta(days=29))  # came back
    await touched_at(sessionmaker, NOW + timedelta(days=29))
    done = await purge(sessionmaker, blobs, None, POLICY, NOW + timedelta(days=32))
    assert done.drafts == 0


async def test_finished_case_is_purged_to_a_minimal_record_and_its_packets_removed(
    runner, sessionmaker, blobs, tmp_path
):
    await say(runner, FULL)
    async with UnitOfWork(sessionmaker) as uow:
        app = await uow.applications.latest_for(1)
        uow.deliveries.add(app.id, "medical", 1, NOW)
        await uow.flush()
        await uow.db.execute(update(Delivery).values(status="delivered", delivered_at=NOW))
        await uow.db.execute(update(Application).values(status="completed", accepted_at=NOW))
    folder = tmp_path / "outbox" / "medical" / f"{app.ref}-v1"
    folder.mkdir(parents=True)
    (folder / "data.json").write_text("{}")
    refs = refs_of(app.data)
    early = await purge(sessionmaker, blobs, tmp_path / "outbox", POLICY, NOW + timedelta(days=31))
    assert early.cases == 0 and early.packets == 1 and not folder.exists()
    assert all(blobs.exists(r) for r in refs)
    done = await purge(sessionmaker, blobs, tmp_path / "outbox", POLICY, NOW + timedelta(days=366))
    assert done.cases == 1 and done.files == len(refs)
    async with UnitOfWork(sessionmaker) as uow:
        kept = await uow.applications.by_ref(app.ref)
        assert await uow.applications.by_id_number(ADULT_MAN) == []
        raw = (await uow.db.execute(text("SELECT data FROM applications"))).scalar()
    assert kept.purged_at is not None and kept.status == "completed" and kept.submitted_at and kept.deadline
    assert kept.data == {"purged": True, "outcome": "completed", "departments": {}} or set(kept.data) == {
        "purged",
        "outcome",
        "departments",
    }
    assert ADULT_MAN not in raw and not any(blobs.exists(r) for r in refs)
    out = await say(runner, [("command", "mydata")])
    assert "已于" in out and "删除" in out
    assert (await purge(sessionmaker, blobs, tmp_path / "outbox", POLICY, NOW + timedelta(days=367))).cases == 0
