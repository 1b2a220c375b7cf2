"""Limits for the whole bot over Redis: two composed bots (two Dispatchers, as two processes would have,
each with its own Redis connection) share one window; without Redis each keeps its own."""

from __future__ import annotations

import time

import limits.aio.storage.redis.redispy
import pytest
from aiogram import Bot
from aiohttp.test_utils import TestClient, TestServer

import storage.ratelimit
from bot.pacing import Pacer
from bot.telegram.app import make_dispatcher
from bot.telegram.flood import FloodGuard
from office.http import make_app
from storage.ratelimit import Limits
from tests import factories as f
from tests.bot.recording import RecordingSession

GREETING = "灵活就业“一件事一次办”"


def two_bots(runner, clock, limits: list[Limits]):
    """Two Dispatchers over one database, each with its own flood guard (10 updates a minute)."""
    bots = []
    for lim in limits:
        session = RecordingSession()
        guard = FloodGuard("10/minute", "1/minute", limits=lim)
        dp = make_dispatcher(runner, clock=clock, flood=guard)
        bots.append((Bot("42:TEST", session=session), dp, session, guard))
    return bots


async def flood_both(bots, uid: int = 111, n: int = 20) -> int:
    """`n` updates of one user spread over both bots in turn; how many were served (greeted)."""
    for i in range(n):
        bot, dp, _, _ = bots[i % 2]
        await dp.feed_update(bot, f.text_update("/start", uid=uid))
    return sum(sum(GREETING in t for t in session.texts(uid)) for _, _, session, _ in bots)


async def test_a_user_flooding_two_bots_meets_one_limit_over_redis(runner, clock, redis_url, redis_prefix):
    bots = two_bots(runner, clock, [Limits(redis_url, redis_prefix), Limits(redis_url, redis_prefix)])
    try:
        assert await flood_both(bots) == 10
        assert sum(guard.dropped for *_, guard in bots) == 10
        assert await flood_both(bots, uid=222, n=2) == 2  # another user has a window of their own
    finally:
        for *_, guard in bots:
            await guard.limiter.close()


async def test_without_redis_each_bot_keeps_its_own_window(runner, clock):
    bots = two_bots(runner, clock, [Limits(), Limits()])
    assert await flood_both(bots) == 20 and all(guard.dropped == 0 for *_, guard in bots)
    assert await flood_both(bots, n=4) == 20  # now both windows are full


async def test_an_unreachable_redis_leaves_the_limit_to_the_process(runner, clock, redis_prefix):
    bots = two_bots(runner, clock, [Limits("redis://127.0.0.1:1/0", redis_prefix)] * 2)  # nothing listens there
    assert await flood_both(bots) == 10  # one process's window, not lifted


async def refusals(apps, n: int = 6) -> list[int]:
    """`n` unsigned callbacks from one address spread over the listeners in turn: their statuses."""
    statuses = []
    for i in range(n):
        resp = await apps[i % len(apps)].post("/callback", data=b"{}", headers={"X-Signature": "forged"})
        statuses.append(resp.status)
    return statuses


@pytest.mark.parametrize("shared", [True, False])
async def test_unsigned_callbacks_are_limited_for_the_whole_bot(sessionmaker, clock, shared, request, redis_prefix):
    url = request.getfixturevalue("redis_url") if shared else None
    limits = [Limits(url, redis_prefix), Limits(url, redis_prefix)]
    servers = [
        make_app(sessionmaker, {"tax": "t" * 40}, clock=clock, unsigned_rate="3/minute", limits=lim) for lim in limits
    ]
    clients = [TestClient(TestServer(app, host="127.0.0.1")) for app in servers]
    for c in clients:
        await c.start_server()
    try:
        statuses = await refusals(clients)
    finally:
        for c in clients:
            await c.close()
        for lim in limits:
            await lim.close()
    assert statuses == ([401] * 3 + [429] * 3 if shared else [401] * 6)


class FakeTime:
    """time.time for `limits`' Redis windows and ours; sleeping moves it on."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(limits.aio.storage.redis.redispy, "time", clock)
    monkeypatch.setattr(storage.ratelimit, "time", clock)
    return clock


async def test_outbound_pacing_holds_for_the_whole_bot_over_redis(redis_url, redis_prefix, fake_time):
    """Three messages a second for the bot: two processes sending three each to different chats wait a
    second between them, as one process would; a chat's own gap holds across processes too."""
    pacers = [
        Pacer(per_second=3, limits=Limits(redis_url, redis_prefix), sleep=fake_time.sleep),
        Pacer(per_second=3, limits=Limits(redis_url, redis_prefix), sleep=fake_time.sleep),
    ]
    try:
        for chat in range(6):
            await pacers[chat % 2].take(1000 + chat)
        assert 1.0 <= sum(fake_time.slept) < 1.1  # the 4th waited for the window
        fake_time.slept.clear()
        fake_time.now += 5
        await pacers[0].take(7)
        await pacers[1].take(7)  # the same chat from the other process: its 1 s gap
        assert 1.0 <= sum(fake_time.slept) < 1.1
    finally:
        for p in pacers:
            await p.shared.close()


async def test_per_process_pacing_takes_nothing_from_elsewhere(fake_time):
    pacers = [Pacer(per_second=3, limits=Limits(), sleep=fake_time.sleep) for _ in range(2)]
    for chat in range(6):
        await pacers[chat % 2].take(1000 + chat)
    assert fake_time.slept == [] and all(p.shared is None for p in pacers)  # Pacer.wait paces it, as before
