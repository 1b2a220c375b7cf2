"""Bot processes for the e2e tests: `python -m bot run` in webhook mode and `python -m bot worker`, each a
child process on its own port and log, started against the fake Telegram (tests/e2e/fakebot.py); bot
children forked from the zygote (tests/e2e/zygote.py); waiting for a polling child's first getUpdates."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hook-secret_0123456789"


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until_polling(api: FakeBotAPI, proc: subprocess.Popen, mark: int, startup: float, output=lambda: "") -> None:
    """Wait for a child started after `mark` to poll the fake Telegram; fail at once if it exits."""
    deadline = time.monotonic() + startup
    while time.monotonic() < deadline:
        try:
            await api.wait_call("getUpdates", after=mark, timeout=0.25)
            return
        except TimeoutError:
            if proc.poll() is not None:
                raise RuntimeError(f"exited with {proc.returncode} before polling:\n{output()}") from None
    raise TimeoutError(f"did not poll within {startup}s")


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


class HookProcess:
    """One bot process in webhook mode, listening on its own port."""

    command = "run"

    def __init__(self, api: FakeBotAPI, data_dir: Path, name: str, db_url: str = "", **env):
        self.api, self.data_dir, self.name, self.db_url, self.extra = api, data_dir, name, db_url, env
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = data_dir.parent / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        mark = self.api.mark()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("BOT_TOKEN", "DATABASE_URL", "DATA_DIR") and not k.startswith("DISPATCH__")
        }
        env.update(
            BOT_TOKEN=DEFAULT_TOKEN,
            TELEGRAM_API_BASE=self.api.base_url,
            DATA_DIR=str(self.data_dir),
            DATABASE_URL=self.db_url,
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="INFO",
            WEB_PORT=str(self.port),
        )
        if self.command == "run":
            env.update(WEBHOOK_URL="https://assistant.example.gov.cn/tg/hook", WEBHOOK_SECRET=SECRET)
        env.update(self.extra)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", self.command],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if self.command == "run":
            await self.api.wait_call("setWebhook", after=mark, timeout=60)

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class WorkerProcess(HookProcess):
    """`python -m bot worker` (with /healthz on its port): the department-dispatch worker."""

    command = "worker"

    async def start(self) -> None:
        await super().start()
        import aiohttp

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            for _ in range(300):
                try:
                    async with http.get(self.url + "/healthz") as r:
                        if r.status == 200:
                            return
                except (aiohttp.ClientError, OSError, TimeoutError):
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.name} did not come up: {self.output()[-2000:]}")


async def until(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        await asyncio.sleep(0.2)
    return predicate()
