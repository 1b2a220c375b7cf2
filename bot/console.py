"""The same conversation in a terminal: buttons become numbered options, `/file PATH` uploads."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import IO

from bot.runner import Runner, Who
from dialogs.clock import utcnow
from dialogs.intake import MAX_UPLOAD_BYTES
from dialogs.model import Button, Reply, Upload, UserInput

log = logging.getLogger(__name__)


def render(replies: list[Reply], prefix: str = "") -> tuple[str, dict[str, Button]]:
    """Text and numbered buttons; `prefix` keys another message's buttons (a1, a2…) apart."""
    lines: list[str] = []
    numbered: dict[str, Button] = {}
    for reply in replies:
        lines.append(reply.text)
        for row in reply.buttons:
            for b in row:
                key = f"{prefix}{len(numbered) + 1}"
                numbered[key] = b
                lines.append(f"  [{key}] {b.label}")
        if reply.request_contact:
            lines.append("  （终端中请直接输入手机号码）")
    return "\n".join(lines), numbered


def plain(label: str) -> str:
    """A button's words without its emoji or arrows, so typing 开始办理 presses 📝 开始办理."""
    return "".join(ch for ch in label if ch.isalnum() or "\u3000" <= ch <= "\u9fff" or ch in "（）()：:").strip()


def parse_line(line: str, buttons: Mapping[str, Button] | list[Button], now: datetime, account: str) -> UserInput | str:
    """Turn a typed line into input; a string result is an error to print."""
    if isinstance(buttons, list):
        buttons = {str(i): b for i, b in enumerate(buttons, 1)}
    text = line.strip()
    base = {"now": now, "account": account}
    if text.startswith("/file"):
        path = Path(text[5:].strip()).expanduser()
        if not path.is_file():
            return f"找不到文件：{path}"
        size = path.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            return UserInput(kind="upload", files=[Upload(filename=path.name, size=size)], **base)
        fd, spooled = tempfile.mkstemp(prefix="console-upload-")
        os.close(fd)
        shutil.copyfile(path, spooled)  # the intake deletes what it checked; the user's file stays
        return UserInput(kind="upload", files=[Upload(path=str(spooled), filename=path.name, size=size)], **base)
    if text.startswith("/"):
        name = text[1:].split()[0].split("@")[0] if len(text) > 1 else ""
        return UserInput(kind="command", command=name, **base)
    if text.lower() in buttons:
        return UserInput(kind="choose", payload=buttons[text.lower()].data, **base)
    for b in buttons.values():
        if text and plain(text) == plain(b.label):
            return UserInput(kind="choose", payload=b.data, **base)
    return UserInput(kind="text", text=line.rstrip("\n"), **base)


async def inbox(sessionmaker, user: str) -> list[Reply]:
    """Messages queued for this terminal user (decisions, help-desk replies), marked as shown."""
    from bot.notifier import mark_sent, pending

    replies = []
    for row in await pending(sessionmaker, "console", user, limit=50):
        body = row.body or {}
        buttons = [[Button(label=b["label"], data=b["data"]) for b in r] for r in body.get("buttons") or []]
        replies.append(Reply(text="📨 " + body.get("text", ""), buttons=buttons))
        await mark_sent(sessionmaker, row)
    return replies


@contextmanager
def logs_to_file(path: Path | None):
    """While the terminal is the conversation, log records (ours and libraries', such as pypdf's
    "EOF marker not found") go to a file instead of the terminal."""
    root = logging.getLogger()
    terminal = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler)
        and not isinstance(h, logging.FileHandler)
        and (
            getattr(h, "stream", None) in (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)
            or getattr(getattr(h, "stream", None), "closed", False)
        )
    ]  # a closed one reports to stderr
    added = None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        added = logging.FileHandler(path, encoding="utf-8")
        for h in terminal[:1]:
            added.setFormatter(h.formatter)
            for f in h.filters:
                added.addFilter(f)
        root.addHandler(added)
    for h in terminal:
        root.removeHandler(h)
    with warnings.catch_warnings():
        logging.captureWarnings(True)
        try:
            yield
        finally:
            logging.captureWarnings(False)
            if added is not None:
                root.removeHandler(added)
                added.close()
            for h in terminal:
                root.addHandler(h)


class _Screen:
    """What the terminal shows: the step's buttons numbered 1…, each queued message's a1…, b1…"""

    def __init__(self, stdout: IO[str]):
        self.stdout = stdout
        self.step: dict[str, Button] = {}
        self.messages: dict[str, Button] = {}
        self.letters = iter("abcdefghijklmnopqrstuvwxyz")
        self.lock = asyncio.Lock()

    @property
    def buttons(self) -> dict[str, Button]:
        return {**self.messages, **self.step}

    def show_step(self, replies: list[Reply]) -> None:
        text, numbered = render(replies)
        if numbered or text:
            self.step = numbered
        self.print(text)

    def show_messages(self, replies: list[Reply]) -> None:
        for reply in replies:
            prefix = next(self.letters, "z") if reply.buttons else ""
            text, numbered = render([reply], prefix)
            self.messages.update(numbered)
            self.print(text)

    def print(self, text: str) -> None:
        if text:
            print(text, file=self.stdout, flush=True)


async def run_console(
    runner: Runner,
    user: str = "local",
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    clock=utcnow,
    poll_interval: float = 1.0,
    log_path: Path | None = None,
) -> None:
    """`poll_interval`: how often queued messages (acceptance, decisions, replies) are looked for
    while the terminal waits for a line."""
    stdin = stdin or sys.stdin
    screen = _Screen(stdout or sys.stdout)
    who = Who(channel="console", external_id=user)
    account = f"console:{user}"

    async def send(inp: UserInput) -> None:
        async with screen.lock:
            try:
                replies = await runner.handle(who, inp)
                queued = await inbox(runner.sessionmaker, user)
            except Exception:
                log.exception("console input failed")
                screen.print("系统繁忙，请稍后再试。您已填写的内容不会丢失。")
                return
            screen.show_step(replies)
            screen.show_messages(queued)

    async def watch() -> None:
        while True:
            await asyncio.sleep(poll_interval)
            async with screen.lock:
                try:
                    queued = await inbox(runner.sessionmaker, user)
                except Exception:
                    log.exception("console inbox failed")
                    continue
                if queued:
                    screen.show_messages(queued)
                    screen.stdout.write("> ")
                    screen.stdout.flush()

    with logs_to_file(log_path):
        await send(UserInput(kind="command", command="start", now=clock(), account=account))
        watcher = asyncio.create_task(watch())
        loop = asyncio.get_running_loop()
        try:
            while True:
                screen.stdout.write("> ")
                screen.stdout.flush()
                line = await loop.run_in_executor(None, stdin.readline)
                if not line:
                    break
                if not line.strip():
                    continue
                if line.strip() in ("/quit", "/exit"):
                    break
                inp = parse_line(line, screen.buttons, clock(), account)
                if isinstance(inp, str):
                    screen.print(inp)
                    continue
                await send(inp)
        finally:
            watcher.cancel()
            with suppress(asyncio.CancelledError):
                await watcher
