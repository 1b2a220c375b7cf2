"""End to end: `python -m bot run` long-polls a fake Bot API; kill -9 mid-dialogue loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
import pytest_asyncio

from dialogs.idnumbers import mod11_2_check_char
from tests.e2e.fakebot import DEFAULT_TOKEN, Call, FakeBotAPI

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 45  # importing aiogram.types alone takes ~3 s
REPLY = 10
MENU = {"start", "guide", "apply", "status", "cancel", "help"}
# One server and one bot process for the module: each start costs ~5 s of imports and migrations.
pytestmark = pytest.mark.asyncio(loop_scope="module")


def resident_id(birth: str, seq: str = "123") -> str:
    """A valid 18-digit 居民身份证 number from Shijiazhuang (130102); odd `seq[-1]` means male."""
    first17 = "130102" + birth + seq
    return first17 + mod11_2_check_char(first17)


def offers(data: str):
    return lambda call: data in call.buttons


class BotProcess:
    """The assistant as a child process; every start writes its own log next to DATA_DIR."""

    def __init__(self, api: FakeBotAPI, data_dir: Path):
        self.api, self.data_dir = api, data_dir
        self.proc: subprocess.Popen | None = None
        self.logs: list[Path] = []

    async def start(self) -> None:
        mark = self.api.mark()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("BOT_TOKEN", "TELEGRAM_API_BASE", "DATA_DIR", "DATABASE_URL")
        }
        # DATABASE_URL="" keeps a developer's .env from pointing the test at a real database.
        env.update(
            BOT_TOKEN=DEFAULT_TOKEN,
            FLOOD_PER_MINUTE="100000",
            TELEGRAM_API_BASE=self.api.base_url,
            DATA_DIR=str(self.data_dir),
            DATABASE_URL="",
            PYTHONUNBUFFERED="1",
        )
        log = self.data_dir.parent / f"bot-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        for _ in range(STARTUP * 4):
            try:
                await self.api.wait_call("getUpdates", after=mark, timeout=0.25)
                return
            except TimeoutError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"bot exited with {self.proc.returncode} before polling") from None
        raise TimeoutError(f"bot did not poll within {STARTUP}s")

    async def ensure_running(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            await self.start()

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def output(self) -> str:
        return "\n".join(
            f"----- {log.name} -----\n" + log.read_text(errors="replace") for log in self.logs if log.exists()
        )

    def query(self, sql: str) -> list[tuple]:
        with closing(sqlite3.connect(self.data_dir / "assistant.db", timeout=30)) as db:
            return db.execute(sql).fetchall()

    def draft(self, user_id: int) -> tuple[str, dict]:
        with closing(sqlite3.connect(self.data_dir / "assistant.db")) as db:
            state, data = db.execute(
                "SELECT d.state, d.data FROM drafts d JOIN applicants a ON a.id = d.applicant_id "
                "WHERE a.external_id = ?",
                (str(user_id),),
            ).fetchone()
        from storage.keyring import KeyRing  # the draft is sealed with the key file the process made

        return state, json.loads(KeyRing.load(self.data_dir / "keys.json").open(data, b"drafts.data"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api():
    async with FakeBotAPI(token=DEFAULT_TOKEN) as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def process(api, tmp_path_factory):
    child = BotProcess(api, tmp_path_factory.mktemp("e2e") / "data")
    try:
        yield child
    finally:
        child.kill()


@pytest_asyncio.fixture(loop_scope="module")
async def bot(process):
    try:
        await process.ensure_running()
        yield process
    finally:
        print(process.output())  # pytest shows it only for a failed test


async def say(api: FakeBotAPI, user: int, push, expect) -> list[Call]:
    """One user turn: push an update, wait for the bot's answer to it before the next turn."""
    push()
    return await api.wait_for_reply(user, expect, timeout=REPLY)


async def up_to_id_number(api: FakeBotAPI, user: int) -> None:
    await say(api, user, lambda: api.push_command(user, "start"), offers("g|apply"))
    await say(api, user, lambda: api.push_callback(user, "g|apply"), offers("notice_ack|ack"))
    await say(api, user, lambda: api.push_callback(user, "notice_ack|ack"), offers("consent|agree"))
    await say(api, user, lambda: api.push_callback(user, "consent|agree"), offers("id_type|resident"))
    await say(
        api, user, lambda: api.push_callback(user, "id_type|resident"), lambda c: "请输入您的居民身份证号码" in c.text
    )


async def test_dialogue_continues_after_kill_9(api, bot):
    user, number = 5550001, resident_id("19900307")
    commands = api.calls_of("setMyCommands")[-1].params["commands"]
    assert {c["command"] for c in commands} >= MENU

    await up_to_id_number(api, user)
    got = await say(api, user, lambda: api.push_text(user, number), offers("archive|yes"))
    assert any("核验通过" in c.text for c in got)
    await say(api, user, lambda: api.push_callback(user, "archive|yes"), offers("situation|self_employed"))
    await api.wait_confirmed(REPLY)
    while bot.query("SELECT count(*) FROM notifications WHERE kind = 'reply'")[0][0]:
        await asyncio.sleep(0.05)  # shown and removed: a reply killed mid-call is sent again at start

    bot.kill()
    await bot.start()
    got = await say(api, user, lambda: api.push_command(user, "apply"), offers("situation|self_employed"))
    assert "继续办理" in got[0].text
    assert not any("证件号码" in c.text or "id_type|resident" in c.buttons for c in got)

    got = await say(api, user, lambda: api.push_callback(user, "situation|self_employed"), offers("eligible|go"))
    assert "资格核验通过" in got[-1].text
    state, data = bot.draft(user)
    assert state == "eligible"
    assert data["answers"] | {"id_number": number, "archive": "yes", "situation": "self_employed"} == data["answers"]
    assert not api.unanswered_callbacks()


async def test_retired_applicant_is_refused(api, bot):
    user = 5550002
    await up_to_id_number(api, user)
    got = await say(
        api, user, lambda: api.push_text(user, resident_id("19500101", "101")), lambda c: "暂不能申请" in c.text
    )
    assert "法定劳动年龄" in got[-1].text
    assert "ineligible|back" in got[-1].buttons
    assert not api.unanswered_callbacks()


async def _answer_then_kill(api: FakeBotAPI, bot: BotProcess, user: int, number: str, sql: str = "") -> None:
    """The ID number is answered and committed; the bot is killed -9 while its reply is not shown
    (once `sql` counts a row, when given)."""
    mark = api.mark()
    api.push_text(user, number)
    call = await api.wait_call("sendMessage", after=mark, timeout=REPLY)  # committed with its replies
    assert int(call.params["chat_id"]) == user
    while sql and not bot.query(sql)[0][0]:
        await asyncio.sleep(0.05)
    bot.kill()
    api._failures.pop("sendMessage", None)  # Telegram is well again for the next start
    assert bot.draft(user)[1]["answers"]["id_number"] == number  # the answer was stored


async def test_next_question_is_sent_at_start_after_a_kill_during_its_call(api, bot):
    """Killed while Telegram held the call that shows the next question: not left waiting for it."""
    user, number = 5550011, resident_id("19850512")
    await up_to_id_number(api, user)
    api.stall_next("sendMessage", 120)
    await _answer_then_kill(api, bot, user, number)
    await bot.start()
    got = await api.wait_for_reply(user, offers("archive|yes"), timeout=REPLY)  # nothing sent by the user
    assert any("核验通过" in c.text for c in got)


async def test_next_question_is_sent_at_start_after_a_kill_while_telegram_failed(api, bot):
    user, number = 5550012, resident_id("19860613")
    await up_to_id_number(api, user)
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 6", retry_after=6)  # left to the notifier
    released = "SELECT count(*) FROM notifications WHERE kind = 'reply' AND claimed_by IS NULL"
    await _answer_then_kill(api, bot, user, number, released)
    await bot.start()
    got = await api.wait_for_reply(user, offers("archive|yes"), timeout=REPLY)
    assert any("核验通过" in c.text for c in got)
