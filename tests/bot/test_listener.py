"""/healthz, /readyz and /metrics on the listener, against a real database and the real Dispatcher."""

from __future__ import annotations

from aiogram import Bot
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.health import add_health_routes
from bot.metrics import Metrics, add_metrics_routes
from bot.telegram.app import make_dispatcher
from bot.telegram.observe import UpdateMetrics
from storage.db import make_engine
from storage.migrate import downgrade
from tests import factories as f
from tests.bot.recording import RecordingSession


async def test_healthz_and_readyz_on_a_current_database(db_url):
    eng = make_engine(db_url)
    try:
        app = web.Application()
        add_health_routes(app, eng, db_url)
        async with TestClient(TestServer(app)) as client:
            assert (await client.get("/healthz")).status == 200
            r = await client.get("/readyz")
            assert r.status == 200, await r.text()
            assert (await r.json())["status"] == "ready"
    finally:
        await eng.dispose()


async def test_readyz_says_why_it_is_not_ready(sqlite_url):
    downgrade(sqlite_url, "0002")  # code newer than the database
    eng = make_engine(sqlite_url)
    broken = {"now": []}

    async def extra() -> list[str]:
        return broken["now"]

    try:
        app = web.Application()
        add_health_routes(app, eng, sqlite_url, extra)
        async with TestClient(TestServer(app)) as client:
            r = await client.get("/readyz")
            assert r.status == 503
            assert "migrations not current" in (await r.json())["problems"][0]
            assert (await client.get("/healthz")).status == 200  # alive all the same
    finally:
        await eng.dispose()


async def test_readyz_reports_an_unreachable_database_and_extra_checks(tmp_path, sqlite_url):
    gone = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    live = make_engine(sqlite_url)

    async def shutting_down() -> list[str]:
        return ["shutting down"]

    try:
        for eng, checks, needle in ((gone, (), "database unreachable"), (live, (shutting_down,), "shutting down")):
            app = web.Application()
            add_health_routes(app, eng, sqlite_url, *checks)
            async with TestClient(TestServer(app)) as client:
                r = await client.get("/readyz")
                assert r.status == 503
                assert needle in " ".join((await r.json())["problems"])
    finally:
        await gone.dispose()
        await live.dispose()


async def test_metrics_count_updates_by_kind_and_report_the_database(runner, sessionmaker, clock):
    metrics = Metrics()
    dp = make_dispatcher(runner, clock=clock)
    dp.update.outer_middleware(UpdateMetrics(metrics))
    bot = Bot("42:TEST", session=RecordingSession())
    await dp.feed_update(bot, f.text_update("/start", uid=701))
    await dp.feed_update(bot, f.text_update("我想问一下需要什么材料", uid=701))
    await dp.feed_update(bot, f.callback_update("nonsense", uid=702))
    app = web.Application()
    add_metrics_routes(app, metrics, sessionmaker)
    async with TestClient(TestServer(app)) as client:
        r = await client.get("/metrics")
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        body = await r.text()
    assert 'assistant_updates_handled_total{kind="message"} 2.0' in body
    assert 'assistant_updates_handled_total{kind="callback_query"} 1.0' in body
    assert 'assistant_handler_seconds_count{kind="message"} 2.0' in body
    assert "assistant_conversations{phase=" in body
    assert 'assistant_faq_questions{outcome="answered"}' in body
    assert "assistant_inbox_depth 0.0" in body


async def test_metrics_count_a_failed_update(runner, sessionmaker, clock, tmp_path):
    import sqlite3
    from contextlib import closing

    path = sessionmaker.kw["bind"].url.database
    with closing(sqlite3.connect(path)) as db:  # the handler's table is gone: its update fails
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("DROP TABLE applicants")
        db.commit()
    metrics = Metrics()
    dp = make_dispatcher(runner, clock=clock)
    dp.update.outer_middleware(UpdateMetrics(metrics))
    await dp.feed_update(Bot("42:TEST", session=RecordingSession()), f.text_update("/start", uid=703))
    body = (await metrics.render(sessionmaker)).decode()
    assert 'assistant_updates_failed_total{kind="message"} 1.0' in body


async def test_metrics_count_a_redelivered_update_apart(runner, sessionmaker, clock):
    """Telegram re-sends an update it thinks was lost: it is ignored and counted as a duplicate, not
    as handled twice (an answer through the runner, and a button the runner never sees)."""
    metrics = Metrics()
    dp = make_dispatcher(runner, clock=clock)
    dp.update.outer_middleware(UpdateMetrics(metrics))
    bot = Bot("42:TEST", session=RecordingSession())
    text = f.text_update("/start", uid=704)
    press = f.callback_update("nonsense", uid=704)
    for update in (text, text, press, press):
        await dp.feed_update(bot, update)
    body = (await metrics.render(sessionmaker)).decode()
    assert 'assistant_updates_handled_total{kind="message"} 1.0' in body
    assert 'assistant_updates_duplicate_total{kind="message"} 1.0' in body
    assert 'assistant_updates_handled_total{kind="callback_query"} 1.0' in body
    assert 'assistant_updates_duplicate_total{kind="callback_query"} 1.0' in body
