"""The applicant side of the e2e tests, stated once: a patient applicant walking the script through the
fake Telegram (tests/e2e/fakebot.py), and the test's read-only look at the bot's database."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing, suppress
from pathlib import Path

from dialogs.clock import utcnow
from tests.e2e.fakebot import FakeBotAPI
from tests.scripts import FULL, as_input

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


def shown(api: FakeBotAPI, uid: int) -> tuple[str, ...]:
    """The question the bot showed last, as the applicant sees it: its buttons (() before any)."""
    return tuple(api.last_buttons(uid))


def as_user_input(kind: str, value, now):
    """One scripted input as the engine takes it from the runner: uploads judged already."""
    from dialogs.intake import judge
    from dialogs.model import Upload, UserInput

    if kind != "upload":
        return as_input(kind, value, now, account="telegram:1")
    files = [Upload(checked=judge(data), size=len(data)) for data in value]
    return UserInput(kind="upload", now=now, account="telegram:1", files=files)


def answers(script) -> dict[tuple[str, ...], tuple[str, object]]:
    """The script as an applicant reads it: each question the bot asks on the way (its buttons, as the
    engine shows them) -> the script's input that answers it; () (nothing shown yet) -> the first."""
    from dialogs.engine import Engine
    from dialogs.model import Session

    engine, session, now = Engine(), Session(), utcnow()
    plan: dict[tuple[str, ...], tuple[str, object]] = {}
    asked: tuple[str, ...] = ()
    for kind, value in [("command", "start"), *script]:
        if kind != "command":
            assert asked not in plan, f"two inputs of the script answer the same question {asked}"
            plan[asked] = (kind, value)
        out = engine.handle(session, as_user_input(kind, value, now))
        session = out.session
        keyboards = [tuple(b.data for row in r.buttons for b in row) for r in out.replies if r.buttons]
        asked = keyboards[-1] if keyboards else asked
    plan[()] = script[0]
    return plan


def answer_to(plan: dict, asked: tuple[str, ...]) -> tuple[str, object] | None:
    """The script's answer to the question shown: the planned one, else (the same step asked with other
    buttons, e.g. 完成上传 after a file sent twice) the one button of the script on offer."""
    if asked in plan:
        return plan[asked]
    offered = [a for a in plan.values() if a[0] == "choose" and a[1] in asked]
    return offered[0] if len(offered) == 1 else None


def other_than(asked: tuple[str, ...]):
    """A reply that moves on: 提交成功, or a question other than the one just answered."""
    return lambda c: "提交成功" in c.text or (bool(c.buttons) and tuple(c.buttons) != asked)


async def journey(api: FakeBotAPI, uid: int, stats: Counter, patience: float = STEP_WAIT, script=FULL) -> bool:
    """The script as a patient applicant, who answers the question the bot showed last (its buttons)
    with the script's answer to that question, and waits for the next question: none in `patience` s,
    the same answer is sent again. A question whether a repeat was meant is answered "no". It never
    presses a button the bot has not shown: replies come late after a restart (a backlog of re-sent
    inputs), and taking a late reply to an earlier input for the answer to the last one ran the
    applicant ahead of the bot, to the end of its script with its last inputs still queued (#12).
    True once told 提交成功 (also when it came late). False otherwise: it gave up (4 sends per input of
    the script; stats["gave_up"]) or the bot asked a question the script has no answer to
    (stats["off_script"]: it fell out of step with the bot)."""
    plan, sends = answers(script), 0
    while sends < 4 * len(script) and not told(api.messages(uid)):
        asked = shown(api, uid)
        if "dup|drop" in asked:
            stats["repeat_questions"] += 1
            kind, value = "choose", "dup|drop"
        elif (found := answer_to(plan, asked)) is not None:
            kind, value = found
        else:  # a question the script does not answer, unless a later reply follows
            await wait_new(api, uid, len(api.messages(uid)), patience, until=other_than(asked))
            if shown(api, uid) == asked:
                break
            continue
        seen = len(api.messages(uid))
        push(api, uid, kind, value)
        sends += 1
        await wait_new(api, uid, seen, patience * (2 if kind == "upload" else 1), until=other_than(asked))
        if not told(api.messages(uid)) and shown(api, uid) == asked:  # no next question: the same again
            stats["resent"] += 1
    with suppress(TimeoutError):  # a late 提交成功
        await api._wait(lambda: told(api.messages(uid)), patience)
    if told(api.messages(uid)):
        return True
    stats["gave_up" if sends >= 4 * len(script) else "off_script"] += 1
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
