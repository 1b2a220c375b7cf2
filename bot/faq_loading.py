"""The FAQ index built in a thread, off the path of the first replies (`python -m bot run`).

Building it (jieba's trimmed dictionary, BM25, the n-gram index) costs ~1 s of CPU, which a start-up
would otherwise spend before its first reply, and a thread sharing the GIL with the event loop
slows whatever the loop does meanwhile. So `run` starts the build once the updates waiting at
start-up are answered (or after `AT_LATEST` seconds), and a text, which may be a question, starts
it at once and waits for it: the index answers only when whole.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from dialogs.faq import FaqIndex

log = logging.getLogger(__name__)
AT_LATEST = 3.0  # seconds after start-up the build begins even if the bot is busy all along


class FaqLoader:
    def __init__(self, faq: FaqIndex) -> None:
        self.faq = faq
        self._task: asyncio.Task | None = None

    def start(self) -> asyncio.Task:
        """Begin the build (once); the task never raises."""
        if self._task is None:
            self._task = asyncio.create_task(self._build(), name="faq-index")
        return self._task

    async def _build(self) -> None:
        try:
            await asyncio.to_thread(self.faq.warm_up)
        except Exception:  # the first question builds it again, and fails in its own turn
            log.exception("FAQ index could not be built in the background")

    @property
    def ready(self) -> bool:
        return self._task is not None and self._task.done()

    async def wait(self) -> None:
        """Start the build if it has not begun, and wait for it."""
        task = self.start()
        if not task.done():
            await asyncio.wait([task])

    async def start_when_idle(self, busy: Callable[[], bool], at_latest: float = AT_LATEST) -> None:
        """Start the build once `busy()` turns false (the start-up's waiting updates answered), or
        after `at_latest` seconds; sooner if a text asks for it (`wait`)."""
        await until_idle(busy, at_latest, started=lambda: self._task is not None)
        await self.wait()


async def until_idle(
    busy: Callable[[], bool], at_latest: float = AT_LATEST, started: Callable[[], bool] = lambda: False
) -> None:
    """Return once `busy()` turns false, `at_latest` seconds have passed, or `started()` is true."""
    loop = asyncio.get_running_loop()
    until = loop.time() + at_latest
    while not started() and busy() and loop.time() < until:
        await asyncio.sleep(0.05)
