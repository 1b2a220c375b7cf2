"""Cost of at-least-once ingestion, and updates/s with 1, 2 and 4 bot processes.

In process: updates/s handled straight by the Dispatcher (the floor) vs stored in the inbox first and
handled from there, same process, same database. On PostgreSQL (a db_url, or TEST_DATABASE_URL), then
`python -m bot run` in webhook mode, 1, 2 and 4 processes behind the fake Telegram (which spreads the
updates over them), a fresh database each: updates/s from the first POST to the last update handled,
side by side with the floor of the same run.
`python bench/bench_inbox.py [db_url] [--processes 1,2,4] [--updates 600] [--chats 100]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.factories, run from anywhere

from aiogram import Bot

from bot.runner import Runner
from bot.telegram.app import make_dispatcher
from bot.telegram.inbox import InboxProcessor
from dialogs.engine import Engine
from dialogs.workdays import WorkCalendar
from storage.arrivals import Inbox
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from tests import factories as f
from tests.bot.recording import RecordingSession

N, CHATS = 400, 40


def updates():
    return [f.text_update("/help", uid=5000 + k % CHATS) for k in range(N)]


async def run(url: str) -> dict:
    upgrade(url)
    eng = make_engine(url)
    sm = make_sessionmaker(eng)
    tmp = Path(tempfile.mkdtemp())
    runner = Runner(Engine(), sm, BlobStore(tmp / "blobs"), WorkCalendar.load())
    bot = Bot("42:BENCH", session=RecordingSession())
    dp = make_dispatcher(runner)
    batch = updates()
    started = time.perf_counter()  # floor: one task per chat, in order, no inbox
    by_chat: dict[int, list] = {}
    for u in batch:
        by_chat.setdefault(u.message.chat.id, []).append(u)

    async def line(us):
        for u in us:
            await dp.feed_update(bot, u)

    await asyncio.gather(*(line(us) for us in by_chat.values()))
    floor = time.perf_counter() - started

    batch = updates()
    inbox = InboxProcessor(dp, bot, sm, owner="bench", poll=0.05)
    raw = [u.model_dump(mode="json", by_alias=True, exclude_none=True) for u in batch]
    started = time.perf_counter()
    for u in raw:  # one transaction per update, as the webhook does
        await inbox.store([u])
    stored = time.perf_counter() - started
    stop = asyncio.Event()
    task = asyncio.create_task(inbox.run(stop))
    while True:
        async with sm() as db:
            if not await Inbox(db).ids(bot.id):
                break
        await asyncio.sleep(0.02)
    total = time.perf_counter() - started
    stop.set()
    await inbox.drain()
    await task
    await eng.dispose()
    kind = url.split(":", 1)[0]
    print(f"{kind}: {N} updates over {CHATS} chats")
    print(f"  floor (Dispatcher directly)    {N / floor:8.1f} updates/s  {floor / N * 1000:6.2f} ms/update")
    print(f"  inbox store only (webhook 200) {N / stored:8.1f} updates/s  {stored / N * 1000:6.2f} ms/update")
    print(f"  inbox store + handle           {N / total:8.1f} updates/s  {total / N * 1000:6.2f} ms/update")
    print(f"  at-least-once cost             {(total - floor) / N * 1000:+6.2f} ms/update")
    return {"floor_per_s": N / floor, "inbox_per_s": N / total, "cost_ms": (total - floor) / N * 1000}


async def count_handled(dsn: str, first: int) -> int:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM handled_updates WHERE update_id >= $1", first)
    finally:
        await conn.close()


async def webhook_processes(n: int, updates: int, chats: int, timeout: float = 300) -> dict:
    """`n` bot processes in webhook mode on a fresh PostgreSQL database: updates/s handled."""
    from bench.common import BotChild, bot_env, database
    from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI
    from tests.e2e.hooks import SECRET, free_port

    tmp = Path(tempfile.mkdtemp(prefix=f"bench-procs-{n}-"))
    async with database("postgresql", tmp) as url, FakeBotAPI(token=DEFAULT_TOKEN) as api:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        children, ports = [], []
        try:
            for i in range(n):  # one after the other: the first creates the key file
                port = free_port()
                env = bot_env(
                    api.base_url,
                    tmp / "data",
                    DATABASE_URL=url,
                    EMBEDDED_WORKER="false",
                    FLOOD_PER_MINUTE="1000000",
                    WEBHOOK_URL="https://assistant.example.gov.cn/tg/hook",
                    WEBHOOK_SECRET=SECRET,
                    WEB_PORT=str(port),
                )
                mark = api.mark()
                children.append(BotChild(env, tmp / f"bot-{i}.log"))
                ports.append(port)
                await api.wait_call("setWebhook", after=mark, timeout=timeout)
            api.spread_over([f"http://127.0.0.1:{p}/tg/hook" for p in ports])
            warm = [api.push_text(6000 + k, "/help") for k in range(chats)]  # imports, pools, first queries
            while await count_handled(dsn, min(warm)) < len(warm):
                await asyncio.sleep(0.1)
            import psutil

            procs = [psutil.Process(c.pid) for c in children]
            before = [p.cpu_times() for p in procs]
            ids = [api.push_text(6000 + k % chats, "/help") for k in range(updates)]
            started = time.perf_counter()
            deadline = started + timeout
            while (done := await count_handled(dsn, min(ids))) < len(ids) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            wall = time.perf_counter() - started
            cpu = sum(
                (a.user - b.user) + (a.system - b.system)
                for a, b in zip((p.cpu_times() for p in procs), before, strict=True)
            )
        finally:
            for child in children:
                child.stop()
    return {
        "processes": n,
        "updates": updates,
        "handled": done,
        "wall_s": wall,
        "per_s": done / wall,
        "cpu_ms_per_update": cpu / max(done, 1) * 1000,
    }


async def main_async(args) -> None:
    from bench.common import machine

    print(f"machine: {machine()['cpu']}; load average {os.getloadavg()[0]:.1f} at the start")
    url = args.db_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    inproc = await run(url)
    if not url.startswith("postgresql"):
        print("(the process counts need PostgreSQL: a postgresql+asyncpg:// url or TEST_DATABASE_URL)")
        return
    os.environ.setdefault("TEST_DATABASE_URL", url)  # bench.common.database makes fresh databases there
    rows = [await webhook_processes(n, args.updates, args.chats) for n in args.processes]
    floor = inproc["floor_per_s"]
    print(f"webhook mode, PostgreSQL: {args.updates} updates over {args.chats} chats (a fresh database each)")
    print(f"  floor: one process, Dispatcher directly, no HTTP, no inbox  {floor:8.1f} updates/s")
    print(f"  floor: one process, inbox in process                       {inproc['inbox_per_s']:8.1f} updates/s")
    for r in rows:
        print(
            f"  {r['processes']} bot process(es) behind the fake Telegram          {r['per_s']:8.1f} updates/s"
            f"  ({r['per_s'] / floor:4.2f}x the floor; {r['handled']}/{r['updates']} in {r['wall_s']:.1f} s; "
            f"bot CPU {r['cpu_ms_per_update']:.1f} ms/update)"
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db_url", nargs="?", default=os.environ.get("TEST_DATABASE_URL"))
    ap.add_argument("--processes", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2, 4])
    ap.add_argument("--updates", type=int, default=600)
    ap.add_argument("--chats", type=int, default=100)
    asyncio.run(main_async(ap.parse_args()))
