"""Staff, help desk, corrections and ratings through the real Dispatcher and the runner."""

from __future__ import annotations

from functools import partial

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.notifier import send_pending
from bot.telegram.app import make_dispatcher
from bot.telegram.helpdesk import make_router as helpdesk_router
from bot.telegram.staff import make_router as staff_router
from dialogs import departments
from dispatch.config import DispatchConfig
from dispatch.packet import build_packet
from dispatch.worker import Worker
from office.staff import add_staff
from storage.models import Audit, DepartmentCase, FaqAddition, Notification, Rating, Ticket
from storage.uow import UnitOfWork
from tests import factories as f
from tests.bot.conftest import LENIENT
from tests.bot.recording import RecordingSession
from tests.bot.test_applicant import drive
from tests.dispatch.conftest import RecordingChannel
from tests.scripts import ELIGIBILITY, FORM, FULL, jpeg

HELPDESK, APPLICANT = -500, 111


@pytest.fixture
async def staffed(runner, sessionmaker, blobs, calendar, faq, clock):
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    runner.helpdesk_chat = HELPDESK
    dp = make_dispatcher(
        runner,
        helpdesk_router(sessionmaker, HELPDESK, faq, clock),
        staff_router(sessionmaker, blobs, calendar, clock),
        clock=clock,
        flood=LENIENT(),
    )
    async with UnitOfWork(sessionmaker) as uow:
        await add_staff(uow, 10, "窗口", "window")
        await add_staff(uow, 20, "人社", "clerk", "hrss")
        await add_staff(uow, 21, "医保", "clerk", "medical")
        await add_staff(uow, 22, "税务", "clerk", "tax")
        await add_staff(uow, 30, "客服", "helpdesk")

    class H:
        pass

    h = H()
    h.session, h.bot, h.dp, h.sm = session, bot, dp, sessionmaker
    h.feed = lambda update: dp.feed_update(bot, update)
    h.channel = RecordingChannel()
    h.worker = Worker(
        sessionmaker,
        blobs,
        dict.fromkeys(departments.KEYS, h.channel),
        DispatchConfig(departments={"hrss": {"chat_id": -700}}),
        clock=clock,
        packer=partial(build_packet, render_pdfs=False),
    )
    return h


async def submitted_ref(h) -> str:
    await drive(h, FULL)
    async with UnitOfWork(h.sm) as uow:
        app = await uow.applications.latest_for(1)
    return app.ref


async def accepted_case(h, calendar, dept="hrss") -> tuple[str, int]:
    ref = await submitted_ref(h)
    await h.feed(f.callback_update(f"w|accept|{ref}", uid=10, cid=-600))
    await h.worker.run_once()
    async with UnitOfWork(h.sm) as uow:
        app = await uow.applications.by_ref(ref)
        case = await uow.db.scalar(
            select(DepartmentCase).where(DepartmentCase.application_id == app.id, DepartmentCase.department == dept)
        )
    return ref, case.id


async def test_window_button_accepts_and_the_applicant_is_told(staffed, calendar):
    h = staffed
    ref, _ = await accepted_case(h, calendar)
    await send_pending(h.bot, h.sm)
    texts = h.session.texts(APPLICANT)
    assert any("已由“一件事一次办”窗口受理" in t and ref in t for t in texts)
    assert len(h.channel.effects) == 3


async def test_non_clerk_button_press_is_refused_and_audited(staffed, calendar):
    h = staffed
    _, case_id = await accepted_case(h, calendar)
    await h.feed(f.callback_update(f"k|claim|{case_id}", uid=9999, cid=-700))
    await h.feed(f.callback_update(f"k|claim|{case_id}", uid=21, cid=-700))  # a medical clerk
    answers = [r for r in h.session.requests if type(r).__name__ == "AnswerCallbackQuery"]
    assert "没有权限" in answers[-1].text and "没有权限" in answers[-2].text
    async with UnitOfWork(h.sm) as uow:
        refused = list(await uow.db.scalars(select(Audit).where(Audit.allowed.is_(False))))
        case = await uow.db.get(DepartmentCase, case_id)
    assert {a.actor for a in refused} >= {"tg:9999", "tg:21"}
    assert case.state == "delivered"


async def test_clerk_claims_and_finishes_through_buttons(staffed, calendar):
    h = staffed
    ref, case_id = await accepted_case(h, calendar)
    await h.feed(f.callback_update(f"k|claim|{case_id}", uid=20, cid=-700))
    await h.feed(f.callback_update(f"k|done|{case_id}", uid=20, cid=-700))
    async with UnitOfWork(h.sm) as uow:
        case = await uow.db.get(DepartmentCase, case_id)
    assert case.state == "done" and case.claimed_by == 20


async def test_clerk_opens_packet_in_private_protected(staffed, calendar):
    h = staffed
    _, case_id = await accepted_case(h, calendar)
    await h.feed(f.callback_update(f"k|open|{case_id}", uid=20, cid=-700))
    docs = [r for r in h.session.requests if type(r).__name__ == "SendDocument"]
    assert docs and all(d.protect_content and int(d.chat_id) == 20 for d in docs)


async def test_correction_loop_through_buttons_and_the_conversation(staffed, calendar):
    h = staffed
    ref, case_id = await accepted_case(h, calendar)
    await h.feed(f.callback_update(f"k|correct|{case_id}", uid=20, cid=-700))
    await h.feed(f.callback_update(f"k|tm|{case_id}|id_front", uid=20, cid=20))
    await h.feed(f.callback_update(f"k|cc|{case_id}", uid=20, cid=20))
    await h.feed(f.text_update("身份证人像面照片模糊，请重新拍摄", uid=20))
    await send_pending(h.bot, h.sm)
    assert any("需要您补正" in t for t in h.session.texts(APPLICANT))
    await h.feed(f.callback_update(f"c|hrss|{ref}"))
    assert "居民身份证（人像面）" in h.session.texts(APPLICANT)[-1]
    h.session.files["fix1"] = jpeg("yellow")
    await h.feed(f.photo_update("fix1"))
    await drive(h, [("choose", "review|ok"), ("choose", "commitment|accept")])
    assert "补正内容已提交" in h.session.texts(APPLICANT)[-1]
    async with UnitOfWork(h.sm) as uow:
        case = await uow.db.get(DepartmentCase, case_id)
        others = list(await uow.db.scalars(select(DepartmentCase).where(DepartmentCase.id != case_id)))
    assert case.state == "resubmitted" and case.version == 2
    assert all(c.version == 1 for c in others)
    await h.worker.run_once()
    assert f"{ref}:hrss:v2" in h.channel.effects and f"{ref}:tax:v2" not in h.channel.effects


async def test_help_desk_relay_close_and_faq_add(staffed):
    h = staffed
    await drive(h, ELIGIBILITY + FORM[:3])
    question = "可以找别人代办吗？"
    await h.feed(f.text_update(question))
    await send_pending(h.bot, h.sm)
    ticket_msgs = list(h.session.sent(HELPDESK))
    assert ticket_msgs and "工单" in ticket_msgs[-1].text and "填写表单：政治面貌" in ticket_msgs[-1].text
    async with UnitOfWork(h.sm) as uow:
        ticket = await uow.db.scalar(select(Ticket))
    staff_msg_id = ticket.staff_message_id
    # Only help-desk staff can answer: a stranger's reply is refused.
    stranger = f.message(
        "我来回答",
        uid=40,
        cid=HELPDESK,
        reply_to_message=f.message("ticket", uid=1, cid=HELPDESK).model_copy(update={"message_id": staff_msg_id}),
    )
    await h.feed(f.Update(update_id=90001, message=stranger))
    assert "没有答复工单的权限" in h.session.texts(HELPDESK)[-1]
    reply = f.message(
        "可以一次办理，全部事项由各部门并联办理。",
        uid=30,
        cid=HELPDESK,
        reply_to_message=f.message("ticket", uid=1, cid=HELPDESK).model_copy(update={"message_id": staff_msg_id}),
    )
    await h.feed(f.Update(update_id=90002, message=reply))
    await send_pending(h.bot, h.sm)
    assert any("人工客服回复" in t and "并联办理" in t for t in h.session.texts(APPLICANT))
    assert h.session.texts(APPLICANT)[-1].startswith("💬")
    add = f.message(
        "/faq_add",
        uid=30,
        cid=HELPDESK,
        reply_to_message=f.message("ticket", uid=1, cid=HELPDESK).model_copy(update={"message_id": staff_msg_id}),
    )
    await h.feed(f.Update(update_id=90003, message=add))
    assert "已加入知识库" in h.session.texts(HELPDESK)[-1]
    async with UnitOfWork(h.sm) as uow:
        assert await uow.db.scalar(select(FaqAddition)) is not None
    # The next applicant asking the same question is answered by the bot.
    await drive(h, ELIGIBILITY[:1] + [("text", question)], uid=222)
    assert any("并联办理" in t for t in h.session.texts(222))
    await h.feed(f.callback_update(f"h|close|{ticket.id}", uid=30, cid=HELPDESK))
    async with UnitOfWork(h.sm) as uow:
        assert (await uow.db.get(Ticket, ticket.id)).status == "closed"


async def test_rating_and_bad_rating_follow_up(staffed, calendar):
    h = staffed
    ref, _ = await accepted_case(h, calendar)
    await h.feed(f.callback_update(f"r|1|{ref}"))
    assert "回访" in h.session.texts(APPLICANT)[-1]
    await h.feed(f.text_update("等了太久"))
    async with UnitOfWork(h.sm) as uow:
        rating = await uow.db.scalar(select(Rating))
        tickets = list(await uow.db.scalars(select(Ticket)))
        queued = list(await uow.db.scalars(select(Notification).where(Notification.chat_id == str(HELPDESK))))
    assert rating.score == 1 and rating.comment == "等了太久"
    assert tickets and "差评回访" in tickets[0].question and queued


async def test_stale_or_malformed_staff_buttons_are_answered_not_ignored(staffed, calendar):
    h = staffed
    _, case_id = await accepted_case(h, calendar)
    stale, refused = "该按钮已失效。", "您没有窗口受理的权限。"  # an unknown window action is no permission
    for data, uid, said in [
        ("k|claim|abc", 20, stale),
        ("w|accept", 10, stale),
        (f"k|bogus|{case_id}", 20, stale),
        (f"k|tf|{case_id}", 20, stale),
        ("w|bogus|LJ1", 10, refused),
    ]:
        before = len(h.session.requests)
        await h.feed(f.callback_update(data, uid=uid, cid=-700))
        answers = [r for r in h.session.requests[before:] if type(r).__name__ == "AnswerCallbackQuery"]
        assert [a.text for a in answers] == [said], data
    async with UnitOfWork(h.sm) as uow:
        case = await uow.db.get(DepartmentCase, case_id)
    assert case.state == "delivered"


async def test_out_of_scope_ticket_names_its_topic_for_staff(staffed):
    h = staffed
    await drive(h, ELIGIBILITY + FORM[:3])
    await h.feed(f.text_update("住房公积金怎么提取？"))
    assert any("住房公积金方面的问题" in t for t in h.session.texts(APPLICANT)[-3:])
    await send_pending(h.bot, h.sm)
    ticket_msgs = list(h.session.sent(HELPDESK))
    assert ticket_msgs and "办事指南不涉及的问题：住房公积金" in ticket_msgs[-1].text
