"""What `python -m bot run` leaves until its start-up is over: the collector's pause ends
(bot.gc_pause) once the updates waiting at start-up are answered, then the FAQ index is built and the
working-day calendar loaded (bot.serve.after_start_up); importing the CLI module pauses nothing."""

from __future__ import annotations

import asyncio
import gc

from bot import gc_pause
from bot.faq_loading import FaqLoader
from bot.serve import after_start_up
from dialogs.faq import FaqIndex, load_bank
from dialogs.workdays import WorkCalendar


async def test_the_pause_ends_once_the_start_up_is_answered_then_the_index_and_calendar_load():
    faq, calendar = FaqLoader(FaqIndex(load_bank())), WorkCalendar()
    assert calendar._loaded is None  # the package is imported when a calendar is first consulted
    busy = True
    gc_pause.pause()
    try:
        after = asyncio.create_task(after_start_up(lambda: busy, faq, calendar))
        await asyncio.sleep(0.2)
        assert not gc.isenabled() and not faq.ready  # still answering the start-up's updates
        busy = False
        await asyncio.wait_for(after, timeout=60)
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what the start-up left is never scanned again
        assert faq.ready
        assert calendar._loaded is not None  # loaded ahead of its first use
    finally:
        gc.unfreeze()
        gc.enable()


def test_importing_the_command_line_module_leaves_the_collector_on():
    import bot.__main__  # noqa: F401 - as the tests that use its parser or main() do

    assert gc.isenabled()
    assert gc_pause.settle() == 0  # no pause begun: nothing to end, nothing frozen
