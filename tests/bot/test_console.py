"""The terminal channel: same replies, numbered buttons, typed labels, `/file PATH` uploads."""

from __future__ import annotations

import io
from pathlib import Path

from bot.console import parse_line, render, run_console
from dialogs.model import Button, Reply
from tests.conftest import NOW
from tests.scripts import ADULT_MAN, jpeg


def test_render_numbers_buttons():
    text, buttons = render(
        [Reply(text="问", buttons=[[Button(label="是", data="s|1"), Button(label="否", data="s|0")]])]
    )
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


class SlowStdin:
    """A terminal that types a line only when the test says so."""

    def __init__(self):
        import queue

        self.lines = queue.Queue()

    def readline(self) -> str:
        return self.lines.get(timeout=10)

    def type(self, line: str) -> None:
        self.lines.put(line)


async def wait_for(out: io.StringIO, text: str, seconds: float = 5) -> bool:
    import asyncio

    for _ in range(int(seconds / 0.02)):
        if text in out.getvalue():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_queued_message_appears_without_waiting_for_the_next_input(runner, clock):
    import asyncio

    from storage.uow import UnitOfWork

    stdin, out = SlowStdin(), io.StringIO()
    task = asyncio.create_task(run_console(runner, user="t", stdin=stdin, stdout=out, clock=clock, poll_interval=0.05))
    assert await wait_for(out, "灵活就业")
    async with UnitOfWork(runner.sessionmaker) as uow:
        applicant = await uow.applicants.get_or_create("console", "t")
        await uow.notifications.to_person(
            applicant,
            {
                "kind": "applicant.accepted",
                "text": "已由窗口受理",
                "buttons": [[{"label": "查看进度", "data": "g|status"}]],
            },
        )
    assert await wait_for(out, "📨 已由窗口受理"), out.getvalue()  # no line typed meanwhile
    stdin.type("/quit\n")
    await asyncio.wait_for(task, 5)


def test_buttons_of_a_queued_message_are_keyed_apart_from_the_steps():
    from bot.console import _Screen

    out = io.StringIO()
    screen = _Screen(out)
    screen.show_step([Reply(text="问", buttons=[[Button(label="是", data="s|1"), Button(label="否", data="s|0")]])])
    screen.show_messages([Reply(text="📨 请评价", buttons=[[Button(label="满意", data="r|4|X")]])])
    text = out.getvalue()
    assert "[1] 是" in text and "[2] 否" in text and "[a1] 满意" in text and "[3]" not in text
    assert parse_line("2", screen.buttons, NOW, "c").payload == "s|0"
    assert parse_line("a1", screen.buttons, NOW, "c").payload == "r|4|X"
    # the next step renumbers its own buttons; the message's key still works
    screen.show_step([Reply(text="下一问", buttons=[[Button(label="好", data="t|1")]])])
    assert parse_line("1", screen.buttons, NOW, "c").payload == "t|1"
    assert parse_line("a1", screen.buttons, NOW, "c").payload == "r|4|X"


async def test_library_log_lines_go_to_the_log_file_not_the_terminal(runner, clock, tmp_path, capsys):
    import logging
    import sys

    root = logging.getLogger()
    terminal = logging.StreamHandler(sys.stderr)  # what bot.logs.setup_logging installs
    root.addHandler(terminal)
    try:
        script = io.StringIO("/file {}\n/quit\n".format(tmp_path / "broken.pdf"))
        (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\n")  # no %%EOF
        out = io.StringIO()

        class Noisy:
            async def handle(self, who, inp):
                logging.getLogger("pypdf._reader").warning("EOF marker not found")
                return await runner.handle(who, inp)

            sessionmaker = runner.sessionmaker

        await run_console(Noisy(), user="t", stdin=script, stdout=out, clock=clock, log_path=tmp_path / "console.log")
    finally:
        root.removeHandler(terminal)
    captured = capsys.readouterr()
    assert "EOF marker" not in out.getvalue() + captured.out + captured.err
    assert "EOF marker not found" in (tmp_path / "console.log").read_text("utf-8")
