"""End to end, faults that must be survived: two bots and a worker on one SQLite file, a failing
getUpdates, a flaky Bot API, a broken database (deleted while running, read-only at start), and a
full disk (recovered from without a restart)."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing, suppress
from pathlib import Path

import pytest

from dialogs.texts import SORRY_NOT_KEPT
from tests.e2e.driver import journey
from tests.e2e.fakebot import DEFAULT_TOKEN, ApiError, FakeBotAPI
from tests.e2e.hooks import until_polling
from tests.e2e.sealed import unseal

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 60
ADMIN_CHAT = -1003
OTHER_TOKEN = "654321:BBOtherFakeTokenForEndToEndTests_98765"
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]


class Child:
    """`python -m bot <cmd>` on a shared DATA_DIR, its output in a log file."""

    def __init__(
        self, data_dir: Path, name: str, api: FakeBotAPI | None = None, token: str = DEFAULT_TOKEN, **env: str
    ):
        self.api, self.log = api, data_dir.parent / f"{name}.log"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("BOT_TOKEN", "DATABASE_URL", "DATA_DIR") and not k.startswith("DISPATCH__")
        }
        self.env.update(
            DATA_DIR=str(data_dir),
            DATABASE_URL="",
            PYTHONUNBUFFERED="1",
            AUTO_ACCEPT="true",
            ADMIN_CHAT_ID=str(ADMIN_CHAT),
            DISPATCH__POLL_INTERVAL="0.3",
            FLOOD_PER_MINUTE="100000",
            **env,
        )
        if api is not None:
            self.env.update(BOT_TOKEN=token, TELEGRAM_API_BASE=api.base_url)
        self.proc: subprocess.Popen | None = None

    def spawn(self, cmd: str = "run") -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", cmd],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        mark = self.api.mark()
        self.spawn()
        await until_polling(self.api, self.proc, mark, STARTUP, self.text)

    async def exited(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"still running after {timeout}s:\n{self.text()}")
            await asyncio.sleep(0.1)
        return self.proc.returncode

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def query(data_dir: Path, sql: str, *args) -> list[tuple]:
    with closing(sqlite3.connect(data_dir / "assistant.db", timeout=30)) as db:
        return db.execute(sql, args).fetchall()


async def test_two_bots_and_a_worker_on_one_sqlite_file(tmp_path):
    data_dir = tmp_path / "data"
    async with FakeBotAPI(token=DEFAULT_TOKEN) as one, FakeBotAPI(token=OTHER_TOKEN) as two:
        bots = [
            Child(data_dir, "bot-a", one, EMBEDDED_WORKER="false"),
            Child(data_dir, "bot-b", two, token=OTHER_TOKEN, EMBEDDED_WORKER="false"),
        ]
        worker = Child(data_dir, "worker")
        try:
            await bots[0].start()  # the first start migrates the new database
            worker.spawn("worker")
            await bots[1].start()
            stats = Counter()
            users = {one: [8_100_001, 8_100_002, 8_100_003], two: [8_200_001, 8_200_002, 8_200_003]}
            await asyncio.wait_for(
                asyncio.gather(*(journey(api, uid, stats, patience=30) for api, uids in users.items() for uid in uids)),
                480,
            )
            deadline = time.monotonic() + 60
            while (
                query(data_dir, "SELECT count(*) FROM deliveries WHERE status != 'delivered'")[0][0]
                or query(data_dir, "SELECT count(*) FROM notifications WHERE status != 'sent'")[0][0]
            ):
                assert time.monotonic() < deadline, "the outbox did not drain"
                await asyncio.sleep(0.5)
        finally:
            for child in (*bots, worker):
                child.stop()
        for api, uids in users.items():
            for uid in uids:
                texts = [c.text for c in api.messages(uid)]
                assert any("提交成功" in t for t in texts), (uid, texts[-3:])
                assert any("已由“一件事一次办”窗口受理" in t for t in texts)
                assert not any("系统繁忙" in t for t in texts)
            other = two if api is one else one
            assert not any(other.messages(uid) for uid in uids)  # each bot answers its own applicants
        assert stats["resent"] == 0
        assert query(data_dir, "SELECT count(*) FROM applications WHERE status = 'accepted'")[0][0] == 6
        logs = "".join(c.text() for c in (*bots, worker))
        assert "database is locked" not in logs and "Traceback" not in logs


async def test_failing_get_updates_loses_no_update(tmp_path):
    data_dir, user = tmp_path / "data", 8_300_001
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        bot = Child(data_dir, "bot", api)
        try:
            await bot.start()
            api.fail_next("getUpdates", 429, "Too Many Requests: retry after 1", retry_after=1)
            api.fail_next("getUpdates", 500, "Internal Server Error", retry_after=None)
            api.garble_next("getUpdates", '{"ok": true, "result": [{"update_id": ', content_type="application/json")
            api.garble_next("getUpdates", "<html><body>502 Bad Gateway</body></html>", status=502)
            api.stall_next("getUpdates", 5)
            for command in ("start", "help", "guide"):
                api.push_command(user, command)
            got = await api.wait_for_reply(user, lambda c: "办事指南" in c.text, timeout=60)
            texts = [c.text for c in got]
            assert any("灵活就业“一件事一次办”" in t for t in texts) and any("/apply" in t for t in texts)
            assert bot.proc.poll() is None
        finally:
            bot.stop()


async def test_database_deleted_while_running_stops_the_bot_with_an_alert(tmp_path):
    data_dir, user = tmp_path / "data", 8_400_001
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        bot = Child(data_dir, "bot", api)
        try:
            await bot.start()
            api.push_command(user, "start")
            await api.wait_for_reply(user, lambda c: "g|apply" in c.buttons, timeout=20)
            while query(data_dir, "SELECT count(*) FROM notifications")[0][0]:  # the shown reply is removed
                await asyncio.sleep(0.05)
            for name in ("assistant.db", "assistant.db-wal", "assistant.db-shm"):
                (data_dir / name).unlink(missing_ok=True)
            api.push_callback(user, "g|apply")  # not written into the deleted file, and said so
            got = await api.wait_for_reply(user, timeout=20)
            assert [c.text for c in got] == [SORRY_NOT_KEPT], bot.text()[-3000:]
            assert await bot.exited(30) == 3
        finally:
            bot.stop()
        alerts = [c.text for c in api.messages(ADMIN_CHAT)]
        assert any("数据库不可用" in t and "删除" in t for t in alerts), alerts
        assert "database became unusable" in bot.text() or "database unusable" in bot.text()


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr to make files read-only for root")
async def test_read_only_database_refuses_to_start_with_an_alert(tmp_path):
    data_dir = tmp_path / "data"
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        bot = Child(data_dir, "bot", api)
        await bot.start()
        bot.stop()
        files = [str(p) for p in data_dir.glob("assistant.db*")]
        if subprocess.run(["chattr", "+i", *files], capture_output=True).returncode != 0:
            pytest.skip("chattr +i not permitted here")
        try:
            mark = api.mark()
            bot.spawn()
            assert await bot.exited(STARTUP) == 3
        finally:
            subprocess.run(["chattr", "-i", *files], check=True)
            bot.stop()
        assert not [c for c in api.calls[mark:] if c.method == "getUpdates"]  # never served
        alerts = [c.text for c in api.messages(ADMIN_CHAT)]
        assert any("数据库不可用" in t and "只读" in t for t in alerts), (alerts, bot.text()[-2000:])


async def test_flaky_telegram_loses_no_answer_and_takes_none_twice(tmp_path):
    """sendMessage failing 20% (429 with retry_after, or 500), answerCallbackQuery 30%, getFile and the
    download 30% each: the whole journey still ends in an application holding exactly the answers given."""
    from tests.scripts import ADULT_MAN

    data_dir, user = tmp_path / "data", 8_500_001
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        bot = Child(data_dir, "bot", api)
        try:
            await bot.start()
            api.flaky(
                "sendMessage",
                0.2,
                ApiError(429, "Too Many Requests: retry after 1", 1),
                ApiError(500, "Internal Server Error"),
                seed=1,
            )
            api.flaky("answerCallbackQuery", 0.3, seed=2)
            api.flaky("getFile", 0.3, seed=3)
            api.flaky("download", 0.3, seed=4)
            stats = Counter()
            await asyncio.wait_for(journey(api, user, stats), 300)
            api.flaky("sendMessage", 0)
            with suppress(TimeoutError):  # a failed reply is retried (obeying retry_after)
                await api._wait(lambda: any("提交成功" in c.text for c in api.messages(user)), 60)
            print(f"flaky API journey: {dict(stats)}")
            got = [c.text for c in api.messages(user)]
            if not any("提交成功" in t for t in got):
                pushed = [(c.method, c.params.get("text") or c.params.get("callback_query_id")) for c in api.calls[-1:]]
                states = query(data_dir, "SELECT state FROM drafts")
                rows = query(data_dir, "SELECT id, status, attempts, body FROM notifications")
                rows = [
                    (i, st, a, unseal(data_dir, "notifications.body", b).get("text", "")[:60]) for i, st, a, b in rows
                ]
                trail = [(c.method, c.text[:50], c.buttons[:3], bool(c.result)) for c in api.calls if c.chat_id == user]
                raise AssertionError(
                    f"no 提交成功: {stats=} {states=} {rows=} {pushed=}\n" + "\n".join(map(str, trail[-30:]))
                )
        finally:
            bot.stop()
    (data,) = query(data_dir, "SELECT data FROM applications")[0]
    data = unseal(data_dir, "applications.data", data)
    answers, materials = data["answers"], data["materials"]
    assert answers["id_number"] == ADULT_MAN and answers["name"] == "张𫖮"
    assert answers["bank_name"] == "中国工商银行石家庄分行" and answers["bank_holder"] == "张𫖮"
    assert answers["hukou_address"]["detail"] == "建设北大街12号" or "建设北大街12号" in json.dumps(
        answers, ensure_ascii=False
    )
    assert {k: len(v["files"]) for k, v in materials.items()} == {"household": 1, "id_front": 1, "id_back": 1}
    assert materials["id_front"]["files"][0]["sha256"] != materials["id_back"]["files"][0]["sha256"]
    assert "Traceback" not in bot.text()


@pytest.fixture
def small_disk(tmp_path):
    """DATA_DIR on its own 64 MB tmpfs (root only), so the test can fill it to real ENOSPC."""
    mount = tmp_path / "data"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small filesystem")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield Disk(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


class Disk:
    def __init__(self, root: Path):
        self.root, self.ballast = root, root / "ballast"
        self.full = False

    def fill(self) -> None:
        """Writes until the filesystem says ENOSPC, big chunks then small ones: no byte is left."""
        with open(self.ballast, "ab", buffering=0) as f:
            for chunk in (1 << 20, 1 << 12, 1 << 9, 1):
                try:
                    while True:
                        f.write(b"\0" * chunk)
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
        self.full = True

    def free(self) -> None:
        self.ballast.unlink()
        self.full = False


async def test_a_full_disk_is_recovered_from_without_a_restart(tmp_path, small_disk):
    """The data directory's filesystem fills up twice (at a typed answer, then at an upload): the applicant
    is told truthfully that the answer was not kept, resends once space is back, and the same process
    finishes the journey with exactly the answers given."""
    from tests.e2e.driver import asks, push, wait_new
    from tests.scripts import ADULT_MAN, FULL

    data_dir, user = small_disk.root, 8_600_001
    phone = next(i for i, (kind, value) in enumerate(FULL) if value == "13812345678")
    upload = next(i for i, (kind, _) in enumerate(FULL) if kind == "upload")
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        bot = Child(data_dir, "bot", api)
        told, trail = Counter(), []
        try:
            await bot.start()
            pid = bot.proc.pid
            for i, (kind, value) in enumerate(FULL):
                if i in (phone, upload):
                    small_disk.fill()
                for _attempt in range(6):
                    seen = len(api.messages(user))
                    push(api, user, kind, value)
                    got = await wait_new(api, user, seen, 60, until=lambda c: asks(c) or "未能保存" in c.text)
                    texts = [c.text for c in got]
                    trail.append((i, small_disk.full, [t[:30] for t in texts]))
                    assert got, f"no answer to step {i} {kind}: {trail[-5:]}\n{bot.text()[-3000:]}"
                    assert bot.proc.poll() is None, bot.text()[-3000:]
                    if any("未能保存" in t for t in texts):
                        assert small_disk.full, trail[-3:]
                        told["not_kept"] += 1
                        small_disk.free()  # space is back: the applicant sends the same again
                        continue
                    break
                else:
                    raise AssertionError(f"step {i} never taken: {trail[-6:]}")
                if small_disk.full and i >= (upload if i >= upload else phone) + 3:
                    raise AssertionError(f"nothing failed on a full disk: {trail[-6:]}")
            assert any("提交成功" in t for t in texts), trail[-3:]
            await api.wait_for_reply(user, lambda c: "已由“一件事一次办”窗口受理" in c.text, timeout=60)
            assert bot.proc.pid == pid and bot.proc.poll() is None  # no restart
        finally:
            if small_disk.full:
                small_disk.free()
            bot.stop()
        print(f"full disk: {told['not_kept']} answers told 未能保存 while full, {len(trail)} inputs, same process")
        assert told["not_kept"] >= 2, trail
        assert not any("Traceback" in c.text for c in api.calls_of("sendMessage"))
    (data,) = query(data_dir, "SELECT data FROM applications")[0]
    data = unseal(data_dir, "applications.data", data)
    answers, materials = data["answers"], data["materials"]
    assert answers["id_number"] == ADULT_MAN and answers["name"] == "张𫖮"
    assert "13812345678" in json.dumps(answers, ensure_ascii=False)
    assert {k: len(v["files"]) for k, v in materials.items()} == {"household": 1, "id_front": 1, "id_back": 1}
    assert query(data_dir, "SELECT count(*) FROM applications WHERE status = 'accepted'")[0][0] == 1
