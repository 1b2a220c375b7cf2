"""`run` builds the FAQ index in a thread once the start-up's updates are answered: replies that do
not need it go out meanwhile, and a question asked before it is whole waits for it and gets the
right answer (never the answer of a half-built index)."""

from __future__ import annotations

import asyncio
import threading

from aiogram import Bot

from bot.faq_loading import FaqLoader
from bot.runner import Runner
from bot.telegram.app import make_dispatcher
from dialogs.engine import Engine
from dialogs.faq import FaqEntry, FaqIndex, load_bank
from tests import factories as f
from tests.bot.conftest import LENIENT
from tests.bot.recording import RecordingSession

QUESTION = "灵活就业办理需要多长时间？"
ANSWER = "15个工作日"


def gated_index() -> tuple[FaqIndex, threading.Event]:
    """A fresh index whose build waits for the gate (30 s at most: a safety valve, so that a loop
    blocked on the build shows as a failure rather than a hang)."""
    faq = FaqIndex(load_bank())
    gate = threading.Event()
    build = faq._build

    def gated() -> None:
        gate.wait(timeout=30)
        build()

    faq._build = gated  # type: ignore[method-assign]
    return faq, gate


async def test_a_question_asked_while_the_index_loads_waits_and_is_answered_right(
    sessionmaker, blobs, calendar, clock, intake_pool
):
    faq, gate = gated_index()
    runner = Runner(Engine(faq=faq), sessionmaker, blobs, calendar, clock=clock, intake=intake_pool)
    runner.faq_loader = loader = FaqLoader(faq)
    loader.start()  # the build is under way in its thread, held at the gate
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    dp = make_dispatcher(runner, clock=clock, flood=LENIENT())

    asked = asyncio.create_task(dp.feed_update(bot, f.text_update(QUESTION, 501)))
    await asyncio.sleep(0.1)  # the question reaches the runner
    await dp.feed_update(bot, f.text_update("/start", 502))  # another chat is served meanwhile
    assert session.texts(502), "a reply that needs no index waits for nobody"
    assert session.texts(501) == [], "the question is not answered by an index not yet built"
    assert not loader.ready

    gate.set()
    await asyncio.wait_for(asked, timeout=60)
    assert loader.ready
    assert ANSWER in session.texts(501)[-1]


async def test_a_text_starts_the_build_itself(sessionmaker, blobs, calendar, clock, intake_pool):
    faq = FaqIndex(load_bank())
    runner = Runner(Engine(faq=faq), sessionmaker, blobs, calendar, clock=clock, intake=intake_pool)
    runner.faq_loader = loader = FaqLoader(faq)  # not started: the start-up is still busy
    session = RecordingSession()
    dp = make_dispatcher(runner, clock=clock, flood=LENIENT())
    await dp.feed_update(Bot("42:TEST", session=session), f.text_update(QUESTION, 503))
    assert loader.ready
    assert ANSWER in session.texts(503)[-1]


async def test_the_build_waits_until_the_start_up_is_answered():
    faq, gate = gated_index()
    gate.set()
    loader = FaqLoader(faq)
    busy = True
    waiting = asyncio.create_task(loader.start_when_idle(lambda: busy, at_latest=60))
    await asyncio.sleep(0.2)
    assert not loader.ready and not waiting.done()  # still answering the start-up's updates
    busy = False
    await asyncio.wait_for(waiting, timeout=60)
    assert loader.ready
    assert ANSWER in faq.answer(QUESTION).entry.answer


async def test_an_entry_added_during_the_build_is_in_the_index():
    """A staff addition lands while the thread builds from the entries it read: that build is not
    taken as current, the index is built again with the addition."""
    faq = FaqIndex(load_bank())
    gate, read = threading.Event(), threading.Event()
    build = faq._build

    def slow() -> None:  # the entries read and indexed, the build not yet marked done
        build()
        read.set()
        gate.wait(timeout=30)
        faq._built = True  # as _build's last line does

    faq._build = slow  # type: ignore[method-assign]
    loader = FaqLoader(faq)
    loader.start()
    await asyncio.to_thread(read.wait, 30)
    faq._build = build  # type: ignore[method-assign]
    faq.add(FaqEntry("staff-1", "staff", ("补贴申请要去哪个窗口办理",), "请到市政务服务中心三楼窗口。"))
    gate.set()
    await asyncio.wait_for(loader.wait(), timeout=60)
    assert faq.answer("补贴申请要去哪个窗口办理").entry.id == "staff-1"
