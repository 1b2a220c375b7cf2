"""Clerks' side: authorisation and audit, claims, the correction loop, the join, deadlines."""

from __future__ import annotations

import random
from datetime import UTC, timedelta

import pytest

from dialogs import departments
from dispatch.worker import Worker
from office import decisions
from office.deadlines import reminders, watch
from office.staff import Actor, authorize, list_staff, remove_staff
from storage.models import Application, Audit, Delivery, DepartmentCase, Event, Notification
from storage.uow import UnitOfWork
from tests.dispatch.conftest import RecordingChannel, accepted_application, image, make_staff, rows

ADMIN, WINDOW, HELPDESK = 1, 2, 3
HRSS_A, HRSS_B, MEDICAL, TAX = 11, 12, 21, 31


@pytest.fixture
async def delivered(sm, blobs, calendar, clock, config, fast_packer):
    """An accepted application whose three packets were delivered; staff of every role."""
    await make_staff(
        sm,
        (ADMIN, "admin", None),
        (WINDOW, "window", None),
        (HELPDESK, "helpdesk", None),
        (HRSS_A, "clerk", "hrss"),
        (HRSS_B, "clerk", "hrss"),
        (MEDICAL, "clerk", "medical"),
        (TAX, "clerk", "tax"),
    )
    app = await accepted_application(sm, blobs, calendar, clock)
    channels = {d: RecordingChannel() for d in departments.KEYS}
    w = Worker(sm, blobs, channels, config, clock=clock, packer=fast_packer, rng=random.Random(0))
    assert await w.run_once() == 3
    cases = {c.department: c.id for c in await rows(sm, DepartmentCase)}
    return app, cases, w, channels


async def act(sm, clock, case_id, action, who, **kw):
    actor = who if isinstance(who, Actor) else Actor.staff(who)
    async with UnitOfWork(sm) as uow:
        return await decisions.decide(uow, case_id, action, actor, clock(), **kw)


async def applicant_notes(sm) -> list[dict]:
    return [n.body for n in await rows(sm, Notification) if n.body["kind"].startswith("applicant.")]


async def test_authorize_matrix_is_audited(sm, delivered):
    checks = [
        (HRSS_A, "claim", "hrss", True),
        (HRSS_A, "claim", "tax", False),
        (HRSS_A, "accept", None, False),
        (WINDOW, "accept", None, True),
        (WINDOW, "done", "hrss", False),
        (HELPDESK, "view", "hrss", False),
        (HELPDESK, "status", None, True),
        (ADMIN, "reject", "tax", True),
        (999, "claim", "hrss", False),
    ]
    async with UnitOfWork(sm) as uow:
        for tid, action, dept, expected in checks:
            assert (await authorize(uow, tid, action, dept, target="x") is not None) == expected, (tid, action)
    audit = await rows(sm, Audit, Audit.action.in_(["claim", "accept", "done", "view", "status", "reject"]))
    assert [(a.actor, a.action, a.allowed) for a in audit] == [
        (f"tg:{tid}", action, expected) for tid, action, _, expected in checks
    ]


async def test_outsiders_and_wrong_department_clerks_are_refused_and_audited(sm, clock, delivered):
    app, cases, *_ = delivered
    for who in (TAX, HELPDESK, WINDOW, 999):
        result = await act(sm, clock, cases["hrss"], "claim", who)
        assert (result.ok, result.code) == (False, "forbidden")
    refused = await rows(sm, Audit, Audit.allowed.is_(False))
    assert {a.actor for a in refused} >= {f"tg:{TAX}", f"tg:{HELPDESK}", f"tg:{WINDOW}", "tg:999"}
    assert all(a.target == f"{app.ref}:hrss" for a in refused if a.action == "claim")
    assert {c.state for c in await rows(sm, DepartmentCase)} == {"delivered"}


async def test_removed_clerk_loses_access_at_once(sm, clock, delivered):
    _, cases, *_ = delivered
    async with UnitOfWork(sm) as uow:
        assert await remove_staff(uow, HRSS_A)
        assert HRSS_A not in [s.telegram_id for s in await list_staff(uow)]
    assert (await act(sm, clock, cases["hrss"], "claim", HRSS_A)).code == "forbidden"


async def test_claim_conflict_until_released(sm, clock, delivered):
    _, cases, *_ = delivered
    assert (await act(sm, clock, cases["hrss"], "claim", HRSS_A)).ok
    assert (await act(sm, clock, cases["hrss"], "claim", HRSS_A)).code == "unchanged"  # double tap
    second = await act(sm, clock, cases["hrss"], "claim", HRSS_B)
    assert (second.ok, second.code) == (False, "conflict") and "其他经办人员" in second.message
    assert (await act(sm, clock, cases["hrss"], "done", HRSS_B)).code == "conflict"
    assert (await act(sm, clock, cases["hrss"], "release", HRSS_B)).code == "conflict"
    assert (await act(sm, clock, cases["hrss"], "release", HRSS_A)).ok
    assert (await act(sm, clock, cases["hrss"], "claim", HRSS_B)).ok
    [case] = await rows(sm, DepartmentCase, DepartmentCase.id == cases["hrss"])
    assert (case.state, case.claimed_by) == ("claimed", HRSS_B)
    claims = [e for e in await rows(sm, Event) if e.kind == "case_claim"]
    assert [e.actor for e in claims] == [f"tg:{HRSS_A}", f"tg:{HRSS_B}"]


async def test_all_done_completes_and_asks_for_a_rating(sm, clock, delivered):
    app, cases, *_ = delivered
    assert (await act(sm, clock, cases["hrss"], "claim", HRSS_A)).ok
    assert (await act(sm, clock, cases["hrss"], "done", HRSS_A, note="就业登记号 1301-2026-0001")).ok
    assert (await act(sm, clock, cases["medical"], "done", MEDICAL)).ok  # implicit claim
    result = await act(sm, clock, cases["tax"], "done", TAX)
    assert result.ok and result.data["application"] == "completed"
    [stored] = await rows(sm, Application)
    assert stored.status == "completed"
    notes = await applicant_notes(sm)
    kinds = [n["kind"] for n in notes]
    assert kinds == [
        "applicant.accepted",
        "applicant.claimed",
        "applicant.done",
        "applicant.done",
        "applicant.done",
        "applicant.completed",
    ]
    assert notes[2]["text"].startswith("人社部门已办结：就业登记") and "1301-2026-0001" in notes[2]["text"]
    final = notes[-1]
    assert "已全部办结" in final["text"] and "好差评" in final["text"]
    assert [[b["label"] for b in row][0] for row in final["buttons"]] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
        "暂不评价",
    ]
    assert final["buttons"][0][0]["data"] == f"r|5|{app.ref}"
    assert (await act(sm, clock, cases["tax"], "done", TAX)).code == "conflict"  # application finished


async def test_a_rejection_makes_it_partly_rejected(sm, clock, delivered):
    app, cases, *_ = delivered
    assert (await act(sm, clock, cases["medical"], "reject", MEDICAL, reason="")).code == "invalid"
    assert (await act(sm, clock, cases["medical"], "reject", MEDICAL, reason="已在北京市参加职工医保")).ok
    assert (await act(sm, clock, cases["hrss"], "done", HRSS_A)).ok
    assert (await rows(sm, Application))[0].status == "accepted"
    assert (await act(sm, clock, cases["tax"], "done", TAX)).data["application"] == "partly_rejected"
    final = (await applicant_notes(sm))[-1]
    assert final["kind"] == "applicant.partly_rejected"
    assert "医保部门：不予办理（已在北京市参加职工医保）" in final["text"] and final["buttons"]
    assert len([n for n in await applicant_notes(sm) if n["kind"] == "applicant.partly_rejected"]) == 1


async def test_correction_loop_redelivers_only_that_department(sm, blobs, clock, delivered):
    app, cases, w, channels = delivered
    assert (await act(sm, clock, cases["hrss"], "done", HRSS_A)).ok
    bad = await act(sm, clock, cases["medical"], "correct", MEDICAL, reason="x", fields=["employed_on"])
    assert bad.code == "invalid"  # medical never sees 就业时间
    assert (await act(sm, clock, cases["medical"], "correct", MEDICAL, reason="")).code == "invalid"
    result = await act(
        sm,
        clock,
        cases["medical"],
        "correct",
        MEDICAL,
        reason="户口簿照片不清晰",
        fields=["hukou_address"],
        materials=["household"],
    )
    assert result.ok and result.state == "correction"
    note = (await applicant_notes(sm))[-1]
    assert note["kind"] == "applicant.correction" and "户口簿照片不清晰" in note["text"]
    assert "户籍地址" in note["text"] and "户口簿本人页" in note["text"]
    assert note["buttons"][0][0]["data"] == f"c|medical|{app.ref}"

    sha = blobs.put(image("white"))
    fixed = {
        "answers": {
            "hukou_address": {"province": "130000", "city": "130100", "county": "130104", "detail": "新地址9号"}
        },
        "materials": {
            "household": {
                "title": "户口簿本人页",
                "files": [{"sha256": sha, "kind": "image", "mime": "image/png", "pages": 1, "size": 1}],
            }
        },
    }
    async with UnitOfWork(sm) as uow:
        extra = await decisions.resubmit(uow, app.ref, "medical", {"answers": {"name": "李四"}}, clock())
        assert extra.code == "invalid"  # only what was flagged may change
        result = await decisions.resubmit(uow, app.ref, "medical", fixed, clock())
        assert result.ok and result.data["version"] == 2
        assert (await decisions.resubmit(uow, app.ref, "medical", fixed, clock())).code == "unchanged"
    outbox = await rows(sm, Delivery)
    assert sorted((d.department, d.version, d.status) for d in outbox) == [
        ("hrss", 1, "delivered"),
        ("medical", 1, "delivered"),
        ("medical", 2, "pending"),
        ("tax", 1, "delivered"),
    ]
    assert await w.run_once() == 1
    assert channels["medical"].calls == [f"{app.ref}:medical:v1", f"{app.ref}:medical:v2"]
    assert len(channels["hrss"].calls) == len(channels["tax"].calls) == 1
    v2 = channels["medical"].effects[f"{app.ref}:medical:v2"]
    assert b"\xe6\x96\xb0\xe5\x9c\xb0\xe5\x9d\x80" in v2.files["data.json"]  # 新地址 in UTF-8
    states = {c.department: (c.state, c.version) for c in await rows(sm, DepartmentCase)}
    assert states == {"hrss": ("done", 1), "medical": ("delivered", 2), "tax": ("delivered", 1)}
    assert (await act(sm, clock, cases["medical"], "done", MEDICAL)).ok
    assert (await act(sm, clock, cases["tax"], "done", TAX)).data["application"] == "completed"
    [stored] = await rows(sm, Application)
    assert stored.version == 2 and stored.data["answers"]["name"] == "张三丰"
    assert stored.data["materials"]["household"]["files"][0]["sha256"] == sha


async def test_webhook_actor_is_limited_to_its_department(sm, clock, delivered):
    _, cases, *_ = delivered
    assert (await act(sm, clock, cases["hrss"], "done", Actor.webhook("tax"))).code == "forbidden"
    result = await act(sm, clock, cases["tax"], "done", Actor.webhook("tax"), note="申报成功")
    assert result.ok
    audit = await rows(sm, Audit, Audit.actor.like("webhook:%"))
    assert [(a.action, a.allowed) for a in audit] == [("done", False), ("done", True)]


async def test_reminders_once_and_escalation_when_overdue(sm, calendar, clock, config, delivered):
    app, cases, *_ = delivered
    assert (await act(sm, clock, cases["hrss"], "done", HRSS_A)).ok
    chats = {d: c.chat_id for d, c in config.departments.items()}

    async def run(days: int):
        async with UnitOfWork(sm) as uow:
            return await reminders(
                uow, clock() + timedelta(days=days), calendar, 3, chats=chats, admin_chat=config.admin_chat_id
            )

    assert await run(0) == {"reminded": 0, "escalated": 0}
    # deadline Monday 2026-03-23; Wednesday 03-18 leaves 3 working days
    assert await run(16) == {"reminded": 2, "escalated": 0}
    assert await run(17) == {"reminded": 0, "escalated": 0}
    assert await run(22) == {"reminded": 0, "escalated": 2}  # Tuesday 03-24: one day late
    assert await run(30) == {"reminded": 0, "escalated": 0}
    notes = [n for n in await rows(sm, Notification) if n.body["kind"] in ("staff.reminder", "admin.overdue")]
    assert sorted((n.body["kind"], n.chat_id) for n in notes) == [
        ("admin.overdue", "900"),
        ("admin.overdue", "900"),
        ("staff.reminder", "102"),
        ("staff.reminder", "103"),
    ]
    assert "剩余3个工作日" in notes[0].body["text"] and "已超期1个工作日" in notes[-1].body["text"]
    assert all("张三丰" not in n.body["text"] for n in notes)


async def test_after_redelivery_the_first_clerk_keeps_the_case(sm, blobs, clock, delivered):
    app, cases, w, _ = delivered
    assert (await act(sm, clock, cases["hrss"], "correct", HRSS_A, reason="缺介绍信", materials=["archive_letter"])).ok
    async with UnitOfWork(sm) as uow:
        changes = {"materials": {"archive_letter": {"title": "转出档案介绍信", "files": []}}}
        assert (await decisions.resubmit(uow, app.ref, "hrss", changes, clock())).ok
    assert await w.run_once() == 1
    other = await act(sm, clock, cases["hrss"], "claim", HRSS_B)
    assert other.code == "conflict" and "其他经办人员" in other.message
    assert (await act(sm, clock, cases["hrss"], "done", HRSS_A)).ok


async def test_worker_remind_uses_its_config(sm, calendar, clock, config, delivered):
    _, _, w, _ = delivered
    clock.advance(days=16)
    assert await watch(sm, w.config, w.now(), calendar) == {"reminded": 3, "escalated": 0, "confirmed": 0}
    assert await watch(sm, w.config, w.now(), calendar) == {"reminded": 0, "escalated": 0, "confirmed": 0}


async def test_provisional_deadline_is_confirmed_when_the_calendar_covers_it(sm, blobs, clock):
    from datetime import date, datetime

    from dialogs.workdays import WorkCalendar
    from office import window
    from office.deadlines import confirm_provisional
    from tests.dispatch.conftest import create_application

    now = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)  # a deadline in January 2027
    base = WorkCalendar.load()
    app = await create_application(sm, blobs)
    async with UnitOfWork(sm) as uow:
        assert (await window.accept(uow, app.ref, "staff:window", now, base)).ok
    async with UnitOfWork(sm) as uow:
        row = await uow.applications.by_ref(app.ref)
        assert row.deadline_provisional and row.deadline == date(2027, 1, 11)  # 元旦 not counted
        assert await confirm_provisional(uow, base) == 0
    async with UnitOfWork(sm) as uow:
        assert await confirm_provisional(uow, WorkCalendar([Schedule2027])) == 1
    async with UnitOfWork(sm) as uow:
        row = await uow.applications.by_ref(app.ref)
        notes = list(await uow.db.scalars(__import__("sqlalchemy").select(Notification)))
    assert not row.deadline_provisional and row.deadline == date(2027, 1, 12)  # Monday 1-4 off too
    assert any("办结时限确定为" in n.body["text"] for n in notes)


class Schedule2027:
    """A made-up 2027 notice in the holidays package's format: Monday 1-4 off, Saturday 1-30 worked."""

    from holidays.calendars.gregorian import JAN

    special_public_holidays = {2027: ((JAN, 4, JAN, 30),)}


async def test_refusals_after_acceptance_are_not_handled_and_all_three_are_not_called_partial(sm, clock, delivered):
    app, cases, *_ = delivered
    for dept, who in (("hrss", HRSS_A), ("medical", MEDICAL), ("tax", TAX)):
        assert (await act(sm, clock, cases[dept], "reject", who, reason="不符合条件")).ok
    notes = await applicant_notes(sm)
    refusals = [n["text"] for n in notes if n["kind"] == "applicant.rejected"]
    # the window accepted (受理) it: a department's refusal is 不予办理
    assert len(refusals) == 3 and all("不予办理" in t and "不予受理" not in t for t in refusals)
    final = notes[-1]
    assert "部分事项" not in final["text"] and "均不予办理" in final["text"]
    assert "医保部门：不予办理（不符合条件）" in final["text"]
    from datetime import date

    from dialogs.status import status
    from dialogs.workdays import WorkCalendar
    from storage.status import application_view

    async with UnitOfWork(sm) as uow:
        stored = await uow.applications.by_ref(app.ref)
        view = await application_view(uow, stored, WorkCalendar.load(), date(2026, 3, 10))
    text = status(view).text
    assert "各事项均不予办理" in text and "部分事项" not in text and "不予受理" not in text
