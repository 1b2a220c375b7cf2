"""Corrections after submission, through the real Dispatcher, the runner and the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialogs.clock import local_text
from dispatch import routing
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


async def medical_correction(h, calendar) -> tuple[str, int]:
    """The 医保 clerk asks for the bank account and the 户口簿 again."""
    ref, case_id = await accepted_case(h, calendar, dept="medical")
    await h.feed(f.callback_update(f"k|correct|{case_id}", uid=21, cid=-700))
    await h.feed(f.callback_update(f"k|tf|{case_id}|bank_account", uid=21, cid=21))
    await h.feed(f.callback_update(f"k|tm|{case_id}|household", uid=21, cid=21))
    await h.feed(f.callback_update(f"k|cc|{case_id}", uid=21, cid=21))
    await h.feed(f.text_update("银行账号有误，户口簿照片不清晰", uid=21))
    await h.feed(f.callback_update(f"c|medical|{ref}"))
    return ref, case_id


async def test_back_in_a_correction_never_moves_forward_nor_opens_other_items(staffed, calendar):  # noqa: F811
    h = staffed
    ref, _ = await medical_correction(h, calendar)
    assert "银行账号" in h.session.texts(APPLICANT)[-1]
    await h.feed(f.callback_update("f_bank_account|back"))
    page = h.session.texts(APPLICANT)[-1]
    assert "请核对" in page and "请上传" not in page  # the review page, not the next requested item
    edits = [b for b in h.session.buttons(APPLICANT) if b.startswith("review|e:")]
    assert sorted(edits) == ["review|e:bank_account", "review|e:m_doc"]
    await h.feed(f.callback_update("review|e:employer"))  # an old button of an item not asked for
    assert "只能修改" in h.session.texts(APPLICANT)[-1]
    await h.feed(f.callback_update("review|back"))
    assert "只能修改" in h.session.texts(APPLICANT)[-1]


async def test_every_requested_item_is_visited_and_a_requested_material_cannot_be_skipped(staffed, calendar):  # noqa: F811
    h = staffed
    ref, _ = await medical_correction(h, calendar)
    await h.feed(f.text_update("6222 0212 3456 7890 136"))  # the corrected account
    page = h.session.texts(APPLICANT)[-1]
    assert "户口簿本人页" in page and "本项不上传" not in str(h.session.buttons(APPLICANT))
    await h.feed(f.callback_update("m_doc|skip"))
    assert "不能跳过" in "".join(h.session.texts(APPLICANT)[-2:])
    await h.feed(f.callback_update("m_doc|back"))  # to the review: the 户口簿 is still missing
    await h.feed(f.callback_update("review|ok"))
    assert h.session.texts(APPLICANT)[-1].startswith("请上传：户口簿本人页")
    h.session.files["fix2"] = jpeg("purple")
    await h.feed(f.photo_update("fix2"))
    await drive(h, [("choose", "m_doc|done"), ("choose", "review|ok"), ("choose", "commitment|accept")])
    assert "补正内容已提交" in h.session.texts(APPLICANT)[-1]
    async with UnitOfWork(h.sm) as uow:
        app = await uow.applications.by_ref(ref)
    assert app.version == 2 and app.data["answers"]["bank_account"] == "6222021234567890136"


async def test_a_requested_optional_material_is_no_longer_optional(staffed, calendar):  # noqa: F811
    from tests.scripts import ELIGIBILITY, FORM, SUBMIT

    h = staffed
    unsure = [
        ("choose", "m_doc_choice|household"),
        ("upload", [jpeg("red")]),
        ("choose", "m_doc|done"),
        ("choose", "m_entrusted|unsure"),
        ("choose", "m_letter|skip"),
        ("upload", [jpeg("white")]),
        ("upload", [jpeg("black")]),
    ]
    await drive(h, ELIGIBILITY + FORM + unsure + SUBMIT)
    async with UnitOfWork(h.sm) as uow:
        ref = (await uow.applications.latest_for(1)).ref
    await h.feed(f.callback_update(f"w|accept|{ref}", uid=10, cid=-600))
    await h.worker.run_once()
    async with UnitOfWork(h.sm) as uow:
        case = next(
            c
            for c in await uow.cases.for_application((await uow.applications.by_ref(ref)).id)
            if c.department == "hrss"
        )
    await h.feed(f.callback_update(f"k|correct|{case.id}", uid=20, cid=-700))
    await h.feed(f.callback_update(f"k|tm|{case.id}|archive_letter", uid=20, cid=20))
    await h.feed(f.callback_update(f"k|cc|{case.id}", uid=20, cid=20))
    await h.feed(f.text_update("请补充单位盖章的转出档案介绍信", uid=20))
    await h.feed(f.callback_update(f"c|hrss|{ref}"))
    assert h.session.texts(APPLICANT)[-1].startswith("请上传：转出档案介绍信")
    assert "m_letter|skip" not in h.session.buttons(APPLICANT)
    await h.feed(f.callback_update("m_letter|skip"))
    assert "不能跳过" in "".join(h.session.texts(APPLICANT)[-2:])


async def finished(h, calendar) -> str:
    from bot.notifier import send_pending

    ref, _ = await accepted_case(h, calendar)
    async with UnitOfWork(h.sm) as uow:
        app = await uow.applications.by_ref(ref)
        cases = {c.department: c.id for c in await uow.cases.for_application(app.id)}
    for dept, uid in (("hrss", 20), ("medical", 21), ("tax", 22)):
        await h.feed(f.callback_update(f"k|done|{cases[dept]}", uid=uid, cid=-700))
    await send_pending(h.bot, h.sm)
    assert "好差评" in h.session.texts(APPLICANT)[-1]
    return ref


async def test_rating_stays_on_offer_after_a_stray_message_and_in_status(staffed, calendar):  # noqa: F811
    h = staffed
    ref = await finished(h, calendar)
    await h.feed(f.text_update("👍"))
    last = h.session.texts(APPLICANT)[-1]
    assert "⚠️" not in last and "状态：已办结" in last and "好差评" in last
    assert f"r|5|{ref}" in h.session.buttons(APPLICANT)
    await h.feed(f.callback_update("g|no_rating"))
    assert "/status" in h.session.texts(APPLICANT)[-1]
    await h.feed(f.text_update("/status"))
    assert f"r|4|{ref}" in h.session.buttons(APPLICANT)  # unrated: still offered
    await h.feed(f.callback_update(f"r|4|{ref}"))
    await h.feed(f.callback_update("g|no_comment"))
    await h.feed(f.text_update("/status"))
    assert "好差评" not in h.session.texts(APPLICANT)[-1] and f"r|4|{ref}" not in h.session.buttons(APPLICANT)


async def test_re_uploading_the_very_file_sent_back_is_asked_back(staffed, calendar):  # noqa: F811
    h = staffed
    ref, case_id = await accepted_case(h, calendar)
    await request_id_front(h, case_id)
    await h.feed(f.callback_update(f"c|hrss|{ref}"))
    h.session.files["same"] = jpeg("white")  # the 人像面 photo of the submission
    await h.feed(f.photo_update("same"))
    assert "正是部门要求补正前您上传的同一个文件" in h.session.texts(APPLICANT)[-1]
    h.session.files["same2"] = jpeg("white")
    await h.feed(f.photo_update("same2"))  # sent again: the applicant means it
    assert "已收到居民身份证（人像面）" in "".join(h.session.texts(APPLICANT)[-3:])
