"""A flaky Telegram and re-delivered updates, through the real Dispatcher: what the applicant was told
is what happened."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError
from aiogram.methods import AnswerCallbackQuery, GetFile, SendMessage
from sqlalchemy import func, select

from bot.notifier import Notifier
from bot.pacing import Pacer
from bot.telegram import downloads
from bot.telegram.app import make_dispatcher
from dialogs.texts import SORRY_KEPT, SORRY_NOT_KEPT
from storage.models import Application, Draft, Notification
from tests import factories as f
from tests.bot.conftest import LENIENT
from tests.bot.recording import FlakySession
from tests.bot.test_applicant import drive
from tests.conftest import NOW
from tests.scripts import ELIGIBILITY, FORM, FULL, MATERIALS, jpeg

BANK = FORM.index(("text", "中国工商银行石家庄分行"))
UID = 111


class Harness:
    def __init__(self, runner, clock):
        self.runner, self.clock = runner, clock
        self.session = FlakySession()
        self.bot = Bot("42:TEST", session=self.session)
        self.dp = make_dispatcher(runner, clock=clock, album_wait=0.2, flood=LENIENT())

    async def feed(self, update) -> None:
        await self.dp.feed_update(self.bot, update)

    def restart(self) -> None:
        """A new process: a new dispatcher and runner identity on the same database."""
        from bot.runner import Runner

        r = self.runner
        self.runner = Runner(r.engine, r.sessionmaker, r.blobs, r.calendar, clock=r.clock, intake=r.intake)
        self.dp = make_dispatcher(self.runner, clock=self.clock, album_wait=0.2, flood=LENIENT())


@pytest.fixture
def tg(runner, clock):
    return Harness(runner, clock)


async def draft(sessionmaker) -> Draft:
    async with sessionmaker() as db:
        return await db.scalar(select(Draft))


def server_error(method):
    return TelegramServerError(method=method, message="Internal Server Error")


def too_many(seconds: int = 1):
    return lambda method: TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=seconds)


# ---- 2. each update takes effect at most once ---------------------------------------------------------
async def test_update_delivered_twice_in_one_batch_is_taken_once(tg, sessionmaker):
    await drive(tg, ELIGIBILITY + FORM[:BANK])
    update = f.text_update("中国工商银行石家庄分行")
    await asyncio.gather(tg.feed(update), tg.feed(update))
    d = await draft(sessionmaker)
    assert d.data["answers"]["bank_name"] == "中国工商银行石家庄分行"
    assert "bank_holder" not in d.data["answers"] and d.state == "f_bank_holder"
    assert sum("银行户名" in t for t in tg.session.texts(UID)) == 1


async def test_update_redelivered_after_a_restart_is_ignored(tg, sessionmaker):
    await drive(tg, ELIGIBILITY + FORM[:BANK])
    update = f.text_update("中国工商银行石家庄分行")
    await tg.feed(update)
    tg.restart()
    tg.session.clear()
    await tg.feed(update)
    assert tg.session.texts(UID) == []
    assert "bank_holder" not in (await draft(sessionmaker)).data["answers"]


async def test_double_tapped_submit_submits_once_without_an_error(tg, sessionmaker):
    await drive(tg, FULL[:-1])
    await asyncio.gather(
        tg.feed(f.callback_update("commitment|accept")), tg.feed(f.callback_update("commitment|accept"))
    )
    texts = tg.session.texts(UID)
    assert not any("系统繁忙" in t for t in texts)
    assert sum("提交成功" in t for t in texts) == 1
    async with sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Application)) == 1


# ---- 3. a reply that cannot be sent is sent later --------------------------------------------------
async def test_reply_refused_with_429_is_retried_after_retry_after(tg):
    await drive(tg, ELIGIBILITY[:3])
    tg.session.fail_next(SendMessage, too_many(1))
    await tg.feed(f.callback_update("id_type|resident"))
    assert "请输入您的居民身份证号码" in tg.session.texts(UID)[-1]


async def test_reply_that_keeps_failing_is_sent_by_the_notifier(tg, sessionmaker):
    await drive(tg, ELIGIBILITY[:3])
    tg.session.fail_next(SendMessage, server_error, times=3)
    await tg.feed(f.callback_update("id_type|resident"))
    assert not any("请输入您的居民身份证号码" in t for t in tg.session.texts(UID))
    assert (await draft(sessionmaker)).state == "id_number"  # the answer was kept
    later = datetime.now(UTC) + timedelta(seconds=3)  # the sender asked for a retry 2 s on
    await Notifier(tg.bot, sessionmaker, Pacer(), clock=lambda: later).drain()
    assert "请输入您的居民身份证号码" in tg.session.texts(UID)[-1]
    async with sessionmaker() as db:  # a shown reply is not kept
        assert await db.scalar(select(func.count()).select_from(Notification)) == 0


async def _answer_then_die(runner, owner: str, update: tuple[int, int] | None = None):
    """The answer commits with its replies queued, then the process dies before sending them."""
    from bot.runner import Who
    from dialogs.model import UserInput

    runner.owner = owner
    who = Who("telegram", str(UID), UID, outbox=True, update=update)
    await runner.handle(who, UserInput(kind="choose", payload="id_type|resident", now=NOW))
    assert who.kept and who.queued


async def test_replies_of_a_process_on_another_host_are_sent_when_its_claim_lapses(tg, runner, sessionmaker):
    await drive(tg, ELIGIBILITY[:3])
    await _answer_then_die(runner, "elsewhere:4242:0badc0de")
    tg.restart()
    notifier = Notifier(tg.bot, sessionmaker, Pacer(), clock=lambda: NOW)
    assert await notifier.drain() == 0  # still claimed: that process may be alive
    notifier.clock = lambda: NOW + timedelta(minutes=2)  # its claim lapsed
    await notifier.drain()
    assert "请输入您的居民身份证号码" in tg.session.texts(UID)[-1]


async def test_replies_of_a_killed_local_process_are_sent_at_once_after_the_restart(tg, runner, sessionmaker):
    import socket
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    await drive(tg, ELIGIBILITY[:3])
    await _answer_then_die(runner, f"{socket.gethostname()[:24]}:{gone.stdout.strip()}:0badc0de")
    tg.restart()
    await Notifier(tg.bot, sessionmaker, Pacer(), clock=lambda: NOW).drain()
    assert "请输入您的居民身份证号码" in tg.session.texts(UID)[-1]


async def test_replies_a_killed_process_left_go_before_the_next_answers(tg, runner, sessionmaker):
    """The next answer's replies are not sent ahead of the chat's older open ones (the fast path is
    only for a chat with none open)."""
    import socket
    import subprocess
    import sys

    from tests.scripts import ADULT_MAN

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    await drive(tg, ELIGIBILITY[:3])
    owner = f"{socket.gethostname()[:24]}:{gone.stdout.strip()}:0badc0de"
    await _answer_then_die(runner, owner, update=(tg.bot.id, 999_999))  # through this bot
    tg.restart()
    tg.session.clear()
    await tg.feed(f.text_update(ADULT_MAN))
    texts = tg.session.texts(UID)
    assert "请输入您的居民身份证号码" in texts[0] and "档案" in texts[-1], texts
    async with sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Notification)) == 0


async def test_reply_being_sent_when_the_process_died_is_sent_again(tg, runner, sessionmaker):
    """The next question is shown twice at worst, never not at all (#16)."""
    from sqlalchemy import update

    await drive(tg, ELIGIBILITY[:3])
    await _answer_then_die(runner, "elsewhere:4242:0badc0de")
    async with sessionmaker() as db, db.begin():  # it died during the call to Telegram
        await db.execute(update(Notification).values(status="sending"))
    tg.session.clear()
    await Notifier(tg.bot, sessionmaker, Pacer(), clock=lambda: NOW + timedelta(minutes=2)).drain()
    assert "请输入您的居民身份证号码" in tg.session.texts(UID)[-1]
    async with sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Notification)) == 0


async def test_notice_being_sent_when_the_process_died_is_not_sent_again(tg, sessionmaker):
    from storage.cases import Notifications

    async with sessionmaker() as db, db.begin():
        row = await Notifications(db).add("telegram", UID, {"text": "您的申请已由窗口受理。"}, dedup_key="accepted:1")
        await db.flush()
        row.status, row.claimed_by, row.claimed_until = "sending", "elsewhere:4242:0badc0de", NOW
    tg.session.clear()
    await Notifier(tg.bot, sessionmaker, Pacer(), clock=lambda: NOW + timedelta(minutes=2)).drain()
    assert tg.session.texts(UID) == []
    async with sessionmaker() as db:
        assert (await db.get(Notification, row.id)).status == "sent"


async def test_error_after_the_commit_says_the_answer_was_kept(tg, sessionmaker, monkeypatch):
    await drive(tg, ELIGIBILITY[:3])
    from bot.telegram.replies import ReplySender

    async def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(ReplySender, "deliver", broken)
    await tg.feed(f.callback_update("id_type|resident"))
    assert tg.session.texts(UID)[-1] == SORRY_KEPT
    assert (await draft(sessionmaker)).state == "id_number"


async def test_error_before_the_commit_says_the_answer_was_not_kept(tg, sessionmaker, monkeypatch):
    await drive(tg, ELIGIBILITY[:3])

    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(tg.runner.engine, "handle", broken)
    await tg.feed(f.callback_update("id_type|resident"))
    assert tg.session.texts(UID)[-1] == SORRY_NOT_KEPT
    assert (await draft(sessionmaker)).state == "id_type"


# ---- 4. a button press counts whatever happens to answerCallbackQuery -------------------------------
@pytest.mark.parametrize(
    "error",
    [
        server_error,
        lambda m: TelegramBadRequest(
            method=m, message="Bad Request: query is too old and response timeout expired or query ID is invalid"
        ),
    ],
)
async def test_press_counts_when_the_acknowledgement_fails(tg, sessionmaker, error):
    await drive(tg, ELIGIBILITY[:3])
    tg.session.fail_next(AnswerCallbackQuery, error)
    await tg.feed(f.callback_update("id_type|resident"))
    assert (await draft(sessionmaker)).state == "id_number"
    assert "请输入您的居民身份证号码" in tg.session.texts(UID)[-1]
    assert not any("系统繁忙" in t for t in tg.session.texts(UID))


async def test_press_is_acknowledged_after_it_was_handled(tg):
    await drive(tg, ELIGIBILITY[:3])
    tg.session.clear()
    await tg.feed(f.callback_update("id_type|resident"))
    kinds = [type(r) for r in tg.session.requests]
    assert AnswerCallbackQuery in kinds


# ---- 5. getFile / download failures are retried -----------------------------------------------------
async def test_upload_survives_failing_getfile_and_download(tg, sessionmaker, monkeypatch):
    monkeypatch.setattr(downloads, "DELAYS", (0.01, 0.01, 0.01, 0.01))
    await drive(tg, ELIGIBILITY + FORM + MATERIALS[:1])
    tg.session.fail_next(GetFile, server_error, times=2)
    tg.session.download_failures = 1
    tg.session.files["p1"] = jpeg("red")
    await tg.feed(f.photo_update("p1", size=len(tg.session.files["p1"])))
    assert (await draft(sessionmaker)).data["materials"]["household"]


async def test_upload_that_cannot_be_fetched_says_what_to_do(tg, sessionmaker, monkeypatch):
    monkeypatch.setattr(downloads, "DELAYS", (0.01, 0.01))
    await drive(tg, ELIGIBILITY + FORM + MATERIALS[:1])
    tg.session.fail_next(GetFile, server_error, times=3)
    tg.session.files["p1"] = jpeg("red")
    await tg.feed(f.photo_update("p1", size=len(tg.session.files["p1"])))
    assert "请稍候片刻，再重新发送这个文件" in tg.session.texts(UID)[-1]
    d = await draft(sessionmaker)
    assert d.state == "m_doc" and not d.data["materials"].get("household")


# ---- 6. one chat's updates keep their order -------------------------------------------------------
async def test_text_then_button_in_one_batch_are_handled_in_order(tg, sessionmaker):
    await drive(tg, ELIGIBILITY + FORM[:1])
    assert (await draft(sessionmaker)).state == "f_name"
    await asyncio.gather(tg.feed(f.text_update("张𫖮")), tg.feed(f.callback_update("f_ethnic|01")))
    d = await draft(sessionmaker)
    assert d.data["answers"]["name"] == "张𫖮" and d.data["answers"]["ethnic"] == "01"
    assert not any("按钮已失效" in t for t in tg.session.texts(UID))


async def test_photo_then_done_in_one_batch_take_the_photo_first(tg, sessionmaker):
    await drive(tg, ELIGIBILITY + FORM + MATERIALS[:1])
    tg.session.files["p1"] = jpeg("red")
    await asyncio.gather(
        tg.feed(f.photo_update("p1", size=len(tg.session.files["p1"]))), tg.feed(f.callback_update("m_doc|done"))
    )
    d = await draft(sessionmaker)
    assert d.data["materials"]["household"] and d.state == "m_entrusted"
    assert not any("还没有收到文件" in t for t in tg.session.texts(UID))


async def test_album_arrives_as_one_batch(tg, sessionmaker):
    await drive(tg, ELIGIBILITY + FORM + MATERIALS[:1])
    updates = []
    for i, color in enumerate(("red", "green", "blue")):
        tg.session.files[f"a{i}"] = jpeg(color)
        updates.append(f.photo_update(f"a{i}", group="album1", size=len(tg.session.files[f"a{i}"])))
    await asyncio.gather(*(tg.feed(u) for u in updates), tg.feed(f.callback_update("m_doc|done")))
    d = await draft(sessionmaker)
    assert len(d.data["materials"]["household"]) == 3 and d.state == "m_entrusted"
    assert sum("已收到3个文件" in t for t in tg.session.texts(UID)) == 1


def _proc_state(pid: int) -> bytes:
    with open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rsplit(b")", 1)[-1].split()[0]


def test_a_zombie_owner_counts_as_dead():
    """A killed process its parent has not reaped yet still has a pid: its claims are dead all the same."""
    import os
    import signal
    import socket
    import time

    from bot.outbox import dead_owners

    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    try:
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30  # the kill lands when the scheduler gets to it (a loaded machine)
        while _proc_state(pid) != b"Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _proc_state(pid) == b"Z"  # dead, not reaped: a zombie
        token = f"{socket.gethostname()[:24]}:{pid}:0badc0de"
        assert dead_owners([token], "me") == {token}
    finally:
        os.waitpid(pid, 0)
