"""What an update costs in-process is kept down without changing what anyone sees: one markup per
distinct keyboard, and an applicant's press never goes through the staff buttons' filters."""

from __future__ import annotations

import pytest
from aiogram import Bot

from bot.telegram.app import make_dispatcher
from bot.telegram.callbacks import Cb
from bot.telegram.staff import make_router as staff_router
from tests import factories as f
from tests.bot.conftest import LENIENT
from tests.bot.recording import RecordingSession


def staffed_dispatcher(runner, sessionmaker, blobs, calendar, clock):
    return make_dispatcher(runner, staff_router(sessionmaker, blobs, calendar, clock), clock=clock, flood=LENIENT())


async def test_an_applicant_press_skips_the_staff_buttons_filters(
    runner, sessionmaker, blobs, calendar, clock, monkeypatch
):
    calls = []
    original = Cb.__call__

    async def counted(self, query):
        calls.append(query.data)
        return await original(self, query)

    monkeypatch.setattr(Cb, "__call__", counted)
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    dp = staffed_dispatcher(runner, sessionmaker, blobs, calendar, clock)
    await dp.feed_update(bot, f.text_update("/start", 111))
    await dp.feed_update(bot, f.callback_update("g|notice", 111))
    assert calls == []  # no staff handler looked at the applicant's payload
    assert "系统繁忙" not in session.texts(111)[-1]
    await dp.feed_update(bot, f.callback_update("k|claim|7", 112))  # a clerk's button still reaches them
    assert calls and set(calls) == {"k|claim|7"}


async def test_one_keyboard_is_built_once_and_shown_to_everyone(tg):
    await tg.feed(f.text_update("/start", 111))
    await tg.feed(f.text_update("/start", 222))
    first, second = tg.session.sent(111)[-1], tg.session.sent(222)[-1]
    assert first.reply_markup is not None and first.reply_markup is second.reply_markup
    assert tg.session.buttons(222) == ["g|notice", "g|apply", "g|ask"]


def test_a_chat_that_sends_again_waits_from_its_last_message_and_idle_chats_are_forgotten():
    from bot.pacing import Pacer

    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    pacer.sent(1)
    now[0] = 0.5
    pacer.sent(2)
    now[0] = 0.9
    pacer.sent(1)  # chat 1 again: its gap runs from here, though it first sent before chat 2
    now[0] = 1.2
    assert pacer.chat_wait(1) == pytest.approx(0.7) and pacer.chat_wait(2) == pytest.approx(0.3)
    now[0] = 1.6
    assert pacer.chat_wait(2) == 0 and pacer.chat_wait(1) == pytest.approx(0.3)
    assert pacer.held() == frozenset({"1"})
    now[0] = 2.0
    assert pacer.held() == frozenset() and not pacer._last  # nothing kept for chats gone quiet
