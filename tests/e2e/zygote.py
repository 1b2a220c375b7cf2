"""Starts `python -m bot run` children fast, for kill -9 loops: imports once, then forks per start.

Reads commands on stdin: `start <log path>` forks a child that runs exactly `bot.__main__.main(["run"])`
with this process's environment and answers its pid; `kill <pid>` kills one with SIGKILL and reaps it;
`reap` collects children that exited. Everything the bot does at start (settings, migrations, database,
polling) still happens in each child; only the interpreter start and the imports (~3-5 s, aiogram's
types alone ~3 s) are paid once.
"""

from __future__ import annotations

import os
import signal
import sys

import aiogram.types  # noqa: F401 - the expensive imports, done once before forking

import bot.__main__ as entry
import bot.compose
import bot.health
import bot.metrics
import bot.notifier
import bot.serve
import bot.telegram.app
import bot.telegram.helpdesk
import bot.telegram.inbox
import bot.telegram.polling
import bot.telegram.staff
import bot.telegram.webhook  # noqa: F401
import dispatch.packet  # noqa: F401


def child(log_path: str) -> None:
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    code = 1
    try:
        code = entry.main(["run"]) or 0
    finally:
        sys.stdout.flush()
        os._exit(code)


def main() -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "start":
            pid = os.fork()
            if pid == 0:
                child(arg)
            print(pid, flush=True)
        elif cmd == "kill":  # SIGKILL and reap it, so that no zombie keeps its pid
            pid = int(arg)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            print("killed", flush=True)
        elif cmd == "reap":
            codes = []
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                codes.append(f"{pid}:{os.waitstatus_to_exitcode(status)}")
            print(" ".join(codes) or "-", flush=True)


if __name__ == "__main__":
    main()
