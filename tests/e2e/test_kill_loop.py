"""kill -9 in a loop: applicants go through the whole journey while the bot is killed over and over.

At the end every application an applicant was told about ("✅ 提交成功") is accepted with its three
department deliveries queued or made, and no notification reached a chat twice. Bounded: KILLS kills,
each after the new process sent a few messages, at a random moment up to 0.8 s later; then the
journeys under way finish with the bot alive. The bot children come from tests/e2e/zygote.py (the
real `bot.__main__.main(["run"])`, forked after the imports so that a restart costs well under a
second, not ~5 s).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import sqlite3
import sys
import time
from collections import Counter
from contextlib import closing, suppress
from pathlib import Path

import pytest

from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI
from tests.e2e.sealed import unseal
from tests.scripts import FULL

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("KILL_LOOP_KILLS", "50"))
APPLICANTS = 6
LIFE_ANSWERS = 3  # messages each life sends before its kill, at a random moment up to 0.8 s later
STEP_WAIT = 5.0  # no answer within this (the machine may be loaded): the applicant sends the same again
ADMIN_CHAT = -1003
REF = re.compile(r"受理编号：(\S+)")
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]


class Zygote:
    def __init__(self, env: dict, logs: Path):
        self.env, self.logs = env, logs
        self.proc: asyncio.subprocess.Process | None = None
        self.pid: int | None = None
        self.starts = 0

    async def open(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.zygote",
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert (await asyncio.wait_for(self.proc.stdout.readline(), 60)).strip() == b"ready"

    async def ask(self, line: str) -> str:
        self.proc.stdin.write((line + "\n").encode())
        await self.proc.stdin.drain()
        return (await asyncio.wait_for(self.proc.stdout.readline(), 30)).decode().strip()

    async def start(self) -> int:
        self.starts += 1
        self.pid = int(await self.ask(f"start {self.logs / f'bot-{self.starts}.log'}"))
        return self.pid

    async def kill(self) -> None:
        if self.pid is not None:
            assert await self.ask(f"kill {self.pid}") == "killed"
            self.pid = None
        await self.ask("reap")

    async def close(self) -> None:
        if self.pid is not None:
            await self.kill()
        if self.proc is not None:
            self.proc.stdin.close()
            await self.proc.wait()


def new_messages(api: FakeBotAPI, uid: int, seen: int) -> list:
    return api.messages(uid)[seen:]


STALE = "该按钮已失效。"  # a press of a button of a finished step, after the submission: the step was taken


def asks(call) -> bool:
    """The message asks for the next input: every question carries a keyboard (buttons, or the
    contact request). Acknowledgements before it ("已收到…") carry none; nor does STALE."""
    return bool(call.params.get("reply_markup"))


def answered(call) -> bool:
    return asks(call) or call.text == STALE


async def wait_new(api: FakeBotAPI, uid: int, seen: int, timeout: float, until=answered) -> list:
    """The reply to an input: the new messages up to one that `until` accepts (then the rest of its
    burst). A reply's messages go out one by one, and a failed send is retried seconds later, so a
    pause between them is no sign of the end: without such a message within `timeout`, whatever came."""
    try:
        await api._wait(lambda: any(until(c) for c in new_messages(api, uid, seen)), timeout)
    except TimeoutError:
        return new_messages(api, uid, seen)
    while True:  # until the burst of the reply is over
        count = len(api.messages(uid))
        try:
            await api._wait(lambda count=count: len(api.messages(uid)) > count, 0.15)
        except TimeoutError:
            return new_messages(api, uid, seen)


def push(api: FakeBotAPI, uid: int, kind: str, value) -> None:
    if kind == "choose":
        api.push_callback(uid, value)
    elif kind == "upload":
        for data in value:
            api.push_photo(uid, data)
    else:
        api.push_text(uid, value)


async def journey(api: FakeBotAPI, uid: int, stats: Counter, patience: float = STEP_WAIT) -> None:
    """The whole script as a patient applicant: no answer in `patience` s, the same is sent again; a
    question whether a repeat was meant is answered "no"; a stale button means the step was taken."""
    i, sends = 0, 0
    while i < len(FULL) and sends < 4 * len(FULL):
        kind, value = FULL[i]
        seen = len(api.messages(uid))
        push(api, uid, kind, value)
        sends += 1
        got = await wait_new(api, uid, seen, patience * (2 if kind == "upload" else 1))  # uploads: a pool check
        if not any(answered(c) for c in got):  # no next question (nothing, or only an error message)
            stats["resent"] += 1
            continue
        if any("dup|drop" in c.buttons for c in got):
            stats["repeat_questions"] += 1
            seen = len(api.messages(uid))
            api.push_callback(uid, "dup|drop")
            await wait_new(api, uid, seen, patience)
        if any("提交成功" in c.text for c in got):
            return
        i += 1


class Database:
    """The test's read-only look at the bot's database: the SQLite file, or the PostgreSQL one."""

    def __init__(self, data_dir: Path, url: str = ""):
        self.data_dir, self.url = data_dir, url

    async def query(self, sql: str) -> list[tuple]:
        if not self.url:
            with closing(sqlite3.connect(self.data_dir / "assistant.db", timeout=30)) as db:
                return db.execute(sql).fetchall()
        import asyncpg

        conn = await asyncpg.connect(self.url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Database:
    if request.param == "sqlite":
        return Database(tmp_path / "data")
    from tests.conftest import PG_URL, _pg_fresh_url

    if not PG_URL:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    return Database(tmp_path / "data", _pg_fresh_url(PG_URL))


async def test_kill_9_loop_keeps_what_applicants_were_told(tmp_path, database):
    data_dir, query = database.data_dir, database.query
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("BOT_TOKEN", "DATABASE_URL", "DATA_DIR") and not k.startswith("DISPATCH__")
        }
        env.update(
            BOT_TOKEN=DEFAULT_TOKEN,
            TELEGRAM_API_BASE=api.base_url,
            DATA_DIR=str(data_dir),
            DATABASE_URL=database.url,
            PYTHONUNBUFFERED="1",
            AUTO_ACCEPT="true",
            EMBEDDED_WORKER="true",
            ADMIN_CHAT_ID=str(ADMIN_CHAT),
            DISPATCH__POLL_INTERVAL="0.3",
            FLOOD_PER_MINUTE="100000",
            LOG_LEVEL="WARNING",
        )
        zygote = Zygote(env, tmp_path)
        await zygote.open()
        rng, stats, users = random.Random(12), Counter(), []
        started = time.monotonic()

        async def start_and_wait() -> None:
            mark, begun = api.mark(), time.monotonic()
            await zygote.start()
            await api.wait_call("getUpdates", after=mark, timeout=30)
            stats["restart_ms"] += int((time.monotonic() - begun) * 1000)

        async def applicants(stop: asyncio.Event) -> None:
            async def one(k: int) -> None:
                j = 0
                while not stop.is_set():
                    uid = 7_000_000 + k * 1000 + j
                    users.append(uid)
                    await journey(api, uid, stats)
                    j += 1

            await asyncio.gather(*(one(k) for k in range(APPLICANTS)))

        try:
            await start_and_wait()
            stop = asyncio.Event()
            driving = asyncio.create_task(applicants(stop))
            for _ in range(KILLS):
                # Each life first answers something (so the journeys move even on a loaded machine),
                # then dies at a random moment, most often in the middle of handling updates.
                mark = api.mark()
                with suppress(TimeoutError):
                    await api._wait(
                        lambda mark=mark: sum(c.method == "sendMessage" for c in api.calls[mark:]) >= LIFE_ANSWERS, 10
                    )
                await asyncio.sleep(rng.uniform(0.0, 0.8))
                await zygote.kill()
                stats["kills"] += 1
                await start_and_wait()
            stop.set()
            try:  # journeys under way finish with the bot left alive (bounded: a stuck one is reported)
                await asyncio.wait_for(driving, 300)
            except TimeoutError:
                stats["abandoned"] += 1
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # the outboxes drain
                open_rows = await query("SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')")
                undelivered = await query("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'retry')")
                if open_rows[0][0] == 0 and undelivered[0][0] == 0:
                    break
                await asyncio.sleep(0.5)
        finally:
            await zygote.close()
        elapsed = time.monotonic() - started

        told = {}
        for uid in users:
            for call in api.messages(uid):
                if "提交成功" in call.text:
                    told[uid] = REF.search(call.text).group(1)
        apps = {
            ref: (status, app_id) for ref, status, app_id in await query("SELECT ref, status, id FROM applications")
        }
        lost = [(uid, ref) for uid, ref in told.items() if ref not in apps or apps[ref][0] != "accepted"]
        deliveries = Counter(a for (a,) in await query("SELECT application_id FROM deliveries"))
        without_packets = [ref for ref in told.values() if ref in apps and deliveries[apps[ref][1]] != 3]
        sent = Counter((c.chat_id, c.text) for c in api.calls_of("sendMessage") if c.result)
        notices = await query("SELECT chat_id, body FROM notifications WHERE kind IS NULL")
        bodies = [(chat, unseal(data_dir, "notifications.body", body)) for chat, body in notices]
        twice = [(chat, body["text"][:40]) for chat, body in bodies if sent[(int(chat), body["text"])] > 1]
        accepted_twice = [
            uid for uid in users if sum("已由“一件事一次办”窗口受理" in c.text for c in api.messages(uid)) > 1
        ]
        states = Counter(s for (s,) in await query("SELECT state FROM drafts"))
        print(f"draft states: {dict(states)}")
        print(
            f"kill loop ({'PostgreSQL' if database.url else 'SQLite'}): {stats['kills']} kills in "
            f"{elapsed:.0f} s (restarts {stats['restart_ms'] / max(stats['kills'], 1):.0f} ms each), "
            f"{len(users)} journeys, "
            f"{len(told)} told 提交成功, {len(apps)} applications, lost {len(lost)}, "
            f"duplicate notifications {len(twice)}, resent inputs {stats['resent']}, "
            f"repeat questions {stats['repeat_questions']}, abandoned {stats['abandoned']}"
        )
        assert stats["kills"] >= KILLS
        assert len(told) >= 1, "no journey finished: the loop proved nothing"
        assert lost == [] and without_packets == []
        assert twice == [] and accepted_twice == []
        assert not await query("SELECT submission_key FROM applications GROUP BY submission_key HAVING count(*) > 1")
