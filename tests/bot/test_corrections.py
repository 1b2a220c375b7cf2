"""Corrections after submission, through the real Dispatcher, the runner and the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import routing
from dispatch.clock import local_text
from dispatch.packet import PacketSource, form_document
from storage.uow import UnitOfWork
from tests import factories as f
from tests.bot.test_applicant import drive
from tests.bot.test_staff_side import APPLICANT, accepted_case, staffed  # noqa: F401 (fixture)
from tests.conftest import NOW
from tests.scripts import jpeg


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


async def request_id_front(h, case_id: int) -> None:
    await h.feed(f.callback_update(f"k|correct|{case_id}", uid=20, cid=-700))
    await h.feed(f.callback_update(f"k|tm|{case_id}|id_front", uid=20, cid=20))
    await h.feed(f.callback_update(f"k|cc|{case_id}", uid=20, cid=20))
    await h.feed(f.text_update("身份证人像面照片模糊，请重新拍摄", uid=20))


async def test_recommitting_at_a_correction_updates_the_signature_time(staffed, calendar, clock):  # noqa: F811
    h = staffed
    ref, case_id = await accepted_case(h, calendar)
    await request_id_front(h, case_id)
    clock.now = NOW + timedelta(days=2, hours=5, minutes=7)
    await h.feed(f.callback_update(f"c|hrss|{ref}"))
    h.session.files["fix1"] = jpeg("yellow")
    await h.feed(f.photo_update("fix1"))
    await drive(h, [("choose", "review|ok"), ("choose", "commitment|accept")])
    assert "补正内容已提交" in h.session.texts(APPLICANT)[-1]
    async with UnitOfWork(h.sm) as uow:
        app = await uow.applications.by_ref(ref)
    assert app.version == 2 and app.data["commitment"]["accepted_at"] == clock.now.isoformat()
    doc = form_document(PacketSource.of(app), "hrss", routing.fields_for("hrss", app.data), clock.now)
    assert doc.signed_at == local_text(clock.now) and "2026年11月25日" in doc.signed_at
