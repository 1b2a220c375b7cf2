"""Flood limits through the real Dispatcher, with a fake clock under the `limits` moving window."""

from __future__ import annotations

import asyncio

import limits.storage.memory
import pytest
from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import func, select

from bot.telegram.app import make_dispatcher
from bot.telegram.flood import WARNING, FloodGuard
from storage.models import Ticket
from tests import factories as f
from tests.bot.recording import RecordingSession
from tests.bot.test_applicant import drive
from tests.scripts import ELIGIBILITY, FORM


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return clock


@pytest.fixture
def guarded(runner, clock, fake_time):
    session = RecordingSession()
    guard = FloodGuard("30/minute", "1/minute")
    return Bot("42:TEST", session=session), make_dispatcher(runner, clock=clock, flood=guard), session, guard


async def test_a_flood_is_dropped_with_one_warning_a_minute_and_others_are_served(guarded, fake_time):
    bot, dp, session, guard = guarded
    for _ in range(45):
        fake_time.now += 0.5
        await dp.feed_update(bot, f.text_update("/start", uid=111))
    greetings = [t for t in session.texts(111) if "灵活就业“一件事一次办”" in t]
    assert len(greetings) == 30 and session.texts(111).count(WARNING) == 1 and guard.dropped == 15
    await dp.feed_update(bot, f.text_update("/start", uid=222))  # another user is not affected
    assert "灵活就业“一件事一次办”" in session.texts(222)[-1]
    fake_time.now += 61  # the window has moved on
    await dp.feed_update(bot, f.text_update("/start", uid=111))
    assert "灵活就业“一件事一次办”" in session.texts(111)[-1]
    for _ in range(40):
        await dp.feed_update(bot, f.text_update("/start", uid=111))
    assert session.texts(111).count(WARNING) == 2  # a new minute, one new warning


async def test_a_dropped_button_press_is_still_answered(guarded, fake_time):
    bot, dp, session, _ = guarded
    for _ in range(32):
        await dp.feed_update(bot, f.callback_update("g|notice", uid=111))
    answers = [r for r in session.requests if isinstance(r, AnswerCallbackQuery)]
    assert len(answers) == 32 and answers[-2].text == WARNING and answers[-1].text is None


async def test_tickets_per_user_per_hour_are_capped(tg, runner, sessionmaker):
    runner.tickets_per_hour = 2
    await drive(tg, ELIGIBILITY + FORM[:3])
    questions = [
        "退休以后每个月能领多少养老金？",
        "这个问题通知里没说：我家的猫能不能一起登记？",
        "多久办好？办完了一个月得交多少社保？",
    ]
    for q in questions[:2]:
        await tg.feed(f.text_update(q))
    async with sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Ticket)) == 2
    for q in questions:  # an out-of-scope topic, a plain hand-off, a half-answered question: none opens a ticket
        seen = len(tg.session.texts(111))
        await tg.feed(f.text_update(q))
        after = tg.session.texts(111)[seen:]
        assert "一小时内已提交了2个人工咨询" in after[-1], after
        assert not any("已转给人工客服" in t for t in after), after  # no promise of staff that is not kept
    assert "15个工作日" in "".join(after)  # the part the notice answers is still answered
    async with sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Ticket)) == 2


async def test_the_per_process_windows_start_no_thread_per_update(monkeypatch):
    """`limits`' memory storage would start a sweeper thread on each hit once hits are 10 ms apart."""
    import threading

    guard = FloodGuard("2/minute")
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self), start(self))[1])
    for _ in range(3):
        await asyncio.sleep(0.02)  # the memory storage's last timer would have finished
        await guard.limiter.hit(guard.rate, "updates", "7")
    assert started == []
    assert [await guard.limiter.hit(guard.rate, "updates", "8") for _ in range(3)] == [True, True, False]
