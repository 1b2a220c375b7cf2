"""The notifier: each notification sent once by one of several senders, paced as Telegram asks."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.notifier import Notifier
from bot.pacing import Pacer
from storage.db import make_engine, make_sessionmaker
from storage.models import Notification
from storage.uow import UnitOfWork
from tests.bot.recording import RecordingSession

BASE = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class SlowSession(RecordingSession):
    """Telegram takes a moment to answer, so two senders really interleave."""

    async def make_request(self, bot, method, timeout=None):
        await asyncio.sleep(0.005)
        return await super().make_request(bot, method, timeout)


async def queue(sm, chats: dict[int, int]) -> None:
    async with UnitOfWork(sm) as uow:
        for chat, count in chats.items():
            for i in range(count):
                await uow.notifications.add("telegram", chat, {"text": f"{chat}#{i}"})


async def test_two_notifiers_send_each_notification_once(db_url):
    from storage.keyring import KeyRing

    ring = KeyRing.ephemeral()  # two processes share the key file
    engines = [make_engine(db_url, ring), make_engine(db_url, ring)]
    sms = [make_sessionmaker(e) for e in engines]
    chats = {1000 + i: 5 for i in range(8)} | {-100500: 4}
    await queue(sms[0], chats)
    session = SlowSession()
    bot = Bot("42:TEST", session=session)
    free = {"chat_interval": 0, "group_per_minute": 10**6, "per_second": 10**6}
    senders = [Notifier(bot, sm, Pacer(**free), owner=f"elsewhere:{i}:x", batch=4) for i, sm in enumerate(sms)]
    await asyncio.gather(*(s.drain() for s in senders), *(s.drain() for s in senders))
    texts = [r.text for r in session.requests if isinstance(r, SendMessage)]
    assert sorted(texts) == sorted(f"{c}#{i}" for c, n in chats.items() for i in range(n))
    for chat in chats:  # a chat's messages in order, whichever sender took them
        mine = [t for t in texts if t.startswith(f"{chat}#")]
        assert mine == [f"{chat}#{i}" for i in range(chats[chat])]
    async with sms[0]() as db:
        assert set(await db.scalars(select(Notification.status))) == {"sent"}
    for e in engines:
        await e.dispose()


class FakeTime:
    """A clock that moves only when the notifier sleeps."""

    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return BASE + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)


class TimedSession(RecordingSession):
    def __init__(self, time: FakeTime) -> None:
        super().__init__()
        self.time = time
        self.sent: dict[str, list[float]] = defaultdict(list)
        self.limited: set[str] = set()  # chats answered with one 429 (retry_after 10)
        self.refused_at: dict[str, float] = {}

    async def make_request(self, bot, method, timeout=None):
        if isinstance(method, SendMessage):
            chat = str(method.chat_id)
            if chat in self.limited:
                self.limited.discard(chat)
                self.refused_at[chat] = self.time.t
                raise TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=10)
            self.sent[chat].append(self.time.t)
        return await super().make_request(bot, method, timeout)


async def run_until_sent(notifier: Notifier, time: FakeTime, sm, limit: float = 600) -> None:
    while time.t < limit:
        if not await notifier.send_round():
            async with sm() as db:
                if not list(await db.scalars(select(Notification.id).where(Notification.status == "pending"))):
                    return
            await time.sleep(0.25)
    raise AssertionError("not all sent")


async def test_pacing_overall_per_chat_per_group_and_retry_after_with_a_fake_clock(sessionmaker):
    time = FakeTime()
    busy, quiet, group = 2001, 2002, -1003
    chats = {busy: 12, quiet: 4, group: 25} | {3000 + i: 1 for i in range(70)}
    await queue(sessionmaker, chats)
    session = TimedSession(time)
    session.limited.add(str(busy))
    notifier = Notifier(
        Bot("42:TEST", session=session), sessionmaker, Pacer(clock=time.monotonic), clock=time.now, sleep=time.sleep
    )
    await run_until_sent(notifier, time, sessionmaker)

    every = sorted(t for times in session.sent.values() for t in times)
    assert len(every) == sum(chats.values())
    assert all(sum(1 for u in every if t <= u < t + 1.0) <= 30 for t in every)  # ~30 per second overall
    for chat, times in session.sent.items():
        assert all(b - a >= 1.0 for a, b in zip(times, times[1:], strict=False)), chat  # 1 per second per chat
    g = session.sent[str(group)]
    assert all(sum(1 for u in g if t <= u < t + 60.0) <= 20 for t in g)  # 20 per minute per group
    assert g[-1] >= 60.0
    # retry_after obeyed for that chat only: the busy chat waited 10 s, the quiet one went on meanwhile.
    assert session.sent[str(busy)][0] >= session.refused_at[str(busy)] + 10
    assert session.sent[str(quiet)][-1] < session.refused_at[str(busy)] + 10
    assert len(session.sent[str(busy)]) == 12


async def test_a_reply_goes_out_through_the_bot_it_answers(sessionmaker):
    """Two bots on one database: a reply left over by bot 42 is not sent by bot 43's notifier."""
    async with UnitOfWork(sessionmaker) as uow:
        uow.notifications.queue(555, {"kind": "reply", "text": "下一步"}, "elsewhere:1:x", BASE, bot_id=42)
        await uow.notifications.add("telegram", 555, {"text": "通知"})
    later = lambda: BASE + timedelta(minutes=5)  # noqa: E731 - the writer's claim lapsed
    free = {"chat_interval": 0, "group_per_minute": 10**6}
    other, mine = RecordingSession(), RecordingSession()
    await Notifier(Bot("43:TEST", session=other), sessionmaker, Pacer(**free), clock=later).drain()
    await Notifier(Bot("42:TEST", session=mine), sessionmaker, Pacer(**free), clock=later).drain()
    assert [r.text for r in other.requests if isinstance(r, SendMessage)] == ["通知"]
    assert [r.text for r in mine.requests if isinstance(r, SendMessage)] == ["下一步"]
