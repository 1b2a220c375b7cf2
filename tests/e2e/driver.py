"""The applicant side of the e2e tests, stated once: a patient applicant walking the script through the
fake Telegram (tests/e2e/fakebot.py), and the test's read-only look at the bot's database."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing, suppress
from pathlib import Path

from tests.e2e.fakebot import FakeBotAPI
from tests.scripts import FULL

STEP_WAIT = 5.0  # no answer within this (the machine may be loaded): the applicant sends the same again
STALE = "该按钮已失效。"  # a press of a button of a finished step, after the submission: the step was taken


def new_messages(api: FakeBotAPI, uid: int, seen: int) -> list:
    return api.messages(uid)[seen:]


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


def told(calls) -> bool:
    return any("提交成功" in c.text for c in calls)


def push(api: FakeBotAPI, uid: int, kind: str, value) -> None:
    if kind == "choose":
        api.push_callback(uid, value)
    elif kind == "upload":
        for data in value:
            api.push_photo(uid, data)
    else:
        api.push_text(uid, value)


async def journey(api: FakeBotAPI, uid: int, stats: Counter, patience: float = STEP_WAIT, script=FULL) -> bool:
    """The whole script as a patient applicant: no answer in `patience` s, the same is sent again; a
    question whether a repeat was meant is answered "no"; a stale button means the step was taken.
    True once told 提交成功 (also when it came late, after the applicant went on). False otherwise: it
    gave up (4 sends per step of the script; counted in stats["gave_up"]) or walked the script to its
    end without 提交成功 (stats["off_script"]: it fell out of step with the bot)."""
    i, sends = 0, 0
    while i < len(script) and sends < 4 * len(script):
        kind, value = script[i]
        seen = len(api.messages(uid))
        push(api, uid, kind, value)
        sends += 1
        got = await wait_new(api, uid, seen, patience * (2 if kind == "upload" else 1))  # uploads: a pool check
        if told(got):  # whatever else came with it
            return True
        if not any(answered(c) for c in got):  # no next question (nothing, or only an error message)
            stats["resent"] += 1
            continue
        if any("dup|drop" in c.buttons for c in got):
            stats["repeat_questions"] += 1
            seen = len(api.messages(uid))
            api.push_callback(uid, "dup|drop")
            await wait_new(api, uid, seen, patience)
        i += 1
    with suppress(TimeoutError):  # a late 提交成功, after the applicant went on
        await api._wait(lambda: told(api.messages(uid)), patience)
    if told(api.messages(uid)):
        return True
    stats["off_script" if i >= len(script) else "gave_up"] += 1
    return False


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
