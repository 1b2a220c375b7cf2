"""Cost of at-least-once ingestion: updates/s handled straight by the Dispatcher (the floor) vs stored in
the inbox first and handled from there, same process, same database. `python bench/bench_inbox.py [db_url]`."""

from __future__ import annotations

import asyncio
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


async def run(url: str) -> None:
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


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    asyncio.run(run(url))
