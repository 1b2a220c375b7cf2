"""The one window: acceptance fans out atomically; return and refuse notify the applicant."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from office import window
from storage.models import Application, Delivery, DepartmentCase, Event, Notification
from storage.uow import UnitOfWork
from tests.dispatch.conftest import accepted_application, create_application, rows


async def test_accept_creates_three_cases_and_three_deliveries(sm, blobs, calendar, clock):
    app = await accepted_application(sm, blobs, calendar, clock)
    assert app.status == "accepted" and app.accepted_at is not None
    # accepted Monday 2026-03-02: 15 working days from the day after → Monday 2026-03-23
    assert app.deadline == date(2026, 3, 23) and app.deadline_provisional is False
    cases = await rows(sm, DepartmentCase, DepartmentCase.application_id == app.id)
    assert sorted((c.department, c.state, c.version) for c in cases) == [
        ("hrss", "pending", 1),
        ("medical", "pending", 1),
        ("tax", "pending", 1),
    ]
    outbox = await rows(sm, Delivery, Delivery.application_id == app.id)
    assert sorted((d.department, d.status, d.version) for d in outbox) == [
        ("hrss", "pending", 1),
        ("medical", "pending", 1),
        ("tax", "pending", 1),
    ]
    events = await rows(sm, Event, Event.application_id == app.id)
    assert [e.kind for e in events] == ["application_accepted"]
    notes = await rows(sm, Notification)
    assert len(notes) == 1 and notes[0].body["kind"] == "applicant.accepted"
    assert "2026年03月23日" in notes[0].body["text"] and notes[0].chat_id.isdigit()


async def test_acceptance_is_one_transaction(sm, blobs, calendar, clock):
    app = await create_application(sm, blobs)
    with pytest.raises(RuntimeError):
        async with UnitOfWork(sm) as uow:
            assert (await window.accept(uow, app.ref, "staff:1", clock(), calendar)).ok
            raise RuntimeError("crash before commit")
    assert await rows(sm, DepartmentCase) == [] and await rows(sm, Delivery) == []
    assert (await rows(sm, Application))[0].status == "submitted"


async def test_accepting_twice_does_nothing_the_second_time(sm, blobs, calendar, clock):
    app = await accepted_application(sm, blobs, calendar, clock)
    clock.advance(days=3)
    async with UnitOfWork(sm) as uow:
        result = await window.accept(uow, app.ref, "staff:1", clock(), calendar)
    assert result.ok and result.code == "unchanged"
    assert len(await rows(sm, Delivery)) == 3 and len(await rows(sm, Notification)) == 1
    assert (await rows(sm, Application))[0].deadline == date(2026, 3, 23)


async def test_return_for_correction_then_resubmit(sm, blobs, calendar, clock):
    app = await create_application(sm, blobs)
    async with UnitOfWork(sm) as uow:
        result = await window.return_for_correction(
            uow, app.ref, "staff:1", "身份证照片反光", fields=["phone"], materials=["id_front"]
        )
    assert result.ok and result.state == "returned"
    note = (await rows(sm, Notification))[-1].body
    assert note["kind"] == "applicant.returned" and "身份证照片反光" in note["text"]
    assert "手机号码" in note["text"] and "居民身份证（人像面）" in note["text"]
    assert note["buttons"][0][0]["data"] == f"c|window|{app.ref}"
    async with UnitOfWork(sm) as uow:
        assert not (await window.accept(uow, app.ref, "staff:1", clock(), calendar)).ok
        result = await window.resubmit(uow, app.ref, "applicant", {"answers": {"phone": "13912345678"}})
    assert result.ok
    [app] = await rows(sm, Application)
    assert (app.status, app.version, app.data["answers"]["phone"]) == ("submitted", 2, "13912345678")
    async with UnitOfWork(sm) as uow:
        assert (await window.accept(uow, app.ref, "staff:1", clock(), calendar)).ok
    assert {d.version for d in await rows(sm, Delivery)} == {2}


async def test_refuse_needs_a_reason_and_is_final(sm, blobs, calendar, clock):
    app = await create_application(sm, blobs)
    async with UnitOfWork(sm) as uow:
        assert (await window.refuse(uow, app.ref, "staff:1", " ")).code == "invalid"
        assert (await window.refuse(uow, app.ref, "staff:1", "档案不在省内公共档案机构")).ok
        assert (await window.refuse(uow, app.ref, "staff:1", "again")).code == "unchanged"
        result = await window.accept(uow, app.ref, "staff:1", clock(), calendar)
    assert not result.ok and result.code == "conflict" and "不予受理" in result.message
    assert (await rows(sm, Notification))[-1].body["kind"] == "applicant.refused"
    assert await rows(sm, Delivery) == []


async def test_unknown_reference_and_items(sm, blobs, calendar, clock):
    app = await create_application(sm, blobs)
    async with UnitOfWork(sm) as uow:
        assert (await window.accept(uow, "LJ000000-00000", "staff:1", clock(), calendar)).code == "not_found"
        result = await window.return_for_correction(uow, app.ref, "staff:1", "x", fields=["shoe_size"])
    assert result.code == "invalid"


async def test_window_notice_is_pii_free(sm, blobs):
    app = await create_application(sm, blobs)
    async with UnitOfWork(sm) as uow:
        assert await window.queue_window_notice(uow, app, 300)
        assert await window.queue_window_notice(uow, app, 300)  # same key: one row
        assert not await window.queue_window_notice(uow, app, None)
    [note] = await rows(sm, Notification)
    assert note.chat_id == "300" and "张**" in note.body["text"] and "张三丰" not in str(note.body)


@pytest.mark.parametrize("auto", [True, False])
async def test_on_submitted_hook(sm, blobs, calendar, clock, auto):
    app = await create_application(sm, blobs)
    hook = window.on_submitted_hook(calendar, auto_accept=auto, window_chat_id=300, clock=clock)
    async with UnitOfWork(sm) as uow:
        await hook(uow, await uow.applications.by_ref(app.ref))
    [stored] = await rows(sm, Application)
    assert stored.status == ("accepted" if auto else "submitted")
    assert [n.body["kind"] for n in await rows(sm, Notification)] == (
        ["applicant.accepted"] if auto else ["staff.window"]
    )


@pytest.mark.parametrize(
    ("accepted_on", "due"),
    [
        # Friday: 12-14..12-31 gives 14 working days; 元旦 (a statutory holiday every year, 国务院令第795号)
        # is not the 15th, the Monday after is
        (date(2026, 12, 11), "2027年01月04日"),
        # Thursday: 元旦 inside the count pushes the deadline one working day later
        (date(2026, 12, 24), "2027年01月15日"),
    ],
)
async def test_acceptance_in_december_skips_next_years_statutory_holidays(sm, blobs, calendar, accepted_on, due):
    from datetime import datetime

    app = await create_application(sm, blobs)
    async with UnitOfWork(sm) as uow:
        now = datetime(accepted_on.year, accepted_on.month, accepted_on.day, 2, 0, tzinfo=UTC)
        assert (await window.accept(uow, app.ref, "staff:window", now, calendar)).ok
    note = (await rows(sm, Notification))[-1].body["text"]
    # 2027's 调休 make-up days are not published yet: the date is shown as provisional
    assert f"预计{due}" in note, note
    assert "2027年01月01日" not in note
