"""`python -m bot run` in webhook mode behind the fake Telegram: secret, store-before-200, re-deliveries,
/metrics /healthz /readyz on the same listener, and SIGTERM mid-load leaving no accepted update unanswered."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI
from tests.e2e.hooks import SECRET, HookProcess, until

BOT_ID = int(DEFAULT_TOKEN.split(":")[0])
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]


def handled(data_dir: Path) -> set[int]:
    with closing(sqlite3.connect(data_dir / "assistant.db", timeout=30)) as db:
        return {u for (u,) in db.execute("SELECT update_id FROM handled_updates WHERE bot_id = ?", (BOT_ID,))}


def waiting(data_dir: Path) -> set[int]:
    with closing(sqlite3.connect(data_dir / "assistant.db", timeout=30)) as db:
        return {u for (u,) in db.execute("SELECT update_id FROM inbox_updates")}


async def test_webhook_mode_end_to_end(tmp_path):
    data_dir = tmp_path / "data"
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        bot = HookProcess(api, data_dir, "hook-1", EMBEDDED_WORKER="false")
        try:
            await bot.start()
            hook = api.calls_of("setWebhook")[-1].params
            assert hook["url"] == "https://assistant.example.gov.cn/tg/hook"
            assert hook["secret_token"] == SECRET
            assert {"message", "callback_query"} <= set(hook["allowed_updates"])
            api.spread_over([bot.url + "/tg/hook"])  # the reverse proxy: the URL's path on WEB_PORT
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
                update = {
                    "update_id": 1,
                    "message": {
                        "message_id": 1,
                        "date": 1,
                        "text": "/start",
                        "chat": {"id": 9001, "type": "private"},
                        "from": {"id": 9001, "is_bot": False, "first_name": "X"},
                    },
                }
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "nope"}):
                    async with http.post(bot.url + "/tg/hook", json=update, headers=headers) as r:
                        assert r.status == 401
                async with http.get(bot.url + "/healthz") as r:
                    assert r.status == 200
                async with http.get(bot.url + "/readyz") as r:
                    assert r.status == 200, await r.text()

                # Re-deliveries: every update is delivered twice, to be answered once.
                api.webhook_duplicates = 1.0
                users = list(range(9100, 9120))
                ids = [api.push_text(u, "/start") for u in users]
                assert await until(lambda: set(ids) <= handled(data_dir), 30), bot.output()
                await asyncio.sleep(1.0)  # the second deliveries are in too
                assert sum(1 for uid, _, status in api.webhook_answers if uid in ids and status == 200) == 2 * len(ids)
                for u in users:
                    assert len(api.messages(u)) == 1, (u, [c.text[:20] for c in api.messages(u)])
                assert not api.messages(9001), "the refused request was not handled"

                async with http.get(bot.url + "/metrics") as r:
                    body = await r.text()
                assert f'assistant_updates_handled_total{{kind="message"}} {len(ids)}.0' in body
                assert "assistant_inbox_depth" in body and "assistant_conversations" in body

                # SIGTERM while updates arrive: the accepted ones are all answered, now or after the restart.
                api.webhook_duplicates = 0.0
                load = [api.push_text(9200 + k % 40, "/help") for k in range(120)]
                await until(lambda: sum(1 for uid, _, s in api.webhook_answers if uid in load and s == 200) >= 20, 20)
                bot.terminate()
                code = await asyncio.get_running_loop().run_in_executor(None, bot.proc.wait, 30)
                assert code == 0, bot.output()
            accepted = {uid for uid, _, s in api.webhook_answers if uid in load and s == 200}
            refused = {uid for uid, _, s in api.webhook_answers if uid in load and s in (0, 503)}
            done_at_stop, left = handled(data_dir), waiting(data_dir)
            assert accepted - done_at_stop <= left  # accepted and not yet handled: still in the inbox
            await bot.start()  # the next deployment: what waited in the inbox, and what was refused, arrives
            assert await until(lambda: set(load) <= handled(data_dir), 60), bot.output()
            assert await until(lambda: not waiting(data_dir), 10)
            answered = {c.chat_id for c in api.calls_of("sendMessage")}
            assert {9200 + k % 40 for k in range(120)} <= answered
            out = bot.output()
            assert "Server disconnected" not in out
            print(
                f"webhook e2e: {len(ids)} duplicated updates answered once; SIGTERM after {len(accepted)} of "
                f"{len(load)} accepted ({len(refused)} refused or unanswered while stopping), "
                f"{len(accepted & done_at_stop)} answered before the exit, {len(left)} left in the inbox for the "
                f"next start; all {len(load)} handled after the restart"
            )
        finally:
            bot.kill()
