"""The cyclic garbage collector held off over a start-up, which allocates only what lives on.

Importing aiogram, SQLAlchemy and the bot's modules and building the first Telegram types allocates
~200,000 objects that stay for the life of the process. The collector, left on, runs over them again
and again while they accumulate (three full collections and ~40 of the middle generation in a
`python -m bot run` start-up, ~0.3 s of CPU before the first reply) and finds almost no garbage
(dozens of objects). So `python -m bot` pauses it from the start and `settle()` ends the pause once
the start-up is over (for `run`: the updates waiting at start-up answered): one collection, then
everything alive is frozen (`gc.freeze`: never scanned again, which also keeps later full
collections small) and the collector runs as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def pause() -> None:
    gc.disable()


def settle() -> int:
    """End the pause: collect once, freeze the survivors, collect automatically again. Returns the
    unreachable objects found (the start-up's garbage)."""
    found = gc.collect()
    gc.freeze()
    gc.enable()
    return found


@contextmanager
def paused_then_frozen() -> Iterator[None]:
    """Run the block with the collector off and freeze what it allocated (its garbage cycles, if
    any, are kept); the collector's state is then as before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
