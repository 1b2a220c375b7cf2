"""Child process for the crash test: drives a whole application, then dies by SIGKILL at the
moment the submission's transaction is about to COMMIT (after the reference savepoint)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import event

from bot.runner import Runner, Who
from dialogs.engine import Engine
from dialogs.model import UserInput
from dialogs.workdays import WorkCalendar
from office.window import on_submitted_hook
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker
from storage.keyring import KeyRing
from storage.writer import GroupWriter
from tests.conftest import NOW
from tests.scripts import FULL, as_input


def _input(kind: str, value) -> UserInput:
    return as_input(kind, value, NOW, account="telegram:7")


async def main(url: str, blob_dir: str, keys: str, mode: str = "turn") -> None:
    ring = KeyRing.load(Path(keys))
    eng = make_engine(url, ring)
    calendar = WorkCalendar.load()
    runner = Runner(
        Engine(),
        make_sessionmaker(eng),
        BlobStore(Path(blob_dir), ring),
        calendar,
        clock=lambda: NOW,
        on_submitted=on_submitted_hook(calendar, auto_accept=True, window_chat_id=None),
        writer=GroupWriter(eng) if mode == "group" else None,  # group commit: the batch's COMMIT
    )
    who = Who("telegram", "7", 7)
    for kind, value in FULL[:-1]:
        await runner.handle(who, _input(kind, value))

    def die(_conn) -> None:  # the top-level COMMIT of the submission, after the savepoint's RELEASE
        os.kill(os.getpid(), signal.SIGKILL)

    event.listen(eng.sync_engine, "commit", die)
    print("submitting", flush=True)
    await runner.handle(who, _input(*FULL[-1]))
    print("survived", flush=True)  # never reached


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
