"""A chat's replies never wait for a lease while their process is alive (#12): the answer's sender and
the notifier of one process (one owner token) hand the chat's rows to each other at once."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.notifier import Notifier
from bot.outbox import LEASE, owner_token
from bot.pacing import Pacer
from bot.telegram.replies import ReplySender
from storage.cases import Notifications
from storage.db import make_engine, make_sessionmaker
from storage.models import Notification
from tests.bot.recording import FlakySession
from tests.conftest import NOW

CHAT = 7001001
FREE = {"chat_interval": 0, "group_per_minute": 10**6, "per_second": 10**6}


class GatedSession(FlakySession):
    """Telegram keeps the next sendMessage (`hold()`) until `gate` opens: a send in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.gate, self.holding, self._hold = asyncio.Event(), asyncio.Event(), False

    def hold(self) -> None:
        self._hold, self.gate, self.holding = True, asyncio.Event(), asyncio.Event()

    async def make_request(self, bot, method, timeout=None):
        if isinstance(method, SendMessage) and self._hold:
            self._hold = False
            self.holding.set()
            await self.gate.wait()
        return await super().make_request(bot, method, timeout)


class Process:
    """One bot process: its answers' sender and its notifier share the owner token, pace and kick."""

    def __init__(self, sm, owner: str | None = None) -> None:
        self.sm, self.now = sm, NOW
        self.owner = owner or owner_token()  # this very process: alive
        self.session = GatedSession()
        self.bot = Bot("42:TEST", session=self.session)
        pacer, kick = Pacer(**FREE), asyncio.Event()
        clock = lambda: self.now  # noqa: E731
        self.sender = ReplySender(sm, self.owner, pacer, clock=clock, sleep=self._no_sleep, kick=kick)
        self.notifier = Notifier(self.bot, sm, pacer, owner=self.owner, clock=clock, sleep=self._no_sleep)

    @staticmethod
    async def _no_sleep(_seconds: float) -> None:
        return None

    async def answer(self, *texts: str) -> list[int]:
        """An answer's transaction: its replies queued, claimed by this process for LEASE."""
        async with self.sm() as db, db.begin():
            repo = Notifications(db)
            body = lambda t: {"kind": "reply", "text": t}  # noqa: E731
            rows = [repo.queue(CHAT, body(t), self.owner, self.now + LEASE, self.bot.id, now=self.now) for t in texts]
            await db.flush()
            return [r.id for r in rows]

    async def hand_to_notifier(self, ids: list[int]) -> None:
        """What a deliver does with replies it cannot send now."""
        async with self.sm() as db, db.begin():
            for row_id in ids:
                await Notifications(db).release(row_id)

    def shown(self) -> list[str]:
        return self.session.texts(CHAT)

    async def open_rows(self) -> list[Notification]:
        async with self.sm() as db:
            return list(await db.scalars(select(Notification).order_by(Notification.id)))


@pytest.fixture
async def sm(db_url):
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_replies_given_way_to_the_notifier_go_as_soon_as_its_send_is_done(sm):
    """The CI stall: the notifier is sending the chat's head reply when the next answer's replies come.
    They give way (order), and the chat's rows must go on once the head is shown, however often the
    applicant sends again meanwhile, not when some claim lapses."""
    p = Process(sm)
    await p.hand_to_notifier(await p.answer("q1a", "q1b"))  # e.g. a long retry_after earlier
    p.session.hold()
    head = asyncio.create_task(p.notifier.send_round())
    await p.session.holding.wait()  # the notifier is sending q1a

    assert not await p.sender.deliver(p.bot, CHAT, await p.answer("q2"))  # behind q1a: gives way
    p.session.gate.set()
    await head
    await p.notifier.drain()
    assert p.shown() == ["q1a", "q1b", "q2"]
    assert await p.open_rows() == []

    # The applicant, having waited, sends again every 5 s: each answer's replies go at once, in order.
    for k in range(8):
        p.now += timedelta(seconds=5)
        assert await p.sender.deliver(p.bot, CHAT, await p.answer(f"again {k}"))
        await p.notifier.drain()
    assert p.shown() == ["q1a", "q1b", "q2"] + [f"again {k}" for k in range(8)]


async def test_a_resending_applicant_is_not_stalled_behind_a_send_in_flight(sm):
    """The same, the applicant sending again while the head is still in flight: no earlier row may be
    left claimed by a sender that gave way, or the chat waits until nobody sends for a whole lease."""
    p = Process(sm)
    await p.hand_to_notifier(await p.answer("q1a", "q1b", "q1c"))
    p.session.hold()
    head = asyncio.create_task(p.notifier.send_round())
    await p.session.holding.wait()
    for k in range(3):  # within one lease, while q1a is in flight
        p.now += timedelta(seconds=5)
        assert not await p.sender.deliver(p.bot, CHAT, await p.answer(f"again {k}"))
    rows = await p.open_rows()
    assert [r.claimed_by for r in rows if r.status == "pending"] == [None] * 5  # nothing held for nobody
    p.session.gate.set()
    await head
    await p.notifier.drain()
    assert p.shown() == ["q1a", "q1b", "q1c", "again 0", "again 1", "again 2"]


async def test_replies_this_process_holds_but_no_one_sends_are_taken_by_its_next_answer(sm):
    """A deliver interrupted by an error leaves its rows claimed by its live process: its next answer
    in that chat takes them first, at once, instead of waiting for their lease behind them."""
    p = Process(sm)
    await p.answer("q1a", "q1b")  # committed, but their deliver failed before sending
    p.now += timedelta(seconds=3)
    assert await p.sender.deliver(p.bot, CHAT, await p.answer("q2"))
    assert p.shown() == ["q1a", "q1b", "q2"]


async def test_a_reply_the_notifier_of_the_same_process_holds_is_not_sent_twice(sm):
    """The notifier has claimed the chat's head (same owner) and waits for its turn: a deliver then
    gives way instead of sending it too."""
    p = Process(sm)
    await p.hand_to_notifier(await p.answer("q1"))
    p.session.hold()
    head = asyncio.create_task(p.notifier.send_round())
    await p.session.holding.wait()
    async with sm() as db, db.begin():  # back from "sending": the notifier still holds it (a retry)
        await db.execute(Notification.__table__.update().values(status="pending"))
    assert not await p.sender.deliver(p.bot, CHAT, await p.answer("q2"))
    p.session.gate.set()
    await head
    await p.notifier.drain()
    assert p.shown() == ["q1", "q2"]


async def test_a_held_chat_gives_back_the_earlier_replies_it_took(sm):
    """A deliver that finds the chat held by Telegram leaves the notifier all of its rows, not only
    its own: none may stay claimed by the sender that gave way (here a dead process's reply)."""
    p = Process(sm)
    dead = Process(sm, owner="elsewhere:4242:0badc0de")
    dead.now = p.now - LEASE - timedelta(seconds=1)  # its claims lapsed
    await dead.answer("q1")
    p.sender.pacer.hold(CHAT, 60)
    assert not await p.sender.deliver(p.bot, CHAT, await p.answer("q2"))
    rows = await p.open_rows()
    assert [r.status for r in rows] == ["pending"] * 2 and p.owner not in {r.claimed_by for r in rows}


async def test_replies_open_past_the_lease_of_a_live_process_are_logged(sm, caplog):
    p = Process(sm)
    await p.answer("secret 110101199003070034")
    p.now += 2 * LEASE
    async with sm() as db, db.begin():  # claimed again and again by a live process
        await db.execute(Notification.__table__.update().values(claimed_until=p.now + LEASE))
    with caplog.at_level(logging.WARNING):
        await p.notifier.send_round()
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "repl" in r.getMessage()]
    assert warned, caplog.text
    assert "110101" not in caplog.text and "secret" not in caplog.text and str(CHAT) not in caplog.text


async def test_old_replies_left_by_a_killed_sender_are_sent_without_a_warning(sm, caplog):
    """Replies whose claim lapsed (or whose owner died) are the notifier's to send now: not overdue."""
    p = Process(sm)
    dead = Process(sm, owner="elsewhere:4242:0badc0de")
    await dead.answer("q1")
    p.now += 2 * LEASE
    with caplog.at_level(logging.WARNING):
        await p.notifier.drain()
    assert p.shown() == ["q1"]
    assert not [r for r in caplog.records if "held by a live sender" in r.getMessage()], caplog.text
