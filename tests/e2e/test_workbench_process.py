"""`python -m bot web` and `python -m bot run` with WEB_PORT serve the workbench and the callbacks."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 45


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BOT_TOKEN", "TELEGRAM_API_BASE", "DATA_DIR", "DATABASE_URL", "WEB_PORT", "WEB_HOST")
    }
    env.update(DATA_DIR=str(data_dir), DATABASE_URL="", PYTHONUNBUFFERED="1", **extra)
    return env


async def wait_for_desk(port: int, proc: subprocess.Popen, log: Path) -> str:
    async with aiohttp.ClientSession() as http:
        for _ in range(STARTUP * 4):
            try:
                async with http.get(f"http://127.0.0.1:{port}/desk/") as resp:
                    return await resp.text()
            except aiohttp.ClientConnectionError:
                if proc.poll() is not None:
                    raise RuntimeError(log.read_text(errors="replace")) from None
                await asyncio.sleep(0.25)
    raise TimeoutError(log.read_text(errors="replace"))


async def unsigned_callback(port: int) -> int:
    async with aiohttp.ClientSession() as http, http.post(f"http://127.0.0.1:{port}/callback", data=b"{}") as resp:
        return resp.status


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=10)


async def test_bot_web_serves_the_workbench_and_the_callbacks(tmp_path):
    port = free_port()
    log = tmp_path / "web.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "web"],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            env=env_for(tmp_path / "data", WEB_PORT=str(port)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        page = await wait_for_desk(port, proc, log)
        assert "工作人员登录" in page
        assert await unsigned_callback(port) == 401
    finally:
        assert stop(proc) == 0, log.read_text(errors="replace")
    assert "工作台已启动" in log.read_text()


async def test_bot_run_serves_the_workbench_when_web_port_is_set(tmp_path):
    port = free_port()
    log = tmp_path / "run.log"
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                env=env_for(
                    tmp_path / "data", WEB_PORT=str(port), BOT_TOKEN=DEFAULT_TOKEN, TELEGRAM_API_BASE=api.base_url
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            assert "工作人员登录" in await wait_for_desk(port, proc, log)
        finally:
            stop(proc)
