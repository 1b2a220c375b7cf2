"""Help desk through the real Dispatcher: same answers as every channel, /faq_add <entry>, faq report."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.faq_learning import faq_report
from bot.notifier import send_pending
from bot.runner import Runner
from bot.telegram.app import make_dispatcher
from bot.telegram.helpdesk import make_router as helpdesk_router
from dialogs.clock import local_day
from dialogs.engine import Engine
from dialogs.faq import FaqIndex, load_bank
from dialogs.helpdesk import respond
from office.staff import add_staff
from storage.models import FaqAddition, Ticket
from storage.uow import UnitOfWork
from tests import factories as f
from tests.bot.recording import RecordingSession
from tests.bot.test_applicant import drive
from tests.conftest import NOW
from tests.scripts import ELIGIBILITY, FORM

HELPDESK, APPLICANT = -501, 111
UNSURE = "审批结果多会能有信儿"  # a deadline question in words the bank does not know


@pytest.fixture
async def desk(sessionmaker, blobs, calendar, clock):
    faq = FaqIndex(load_bank())  # own index: this module teaches it new wordings
    runner = Runner(Engine(faq=faq), sessionmaker, blobs, calendar, clock=clock)
    runner.helpdesk_chat = HELPDESK
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    dp = make_dispatcher(runner, helpdesk_router(sessionmaker, HELPDESK, faq, clock), clock=clock)
    async with UnitOfWork(sessionmaker) as uow:
        await add_staff(uow, 30, "客服", "helpdesk")
    h = SimpleNamespace(
        session=session, bot=bot, sm=sessionmaker, faq=faq, feed=lambda update: dp.feed_update(bot, update)
    )
    return h


def as_reply_to(ticket: Ticket, text: str, uid: int = 30):
    target = f.message("ticket", uid=1, cid=HELPDESK).model_copy(update={"message_id": ticket.staff_message_id})
    return f.Update(update_id=next(f._ids), message=f.message(text, uid=uid, cid=HELPDESK, reply_to_message=target))


async def test_telegram_shows_the_same_answer_as_respond_and_returns_to_the_step(desk):
    await drive(desk, ELIGIBILITY + FORM[:3])
    question = "我五十八了，男的，还能办吗"
    before = len(desk.session.texts(APPLICANT))
    await desk.feed(f.text_update(question))
    texts = desk.session.texts(APPLICANT)[before:]
    expected = respond(desk.faq, question, local_day(NOW)).text
    assert texts[0] == expected and "60周岁9个月" in expected
    assert texts[-1].startswith("【个人基本信息】")  # the same step, asked again


async def test_faq_add_with_an_entry_makes_the_question_a_wording_of_it(desk):
    await drive(desk, ELIGIBILITY + FORM[:3])
    await desk.feed(f.text_update(UNSURE))
    assert any("已转给人工客服" in t for t in desk.session.texts(APPLICANT)[-3:])
    await send_pending(desk.bot, desk.sm)
    assert "可能相关的知识库条目" in desk.session.texts(HELPDESK)[-1]
    async with UnitOfWork(desk.sm) as uow:
        ticket = await uow.db.scalar(select(Ticket))
    await desk.feed(as_reply_to(ticket, "办理时限为15个工作日。"))
    await desk.feed(as_reply_to(ticket, "/faq_add no_such_entry"))
    assert "知识库中没有条目" in desk.session.texts(HELPDESK)[-1]
    await desk.feed(as_reply_to(ticket, "/faq_add deadline"))
    assert "作为条目 deadline 的新问法" in desk.session.texts(HELPDESK)[-1]
    async with UnitOfWork(desk.sm) as uow:
        row = await uow.db.scalar(select(FaqAddition))
    assert (row.entry_id, row.question) == ("deadline", UNSURE)
    assert UNSURE in next(e for e in desk.faq.entries if e.id == "deadline").questions
    # The next applicant asking it gets the notice's own answer, not the staff wording.
    await drive(desk, ELIGIBILITY[:1] + [("text", UNSURE)], uid=222)
    answer = [t for t in desk.session.texts(222) if "办理时限为15个工作日" in t]
    assert answer and "（三）办理时限" in answer[0]


async def test_faq_report_groups_hand_offs_by_likely_entry(desk):
    await drive(desk, [("text", "/start")], uid=301)
    for question in (UNSURE, "这事多会能落地", "公积金怎么提取", "办理结果会短信通知吗？"):
        await desk.feed(f.text_update(question, uid=301))
    services = SimpleNamespace(sessionmaker=desk.sm, faq=desk.faq)
    report = await faq_report(services, days=30, now=NOW)
    assert "4 条" in report.splitlines()[0]
    groups = report.split("\n【")[1:]
    # out of scope: grouped by what the notice does not cover, after the entries
    assert groups[-1].startswith("超出办事指南｜住房公积金") and "公积金怎么提取" in groups[-1]
    likely = {g.split("｜")[0]: g for g in groups[:-1]}
    assert likely[desk.faq.candidate(UNSURE).id].count("#") >= 1
    assert "现已能自动答复" not in report
    desk.faq.add_variant("deadline", UNSURE)
    report = await faq_report(services, days=30, now=NOW)
    assert "现已能自动答复" in report.split("\n【deadline｜")[1]
    assert "近 1 天没有转人工的问题" in await faq_report(services, days=1, now=NOW.replace(year=2027))


async def test_telegram_gives_respond_s_answer_to_a_dialect_question_mid_form(desk):
    # 木有 read as 没有 in every channel: the form's field, not a hand-off about the card
    await drive(desk, ELIGIBILITY + FORM[:3])
    question = "俺木有社保卡，表里头有这一项不"
    before = len(desk.session.texts(APPLICANT))
    await desk.feed(f.text_update(question))
    texts = desk.session.texts(APPLICANT)[before:]
    expected = respond(desk.faq, question, local_day(NOW))
    assert expected.confident and texts[0] == expected.text and "已转给人工客服" not in texts[0]
    assert texts[-1].startswith("【个人基本信息】")


async def test_telegram_hands_off_an_out_of_scope_question_typed_with_a_typo(desk):
    await drive(desk, ELIGIBILITY + FORM[:3])
    question = "医爆卡能借给俺妈用不"  # 医保卡, typed with a homophone: the card's matter, named
    before = len(desk.session.texts(APPLICANT))
    await desk.feed(f.text_update(question))
    texts = desk.session.texts(APPLICANT)[before:]
    assert texts[0] == respond(desk.faq, question, local_day(NOW)).text
    assert "医保报销和就医" in texts[0] and "已转给人工客服" in texts[0]
    assert texts[-1].startswith("【个人基本信息】")
