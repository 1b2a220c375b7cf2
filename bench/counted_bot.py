"""`python -m bot run` with its SQL counted (bench_e2e.py --count): every statement by its first words
and table, and every COMMIT. SIGUSR1 zeroes the counts, SIGUSR2 writes them as JSON to $COUNT_OUT.
Run with the checkout to count as the working directory (its `bot` package is the one run)."""

from __future__ import annotations

import collections
import json
import os
import re
import runpy
import signal
import sys

sys.path.insert(0, os.getcwd())

from sqlalchemy import event
from sqlalchemy.engine import Engine

import bot.lazy_types  # noqa: F401 - before aiogram, as `python -m bot` does

counts: collections.Counter[str] = collections.Counter()
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", re.IGNORECASE)


@event.listens_for(Engine, "before_cursor_execute")
def _statement(_conn, _cursor, statement, *_args) -> None:
    words = statement.split()
    table = _TABLE.search(statement)
    counts[" ".join(words[:1]).upper() + (" " + table.group(1).lower() if table else "")] += 1


@event.listens_for(Engine, "commit")
def _commit(_conn) -> None:
    counts["COMMIT"] += 1


def _dump(*_args) -> None:
    with open(os.environ["COUNT_OUT"], "w") as f:
        json.dump(dict(counts), f)


signal.signal(signal.SIGUSR1, lambda *_a: counts.clear())
signal.signal(signal.SIGUSR2, _dump)
sys.argv = ["bot", "run"]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
