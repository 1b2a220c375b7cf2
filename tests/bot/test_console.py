"""The terminal channel: same replies, numbered buttons, typed labels, `/file PATH` uploads."""

from __future__ import annotations

import io
from pathlib import Path

from bot.console import parse_line, render, run_console
from dialogs.model import Button, Reply
from tests.conftest import NOW
from tests.scripts import ADULT_MAN, jpeg


def test_render_numbers_buttons():
    text, buttons = render([Reply(text="问", buttons=[[Button(label="是", data="s|1"),
                                                        Button(label="否", data="s|0")]])])
    assert "[1] 是" in text and "[2] 否" in text and len(buttons) == 2


def test_number_and_label_press_buttons(tmp_path):
    buttons = [Button(label="是", data="s|1"), Button(label="否", data="s|0")]
    assert parse_line("2", buttons, NOW, "c").payload == "s|0"
    assert parse_line("是", buttons, NOW, "c").payload == "s|1"
    assert parse_line("3", buttons, NOW, "c").kind == "text"
    assert parse_line("/status", buttons, NOW, "c").command == "status"
    path = tmp_path / "a.jpg"
    path.write_bytes(jpeg())
    up = parse_line(f"/file {path}", buttons, NOW, "c")
    assert up.kind == "upload" and Path(up.files[0].path).read_bytes() == path.read_bytes()  # spooled copy
    assert "找不到文件" in parse_line("/file /nonexistent.pdf", buttons, NOW, "c")


async def test_console_script_reaches_eligibility(runner, clock):
    script = "\n".join(["2", "1", "1", "1", ADULT_MAN, "是", "1", "/status", ""]) + "\n"
    out = io.StringIO()
    await run_console(runner, user="t", stdin=io.StringIO(script), stdout=out, clock=clock)
    text = out.getvalue()
    assert "资格核验通过" in text
    assert "尚未提交" in text
