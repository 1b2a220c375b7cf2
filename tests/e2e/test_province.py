"""Province scale, in processes: two `python -m bot run` in webhook mode behind the fake Telegram, which
spreads the updates over both (some re-delivered to the other, each batch in a random order), two
`python -m bot worker`, one PostgreSQL, one Redis, and many applicants at once.

At the end: every answer an applicant gave was taken (all short journeys stand at the same question,
every full one was told 提交成功), one application per submission, every department delivery made (the
department saw each delivery key, a repeat only with the same key); the worker killed while its
delivery was in the department's hands was covered by the other after the lease; the bot process sent
SIGTERM mid-load left no accepted update unanswered (what it had not finished was in the inbox, and all
was answered once it was back).

Most applicants walk a short journey (the first steps of the eligibility check, PROVINCE_STEPS) and a few
(PROVINCE_FULL) the whole one with uploads and submission: 200 whole journeys take minutes on the CI
machine's two cores, and the short ones load the webhook, the inbox and the chat ordering the same way."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
import uuid
from collections import Counter
from contextlib import suppress

import pytest
from aiohttp import web

from dialogs.status import DEPARTMENTS
from tests.conftest import PG_URL, REDIS_URL, _pg_fresh_url
from tests.e2e.driver import Database, journey, push, wait_new
from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI
from tests.e2e.hooks import HookProcess, WorkerProcess, free_port, until
from tests.scripts import ELIGIBILITY

APPLICANTS = int(os.environ.get("PROVINCE_APPLICANTS", "200"))
FULL_JOURNEYS = int(os.environ.get("PROVINCE_FULL", "4"))
STEPS = int(os.environ.get("PROVINCE_STEPS", "4"))
STEP_WAIT = 15.0  # a loaded machine: no answer within this and the applicant sends the same again
LEASE = 3.0
DEPT_SECRET = secrets.token_urlsafe(32)
REF = re.compile(r"受理编号：(\S+)")
BOT_ID = int(DEFAULT_TOKEN.split(":")[0])
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]


class Department:
    """The departments' webhook: records each delivery key; the first request is held (not answered)
    until the test has killed the worker that sent it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.keys: Counter[str] = Counter()
        self.held = asyncio.Event()  # the first request is in
        self.held_peer: int | None = None  # its client port: which worker sent it
        self.held_key: str | None = None
        self._first = True

    async def receive(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        await request.read()
        if self._first:
            self._first = False
            self.held_peer = request.transport.get_extra_info("peername")[1]
            self.held_key = key
            self.held.set()
            await asyncio.sleep(3600)  # the worker dies meanwhile
        self.keys[key] += 1
        return web.json_response({"receipt": f"r-{key}"})

    async def __aenter__(self) -> Department:
        app = web.Application()
        app.router.add_post("/in", self.receive)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()


def sender_of(workers: list[WorkerProcess], port: int) -> WorkerProcess:
    import psutil

    for w in workers:
        conns = psutil.Process(w.proc.pid).net_connections(kind="tcp")
        if any(c.laddr and c.laddr.port == port for c in conns):
            return w
    raise AssertionError(f"no worker holds the connection from port {port}")


async def short_walk(api: FakeBotAPI, uid: int, stats: Counter) -> None:
    for kind, value in ELIGIBILITY[:STEPS]:
        for _ in range(4):
            seen = len(api.messages(uid))
            push(api, uid, kind, value)
            if await wait_new(api, uid, seen, STEP_WAIT):
                break
            stats["resent"] += 1


@pytest.mark.skipif(not PG_URL, reason="the province test needs TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.skipif(not REDIS_URL, reason="the province test needs TEST_REDIS_URL (Redis)")
async def test_two_bots_two_workers_many_applicants(tmp_path):
    url = _pg_fresh_url(PG_URL)
    db = Database(tmp_path / "data", url)
    data_dir = tmp_path / "data"  # shared by all processes: one key file, one blob store
    started = time.monotonic()
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api, Department() as dept:
        env = {
            "EMBEDDED_WORKER": "false",
            "AUTO_ACCEPT": "true",
            "FLOOD_PER_MINUTE": "100000",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": f"province-{uuid.uuid4().hex[:8]}",
            "DISPATCH__LEASE": str(LEASE),
            "DISPATCH__POLL_INTERVAL": "0.3",
            "INTAKE_WORKERS": "1",
        }
        for d in DEPARTMENTS:
            env[f"DISPATCH__DEPARTMENTS__{d.upper()}__KIND"] = "webhook"
            env[f"DISPATCH__DEPARTMENTS__{d.upper()}__URL"] = f"http://127.0.0.1:{dept.port}/in"
            env[f"DISPATCH__DEPARTMENTS__{d.upper()}__SECRET"] = DEPT_SECRET
        bots = [HookProcess(api, data_dir, f"bot-{i}", url, **env) for i in range(2)]
        workers = [WorkerProcess(api, data_dir, f"worker-{i}", url, **env) for i in range(2)]
        stats: Counter = Counter()
        try:
            for p in bots + workers:  # one after the other: the first creates the key file
                await p.start()
            api.spread_over([b.url + "/tg/hook" for b in bots], duplicates=0.1, shuffle=True)
            full_uids = [8_000_000 + k for k in range(FULL_JOURNEYS)]
            short_uids = [8_100_000 + k for k in range(APPLICANTS - FULL_JOURNEYS)]
            load = asyncio.gather(
                *(journey(api, uid, stats) for uid in full_uids), *(short_walk(api, uid, stats) for uid in short_uids)
            )
            driving = asyncio.ensure_future(load)

            # A bot process gets SIGTERM mid-load; it is started again once it has gone.
            await until(lambda: len(api.webhook_answers) >= 4 * APPLICANTS // 3, 60)
            bots[1].terminate()
            code = await asyncio.get_running_loop().run_in_executor(None, bots[1].proc.wait, 30)
            assert code == 0, bots[1].output()[-3000:]
            mine = {u for u, target, s in api.webhook_answers if s == 200 and target.startswith(bots[1].url)}
            done = {u for (u,) in await db.query(f"SELECT update_id FROM handled_updates WHERE bot_id = {BOT_ID}")}
            left = {u for (u,) in await db.query("SELECT update_id FROM inbox_updates")}
            assert mine - done <= left, "an update it had accepted was neither handled nor kept"
            await bots[1].start()

            # A worker dies while the department holds its delivery; the other takes it after the lease.
            await asyncio.wait_for(dept.held.wait(), 300)  # bounds for a loaded machine, not targets
            victim = sender_of(workers, dept.held_peer)
            victim.kill()
            killed = time.monotonic()

            await asyncio.wait_for(driving, 300)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # the deliveries and the notifications drain
                open_rows = await db.query("SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')")
                undelivered = await db.query("SELECT count(*) FROM deliveries WHERE status <> 'delivered'")
                waiting = await db.query("SELECT count(*) FROM inbox_updates")
                if open_rows[0][0] == 0 and undelivered[0][0] == 0 and waiting[0][0] == 0:
                    break
                await asyncio.sleep(0.5)
        finally:
            for p in bots + workers:
                if p.proc is not None and p.proc.poll() is None:
                    p.terminate()
            for p in bots + workers:
                if p.proc is not None:
                    with suppress(Exception):
                        await asyncio.get_running_loop().run_in_executor(None, p.proc.wait, 20)
                    p.kill()
        elapsed = time.monotonic() - started

        handled = {u for (u,) in await db.query(f"SELECT update_id FROM handled_updates WHERE bot_id = {BOT_ID}")}
        told = {}
        for uid in full_uids:
            for call in api.messages(uid):
                if "提交成功" in call.text:
                    told[uid] = REF.search(call.text).group(1)
        last = Counter(api.messages(uid)[-1].text for uid in short_uids if api.messages(uid))
        apps = await db.query("SELECT ref FROM applications")
        twice = await db.query("SELECT submission_key FROM applications GROUP BY submission_key HAVING count(*) > 1")
        deliveries = await db.query("SELECT status, count(*) FROM deliveries GROUP BY status")
        redelivered = sum(n - 1 for n in Counter(u for u, _, s in api.webhook_answers if s == 200).values())
        print(
            f"province e2e: {APPLICANTS} applicants ({len(short_uids)} short journeys of {STEPS} steps, "
            f"{len(full_uids)} whole ones) over 2 bot processes and 2 workers in {elapsed:.0f} s; "
            f"{len(handled)} updates handled, {redelivered} re-deliveries answered 200, {stats['resent']} resent; "
            f"SIGTERM: {len(mine)} accepted by the stopped process, {len(mine - done)} left in the inbox; "
            f"a worker killed mid-delivery {killed - started:.0f} s in; "
            f"department saw {len(dept.keys)} keys, {sum(dept.keys.values())} requests; deliveries {deliveries}"
        )
        assert len(last) == 1, f"short journeys ended at different places: {last.most_common(3)}"
        assert sum(last.values()) == len(short_uids)
        unfinished = {uid: [c.text[:50] for c in api.messages(uid)[-4:]] for uid in full_uids if uid not in told}
        assert len(told) == len(full_uids) == len(apps) and not twice, unfinished
        assert deliveries == [("delivered", 3 * len(apps))]
        assert len(dept.keys) == 3 * len(apps)
        assert not await db.query("SELECT update_id FROM inbox_updates")
        assert mine <= handled, "an update the stopped process had accepted was never handled"
        assert victim.proc.returncode == -9 and dept.keys[dept.held_key] >= 1  # the other worker sent it
        assert not any("Server disconnected" in p.output() for p in bots)
