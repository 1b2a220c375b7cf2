"""The inbox through the real Dispatcher: webhook stores before 200, per-chat order, leases, drain."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram import Bot
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.runner import Runner
from bot.telegram.app import make_dispatcher
from bot.telegram.inbox import InboxProcessor, chat_of
from bot.telegram.webhook import SECRET_HEADER, add_webhook_routes
from dialogs.clock import utcnow
from storage.arrivals import Inbox
from storage.db import make_engine, make_sessionmaker
from storage.models import Draft, InboxChat, InboxUpdate
from storage.writer import GroupWriter
from tests import factories as f
from tests.bot.recording import RecordingSession
from tests.conftest import NOW

SECRET = "s3cret-token_ABC"


def raw(update) -> dict:
    return update.model_dump(mode="json", by_alias=True, exclude_none=True)


class Seen:
    """An outer middleware (after i12's dedup) that records, in order, each update whose effect the runner
    committed (a re-delivery found handled by another process commits nothing)."""

    def __init__(self, name: str, log: list, slow: float = 0.0):
        self.name, self.log, self.slow = name, log, slow
        self.started: list[int] = []

    async def __call__(self, handler, event, data):
        self.started.append(event.update_id)
        if self.slow:
            await asyncio.sleep(self.slow)
        result = await handler(event, data)
        if data["update_scope"].kept:
            self.log.append((self.name, chat_of(raw(event)), event.update_id))
        return result


@pytest.fixture
async def sm(db_url):
    eng = make_engine(db_url)
    yield make_sessionmaker(eng)
    await eng.dispose()


def processor(sm, engine, blobs, calendar, clock, name: str, log: list, slow: float = 0.0, inbox_clock=None, hold=None):
    """`hold`: with a group writer (as `python -m bot run` has), holding an idle chat's lease that long."""
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    writer = GroupWriter(sm.kw["bind"]) if hold is not None else None
    dp = make_dispatcher(Runner(engine, sm, blobs, calendar, clock=clock, writer=writer), clock=clock)
    seen = Seen(name, log, slow)
    dp.update.outer_middleware(seen)
    extra = {"clock": inbox_clock} if inbox_clock else {}
    if hold is not None:
        extra.update(writer=writer, hold=hold)
    p = InboxProcessor(dp, bot, sm, owner=name, poll=0.05, **extra)
    p.seen = seen
    return p, session


async def until(predicate, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await predicate():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.05)


async def inbox_empty(sm) -> bool:
    async with sm() as db:
        return (await db.execute(select(func.count()).select_from(InboxUpdate))).scalar_one() == 0


def test_chat_of_finds_the_chat_or_the_sender():
    assert chat_of(raw(f.text_update("hi", uid=5))) == 5
    assert chat_of(raw(f.callback_update("x", uid=6, cid=-100))) == -100
    assert chat_of({"update_id": 1, "inline_query": {"id": "q", "from": {"id": 9}}}) == 9
    assert chat_of({"update_id": 1}) == 0


async def test_webhook_refuses_a_wrong_secret_and_stores_before_answering(sm, engine, blobs, calendar, clock):
    log: list = []
    inbox, session = processor(sm, engine, blobs, calendar, clock, "a", log)
    app = web.Application()
    add_webhook_routes(app, "/tg/hook", SECRET, inbox)
    async with TestClient(TestServer(app)) as client:
        update = raw(f.text_update("/start", uid=301))
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            r = await client.post("/tg/hook", json=update, headers=headers)
            assert r.status == 401
        assert await inbox_empty(sm)
        r = await client.post("/tg/hook", json=update, headers={SECRET_HEADER: SECRET})
        assert r.status == 200
        async with sm() as db:  # stored when the 200 came, before anything handled it
            assert await Inbox(db).ids(inbox.bot_id) == [update["update_id"]]
        assert log == []
        r = await client.post("/tg/hook", data=b"not json", headers={SECRET_HEADER: SECRET})
        assert r.status == 400
    stop = asyncio.Event()
    task = asyncio.create_task(inbox.run(stop))
    await until(lambda: inbox_empty(sm))
    stop.set()
    await asyncio.gather(inbox.drain(), task)
    assert [u for _, _, u in log] == [update["update_id"]]
    assert any("河北" in t or "灵活就业" in t for t in session.texts(301))


async def test_webhook_answers_500_when_the_update_cannot_be_stored(tmp_path, engine, blobs, calendar, clock):
    eng = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'unmigrated.db'}")  # no inbox table: store fails
    try:
        inbox, _ = processor(make_sessionmaker(eng), engine, blobs, calendar, clock, "a", [])
        app = web.Application()
        add_webhook_routes(app, "/hook", SECRET, inbox)
        async with TestClient(TestServer(app)) as client:
            r = await client.post("/hook", json=raw(f.text_update("hi")), headers={SECRET_HEADER: SECRET})
            assert r.status == 500  # Telegram re-delivers: nothing was accepted
    finally:
        await eng.dispose()


async def test_webhook_says_503_while_shutting_down(sm, engine, blobs, calendar, clock):
    inbox, _ = processor(sm, engine, blobs, calendar, clock, "a", [])
    app = web.Application()
    add_webhook_routes(app, "/hook", SECRET, inbox, accepting=lambda: False)
    async with TestClient(TestServer(app)) as client:
        r = await client.post("/hook", json=raw(f.text_update("hi")), headers={SECRET_HEADER: SECRET})
        assert r.status == 503
    assert await inbox_empty(sm)


@pytest.mark.parametrize("hold", [None, 0.05, 0.3], ids=["own-transactions", "group-writer", "held-leases"])
async def test_two_processes_handle_each_chat_in_update_order_once(sm, engine, blobs, calendar, clock, hold):
    log: list = []
    a, _ = processor(sm, engine, blobs, calendar, clock, "a", log, slow=0.01, hold=hold)
    b, _ = processor(sm, engine, blobs, calendar, clock, "b", log, slow=0.01, hold=hold)
    chats = [401, 402, 403, 404, 405, 406]
    script = ["/start", "/help", "/status", "/guide", "随便说点什么"]
    updates = [raw(f.text_update(text, uid=c)) for text in script for c in chats]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(p.run(stop)) for p in (a, b)]
    for i, u in enumerate(updates):  # spread over both, some stored twice (a re-delivery while waiting)
        await (a if i % 2 else b).store([u])
        if i % 7 == 0:
            await (b if i % 2 else a).store([u])
    await until(lambda: inbox_empty(sm))
    stop.set()
    await asyncio.gather(a.drain(), b.drain(), *tasks)
    handled = [u for _, _, u in log]
    assert sorted(handled) == sorted(u["update_id"] for u in updates), log  # every update, once
    for c in chats:
        mine = [u for _, chat, u in log if chat == c]
        assert mine == sorted(mine)
    async with sm() as db:
        assert (await db.execute(select(func.count()).select_from(InboxChat))).scalar_one() == 0
        assert (await db.execute(select(func.count()).select_from(Draft))).scalar_one() == len(chats)


async def test_a_chat_held_by_a_dead_process_is_taken_over_after_the_lease(sm, engine, blobs, calendar, clock):
    log: list = []
    live, _ = processor(sm, engine, blobs, calendar, clock, "live", log, inbox_clock=lambda: NOW)
    u1, u2 = raw(f.text_update("/start", uid=501)), raw(f.text_update("/start", uid=502))
    await live.store([u1, u2])
    async with sm() as db, db.begin():  # 501 is held by a process that died; 502 by one still alive
        assert await Inbox(db).claim(live.bot_id, 501, "dead", NOW - timedelta(minutes=5), NOW - timedelta(seconds=1))
        assert await Inbox(db).claim(live.bot_id, 502, "alive", NOW, NOW + timedelta(minutes=5))
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))

    async def only_502_left() -> bool:
        async with sm() as db:
            return await Inbox(db).ids(live.bot_id) == [u2["update_id"]]

    await until(only_502_left)
    await asyncio.sleep(0.3)  # a live lease is respected
    stop.set()
    await asyncio.gather(live.drain(), task)
    assert [u for _, _, u in log] == [u1["update_id"]]


async def test_drain_finishes_the_update_in_hand_and_leaves_the_rest_stored(sm, engine, blobs, calendar, clock):
    log: list = []
    p, session = processor(sm, engine, blobs, calendar, clock, "a", log, slow=0.5)
    updates = [raw(f.text_update(t, uid=601)) for t in ("/start", "/help", "/guide")]
    await p.store(updates)
    stop = asyncio.Event()
    task = asyncio.create_task(p.run(stop))
    await until(lambda: asyncio.sleep(0, result=bool(p.seen.started)))
    stop.set()  # SIGTERM: no new chats, and each line stops after the update in hand
    assert await p.drain(timeout=5) == 0
    await task
    assert [u for _, _, u in log] == [updates[0]["update_id"]]
    assert session.texts(601), "the update in hand was answered"
    async with sm() as db:
        assert await Inbox(db).ids(p.bot_id) == [u["update_id"] for u in updates[1:]]
        assert (await db.execute(select(func.count()).select_from(InboxChat))).scalar_one() == 0


async def test_an_update_costs_the_inbox_no_transaction_of_its_own(sm, engine, blobs, calendar, clock):
    """Stored and its chat taken in one transaction, handed to the line in memory; the row goes (and the
    idle chat's lease with it) in the answer's own transaction; no lease renewal per update."""
    from sqlalchemy import event

    log: list = []
    p, session = processor(sm, engine, blobs, calendar, clock, "a", log)
    statements: list[tuple[int, str]] = []
    commits = [0]
    eng = sm.kw["bind"].sync_engine

    @event.listens_for(eng, "before_cursor_execute")
    def on_statement(_conn, _cursor, statement, *_a) -> None:
        statements.append((commits[0], " ".join(statement.split()[:3]).upper()))

    @event.listens_for(eng, "commit")
    def on_commit(_conn) -> None:
        commits[0] += 1

    stop = asyncio.Event()
    task = asyncio.create_task(p.run(stop))
    await asyncio.sleep(0.1)  # the first look-up found nothing
    statements.clear()
    commits[0] = 0
    await p.store([raw(f.text_update("/start", uid=701))])
    await until(lambda: asyncio.sleep(0, result=bool(session.texts(701)) and not p.in_flight()))
    stop.set()
    await asyncio.gather(p.drain(), task)
    event.remove(eng, "before_cursor_execute", on_statement)
    event.remove(eng, "commit", on_commit)
    assert await inbox_empty(sm)
    async with sm() as db:
        assert (await db.execute(select(func.count()).select_from(InboxChat))).scalar_one() == 0
    tx = {s: n for n, s in statements}
    assert tx["DELETE FROM INBOX_UPDATES"] == tx["INSERT INTO HANDLED_UPDATES"], statements
    assert tx["DELETE FROM INBOX_CHATS"] == tx["INSERT INTO HANDLED_UPDATES"], statements
    assert tx["INSERT INTO INBOX_CHATS"] == tx["INSERT INTO INBOX_UPDATES"], statements  # stored and taken
    assert not any(s.startswith("UPDATE INBOX_CHATS") for _, s in statements), statements  # no renewal
    assert len(log) == 1


def count_statements(sm):
    """(statements as (commits before it, its first three words), commits, stop): SQL seen on sm's engine."""
    from sqlalchemy import event

    statements: list[tuple[int, str]] = []
    commits = [0]
    eng = sm.kw["bind"].sync_engine

    def on_statement(_conn, _cursor, statement, *_a) -> None:
        statements.append((commits[0], " ".join(statement.split()[:3]).upper()))

    def on_commit(_conn) -> None:
        commits[0] += 1

    event.listen(eng, "before_cursor_execute", on_statement)
    event.listen(eng, "commit", on_commit)

    def stop() -> None:
        event.remove(eng, "before_cursor_execute", on_statement)
        event.remove(eng, "commit", on_commit)

    return statements, commits, stop


async def test_a_chat_answered_back_to_back_keeps_its_lease_between_its_updates(sm, engine, blobs, calendar, clock):
    """With the group writer, an idle chat's lease is held for its next update: a chat's second update
    is stored without a claim and answered without a release; the lease goes once, when it stays idle."""
    log: list = []
    p, session = processor(sm, engine, blobs, calendar, clock, "a", log, hold=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(p.run(stop))
    await asyncio.sleep(0.1)  # the first look-up found nothing
    statements, commits, stop_counting = count_statements(sm)
    for n, text in enumerate(("/start", "/help"), start=1):
        await p.store([raw(f.text_update(text, uid=801))])
        await until(lambda n=n: asyncio.sleep(0, result=len(log) == n and not p.in_flight()))
    async with sm() as db:
        assert (await db.execute(select(func.count()).select_from(InboxChat))).scalar_one() == 1, "held"
    stop.set()
    await asyncio.gather(p.drain(), task)
    stop_counting()
    assert await inbox_empty(sm)
    async with sm() as db:
        assert (await db.execute(select(func.count()).select_from(InboxChat))).scalar_one() == 0
    kinds = [s for _, s in statements]
    assert kinds.count("INSERT INTO INBOX_UPDATES") == 2, statements
    assert kinds.count("INSERT INTO INBOX_CHATS") == 1, statements  # the second batch took no lease
    assert kinds.count("DELETE FROM INBOX_CHATS") == 1, statements  # given up once
    assert not any(s.startswith("UPDATE INBOX_CHATS") for s in kinds), statements  # no renewal
    tx = {}
    for n, s in statements:
        tx.setdefault(s, []).append(n)
    assert tx["DELETE FROM INBOX_UPDATES"] == tx["INSERT INTO HANDLED_UPDATES"], statements  # in the answer's
    assert [u for _, _, u in log] == sorted(u for _, _, u in log)


async def test_an_idle_chat_s_lease_goes_after_the_hold(sm, engine, blobs, calendar, clock):
    log: list = []
    p, session = processor(sm, engine, blobs, calendar, clock, "a", log, hold=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(p.run(stop))
    await p.store([raw(f.text_update("/start", uid=802))])

    async def no_lease() -> bool:
        async with sm() as db:
            return (await db.execute(select(func.count()).select_from(InboxChat))).scalar_one() == 0

    await until(lambda: asyncio.sleep(0, result=bool(session.texts(802))))
    await until(no_lease)  # without a drain: the idle chat let go
    assert not p._chats, "its line ended"
    stop.set()
    await asyncio.gather(p.drain(), task)
    assert await inbox_empty(sm) and len(log) == 1


async def test_an_update_for_a_chat_another_process_holds_is_looked_for_again_soon(sm, engine, blobs, calendar, clock):
    """The holder may be letting the chat go as the update is stored (on PostgreSQL its NOT EXISTS can
    miss the update): the storing process looks for waiting chats at once, not after its backed-off poll."""
    log: list = []
    a, _ = processor(sm, engine, blobs, calendar, clock, "a", log)
    async with sm() as db, db.begin():
        now = utcnow()  # the processor's clock: a live lease
        assert await Inbox(db).claim(a.bot_id, 803, "other", now, now + timedelta(minutes=5))
    stop = asyncio.Event()
    task = asyncio.create_task(a.run(stop))
    await asyncio.sleep(0.1)
    a.kick.clear()
    await a.store([raw(f.text_update("/start", uid=803))])
    assert a.kick.is_set()
    assert not a._chats
    stop.set()
    await asyncio.gather(a.drain(), task)
