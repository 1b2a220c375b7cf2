"""The same conversation in a terminal: buttons become numbered options, `/file PATH` uploads."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import IO

from bot.runner import Runner, Who
from dialogs.clock import utcnow
from dialogs.intake import MAX_UPLOAD_BYTES
from dialogs.model import Button, Reply, Upload, UserInput

log = logging.getLogger(__name__)


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    lines: list[str] = []
    numbered: list[Button] = []
    for reply in replies:
        lines.append(reply.text)
        for row in reply.buttons:
            for b in row:
                numbered.append(b)
                lines.append(f"  [{len(numbered)}] {b.label}")
        if reply.request_contact:
            lines.append("  （终端中请直接输入手机号码）")
    return "\n".join(lines), numbered


def plain(label: str) -> str:
    """A button's words without its emoji or arrows, so typing 开始办理 presses 📝 开始办理."""
    return "".join(ch for ch in label if ch.isalnum() or "\u3000" <= ch <= "\u9fff" or ch in "（）()：:").strip()


def parse_line(line: str, buttons: list[Button], now: datetime, account: str) -> UserInput | str:
    """Turn a typed line into input; a string result is an error to print."""
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
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return UserInput(kind="choose", payload=buttons[int(text) - 1].data, **base)
    for b in buttons:
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


async def run_console(runner: Runner, user: str = "local", stdin: IO[str] | None = None,
                      stdout: IO[str] | None = None, clock=utcnow) -> None:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    who = Who(channel="console", external_id=user)
    account = f"console:{user}"
    buttons: list[Button] = []

    async def send(inp: UserInput) -> None:
        nonlocal buttons
        try:
            replies = await runner.handle(who, inp)
            replies += await inbox(runner.sessionmaker, user)
        except Exception:  # noqa: BLE001 - the user gets a sentence, the log gets the masked details
            log.exception("console input failed")
            print("系统繁忙，请稍后再试。您已填写的内容不会丢失。", file=stdout, flush=True)
            return
        text, new_buttons = render(replies)
        if new_buttons or text:
            buttons = new_buttons
        print(text, file=stdout, flush=True)

    await send(UserInput(kind="command", command="start", now=clock(), account=account))
    loop = asyncio.get_running_loop()
    while True:
        print("> ", end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        if not line.strip():
            continue
        if line.strip() in ("/quit", "/exit"):
            break
        inp = parse_line(line, buttons, clock(), account)
        if isinstance(inp, str):
            print(inp, file=stdout, flush=True)
            continue
        await send(inp)
