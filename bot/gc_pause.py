"""The cyclic garbage collector held off over a start-up, which allocates only what lives on.

Importing aiogram, SQLAlchemy and the bot's modules and building the first Telegram types allocates
~200,000 objects that stay for the life of the process. The collector, left on, runs over them again
and again while they accumulate (three full collections and ~40 of the middle generation in a
`python -m bot run` start-up, ~0.3 s of CPU before the first reply) and finds almost no garbage
(~2,000 objects if held off throughout). So importing `bot` runs aiogram's import with the collector off and freezes
what it left (`paused_then_frozen`; `gc.freeze`: never scanned again, which also keeps every later
full collection smaller), `python -m bot` pauses the collector from there on, and `settle()` ends
the pause once the start-up is over (for `run`: the updates waiting at start-up answered, at most
bot.faq_loading.AT_LATEST seconds): one collection, everything alive frozen, the collector as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_paused = False


def pause() -> None:
    """Hold the collector off until `settle()` (`python -m bot` does, first thing)."""
    global _paused
    _paused = gc.isenabled()
    gc.disable()


def settle() -> int:
    """End the pause, if `pause()` began one: collect once, freeze the survivors, collect
    automatically again. Returns the unreachable objects found (the start-up's garbage)."""
    global _paused
    if not _paused:
        return 0
    _paused = False
    found = gc.collect()
    gc.freeze()
    gc.enable()
    return found


@contextmanager
def paused_then_frozen() -> Iterator[None]:
    """Run the block with the collector off, then freeze everything alive (what the block allocated
    is never scanned; garbage cycles it left, if any, are kept) and restore the collector's state.
    Freezing matters: re-enabled with the block's objects all young, the collector would at once
    scan them all (~0.15 s after aiogram's import, measured)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
