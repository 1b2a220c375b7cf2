"""The staff role matrix through the Dispatcher: pending typed actions live in the database, expire,
and are re-authorised when completed; packet access by role, department, claim and case state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.methods import AnswerCallbackQuery, SendDocument
from sqlalchemy import select

from bot.telegram.app import make_dispatcher
from bot.telegram.staff import make_router as staff_router
from office.staff import add_staff, remove_staff
from storage.models import Audit, DepartmentCase, PendingAction
from storage.uow import UnitOfWork
from tests import factories as f
from tests.bot.conftest import LENIENT
from tests.bot.test_staff_side import accepted_case, staffed, submitted_ref  # noqa: F401 - fixture
from tests.conftest import NOW

ADMIN, WINDOW, HRSS, HRSS2, MEDICAL, HELPDESK_STAFF, STRANGER = 1, 10, 20, 23, 21, 30, 9999


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
async def office(staffed, sessionmaker, blobs, calendar, runner):  # noqa: F811 - the imported fixture
    """`staffed` plus an admin, a second hrss clerk, and a staff router on a clock we can move."""
    h = staffed
    h.clock = Clock()
    async with UnitOfWork(sessionmaker) as uow:
        await add_staff(uow, ADMIN, "管理员", "admin")
        await add_staff(uow, HRSS2, "人社二", "clerk", "hrss")
    h.router_args = (sessionmaker, blobs, calendar, h.clock)
    h.runner = runner
    h.dp = make_dispatcher(runner, staff_router(*h.router_args), clock=h.clock, flood=LENIENT())
    h.feed = lambda update: h.dp.feed_update(h.bot, update)
    return h


def last_answer(h) -> str:
    return [r for r in h.session.requests if isinstance(r, AnswerCallbackQuery)][-1].text or ""


def documents_to(h, uid: int) -> int:
    return sum(1 for r in h.session.requests if isinstance(r, SendDocument) and int(r.chat_id) == uid)


async def case_row(h, case_id):
    async with UnitOfWork(h.sm) as uow:
        return await uow.db.get(DepartmentCase, case_id)


async def test_pending_reason_survives_a_restart_and_is_acted_on(office, calendar):
    h = office
    _, case_id = await accepted_case(h, calendar)
    await h.feed(f.callback_update(f"k|reject|{case_id}", uid=HRSS, cid=-700))
    async with UnitOfWork(h.sm) as uow:
        row = await uow.db.get(PendingAction, HRSS)
    assert (row.kind, row.action, row.target) == ("k", "reject", str(case_id))
    # a new process: a new router and dispatcher, nothing in memory
    dp = make_dispatcher(h.runner, staff_router(*h.router_args), clock=h.clock, flood=LENIENT())
    await dp.feed_update(h.bot, f.text_update("材料与本人不符", uid=HRSS))
    assert (await case_row(h, case_id)).state == "rejected"
    async with UnitOfWork(h.sm) as uow:
        assert await uow.db.get(PendingAction, HRSS) is None


async def test_a_clerk_removed_while_typing_the_reason_does_not_act(office, calendar):
    h = office
    _, case_id = await accepted_case(h, calendar)
    await h.feed(f.callback_update(f"k|reject|{case_id}", uid=HRSS, cid=-700))
    async with UnitOfWork(h.sm) as uow:
        await remove_staff(uow, HRSS)
    await h.feed(f.text_update("材料与本人不符", uid=HRSS))
    assert (await case_row(h, case_id)).state == "delivered"
    assert "没有权限" in h.session.texts(HRSS)[-1]
    async with UnitOfWork(h.sm) as uow:
        refused = list(await uow.db.scalars(select(Audit).where(Audit.actor == f"tg:{HRSS}", Audit.action == "reject")))
    assert refused and refused[-1].allowed is False and refused[-1].detail["why"] == "inactive"


async def test_a_window_clerk_removed_while_typing_does_not_refuse(office, calendar):
    h = office
    ref = await submitted_ref(h)
    await h.feed(f.callback_update(f"w|refuse|{ref}", uid=WINDOW, cid=-600))
    async with UnitOfWork(h.sm) as uow:
        await remove_staff(uow, WINDOW)
    await h.feed(f.text_update("不符合条件", uid=WINDOW))
    async with UnitOfWork(h.sm) as uow:
        app = await uow.applications.by_ref(ref)
    assert app.status == "submitted" and "没有窗口受理的权限" in h.session.texts(WINDOW)[-1]


async def test_a_pending_reason_expires_after_ten_minutes(office, calendar):
    h = office
    ref = await submitted_ref(h)
    await h.feed(f.callback_update(f"w|return|{ref}", uid=WINDOW, cid=-600))
    h.clock.now = NOW + timedelta(minutes=10, seconds=1)
    await h.feed(f.text_update("请补充材料", uid=WINDOW))
    async with UnitOfWork(h.sm) as uow:
        app = await uow.applications.by_ref(ref)
        expired = list(
            await uow.db.scalars(select(Audit).where(Audit.action == "pending_return", Audit.allowed.is_(False)))
        )
    assert app.status == "submitted" and "已超过10分钟" in h.session.texts(WINDOW)[-1]
    assert expired and expired[0].detail["why"] == "expired"
    await h.feed(f.text_update("/start", uid=WINDOW))  # afterwards their texts are theirs again
    assert "灵活就业" in h.session.texts(WINDOW)[-1]


async def test_within_ten_minutes_the_reason_is_acted_on(office, calendar):
    h = office
    ref = await submitted_ref(h)
    await h.feed(f.callback_update(f"w|return|{ref}", uid=WINDOW, cid=-600))
    h.clock.now = NOW + timedelta(minutes=9)
    await h.feed(f.text_update("请补充材料", uid=WINDOW))
    async with UnitOfWork(h.sm) as uow:
        assert (await uow.applications.by_ref(ref)).status == "returned"


# Packet access: (who, case situation) -> may open the department packet
MATRIX = [
    (HRSS, "unclaimed", True),
    (HRSS, "claimed_by_me", True),
    (HRSS, "claimed_by_colleague", False),
    (HRSS, "finished_by_me", False),
    (HRSS2, "finished_by_colleague", False),
    (ADMIN, "claimed_by_colleague", True),
    (ADMIN, "finished_by_colleague", True),
    (MEDICAL, "unclaimed", False),
    (WINDOW, "unclaimed", False),
    (HELPDESK_STAFF, "unclaimed", False),
    (STRANGER, "unclaimed", False),
    ("removed", "unclaimed", False),
]


@pytest.mark.parametrize("who,situation,allowed", MATRIX)
async def test_department_packet_access(office, calendar, who, situation, allowed):
    h = office
    _, case_id = await accepted_case(h, calendar)
    claimer = {
        "claimed_by_me": HRSS,
        "finished_by_me": HRSS,
        "claimed_by_colleague": HRSS2,
        "finished_by_colleague": HRSS2,
    }.get(situation)
    if claimer:
        await h.feed(f.callback_update(f"k|claim|{case_id}", uid=claimer, cid=-700))
    if situation.startswith("finished"):
        await h.feed(f.callback_update(f"k|done|{case_id}", uid=claimer, cid=-700))
    if who == "removed":
        async with UnitOfWork(h.sm) as uow:
            await remove_staff(uow, HRSS)
        who = HRSS
    await h.feed(f.callback_update(f"k|open|{case_id}", uid=who, cid=-700))
    assert (documents_to(h, who) > 0) is allowed, last_answer(h)
    async with UnitOfWork(h.sm) as uow:
        views = list(
            await uow.db.scalars(
                select(Audit).where(Audit.actor == f"tg:{who}", Audit.action.in_(("packet_view", "view_case")))
            )
        )
    assert views, "every attempt is audited"
    if allowed:
        [seen] = [a for a in views if a.action == "packet_view" and a.allowed]
        assert seen.detail["case"] == case_id and seen.detail["department"] == "hrss"
        assert "materials.pdf" in seen.detail["parts"] and "form.pdf" in seen.detail["parts"]
        assert seen.detail["materials"]
    else:
        assert not any(a.allowed and a.action == "packet_view" for a in views)


@pytest.mark.parametrize(
    "who,status,allowed",
    [
        (WINDOW, "submitted", True),
        (WINDOW, "accepted", False),
        (ADMIN, "accepted", True),
        (HRSS, "submitted", False),
        (HELPDESK_STAFF, "submitted", False),
    ],
)
async def test_window_packet_access(office, calendar, who, status, allowed):
    h = office
    if status == "accepted":
        ref, _ = await accepted_case(h, calendar)
    else:
        ref = await submitted_ref(h)
    await h.feed(f.callback_update(f"w|open|{ref}", uid=who, cid=-600))
    assert (documents_to(h, who) > 0) is allowed, last_answer(h)
    async with UnitOfWork(h.sm) as uow:
        rows = list(await uow.db.scalars(select(Audit).where(Audit.actor == f"tg:{who}", Audit.target == ref)))
    assert rows and any(a.allowed for a in rows if a.action == "packet_view") is allowed
