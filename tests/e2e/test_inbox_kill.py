"""Polling with kill -9 at random moments: every update the bot fetched is handled (the inbox).

Updates are pushed at a steady rate by many chats without waiting for answers; the bot is killed
KILLS times at random moments (mid-fetch, mid-store, mid-handling) and restarted from the zygote
(tests/e2e/zygote.py: the real `bot.__main__.main(["run"])`, forked after the imports). At the end
every update any getUpdates answer carried has been handled once (i12's handled_updates), and the
inbox is empty. Bounded: KILLS kills at 0.05-0.35 s after each restart, then a quiet period.
"""

from __future__ import annotations

import asyncio
import os
import random
import time

import pytest

from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI
from tests.e2e.hooks import Zygote

KILLS = int(os.environ.get("INBOX_KILLS", "100"))
CHATS = 12
CATCH_UP, CATCH_UP_MAX = 20.0, 600.0  # seconds without progress / in all, after the last kill
BOT_ID = int(DEFAULT_TOKEN.split(":")[0])
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]


async def test_kill_9_while_polling_loses_no_fetched_update(tmp_path, database):
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("BOT_TOKEN", "DATABASE_URL", "DATA_DIR", "WEBHOOK_URL", "WEB_PORT")
            and not k.startswith("DISPATCH__")
        }
        env.update(
            BOT_TOKEN=DEFAULT_TOKEN,
            TELEGRAM_API_BASE=api.base_url,
            DATA_DIR=str(database.data_dir),
            DATABASE_URL=database.url,
            PYTHONUNBUFFERED="1",
            EMBEDDED_WORKER="false",
            LOG_LEVEL="WARNING",
            # ~100 updates a minute per chat: over the flood limit (30/min), whose drops never reach
            # handled_updates and would read as lost; the limit has its own tests.
            FLOOD_PER_MINUTE="100000",
        )
        zygote = Zygote(env, tmp_path)
        await zygote.open()
        rng, pushed, kills, restarts = random.Random(16), [], 0, []
        stop = asyncio.Event()

        async def users() -> None:  # a steady stream over many chats, nobody waiting for answers
            texts = ["/help", "/status", "/guide", "你好"]
            k = 0
            while not stop.is_set():
                pushed.append(api.push_text(8_000_000 + k % CHATS, texts[k % len(texts)]))
                k += 1
                await asyncio.sleep(0.05)

        started = time.monotonic()
        try:
            mark = api.mark()
            await zygote.start()
            await api.wait_call("getUpdates", after=mark, timeout=60)
            driving = asyncio.create_task(users())
            for _ in range(KILLS):
                await asyncio.sleep(rng.uniform(0.05, 0.35))
                await zygote.kill()
                kills += 1
                mark, begun = api.mark(), time.monotonic()
                await zygote.start()
                await api.wait_call("getUpdates", after=mark, timeout=30)
                restarts.append(time.monotonic() - begun)
            stop.set()
            await driving
            # The bot, left alive, catches up on the backlog the kills left stored (on a loaded machine
            # hundreds of updates): bounded by progress (none for CATCH_UP s) and by CATCH_UP_MAX overall.
            handled: set[int] = set()
            last_progress = begun = time.monotonic()
            while time.monotonic() - last_progress < CATCH_UP and time.monotonic() - begun < CATCH_UP_MAX:
                seen = {
                    u for (u,) in await database.query(f"SELECT update_id FROM handled_updates WHERE bot_id = {BOT_ID}")
                }
                if len(seen) > len(handled):
                    last_progress = time.monotonic()
                handled = seen
                if set(pushed) <= handled:
                    break
                await asyncio.sleep(0.5)
            waiting = await database.query("SELECT count(*) FROM inbox_updates")
            caught_up = time.monotonic() - begun
        finally:
            await zygote.close()
        elapsed = time.monotonic() - started
        fetched = {u["update_id"] for c in api.calls_of("getUpdates") if c.result for u in c.result}
        refetched = sum(len(c.result or ()) for c in api.calls_of("getUpdates")) - len(fetched)
        lost = fetched - handled
        print(
            f"inbox kill loop ({'PostgreSQL' if database.url else 'SQLite'}): {kills} kills in {elapsed:.0f} s "
            f"(restart to polling {sum(restarts) / max(len(restarts), 1) * 1000:.0f} ms), {len(pushed)} updates "
            f"pushed, {len(fetched)} fetched ({refetched} fetched again after a kill), lost {len(lost)}, "
            f"never handled {len(set(pushed) - handled)}, left in the inbox {waiting[0][0]}, "
            f"caught up in {caught_up:.0f} s"
        )
        assert kills >= KILLS
        assert refetched > 0, "no kill landed between a fetch and its confirmation: the test proves nothing"
        assert lost == set()
        assert set(pushed) <= handled
        assert waiting[0][0] == 0
