"""Long polling with the offset confirmed only after the fetched updates are stored in the inbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot.telegram.inbox import InboxProcessor

log = logging.getLogger(__name__)
TIMEOUT = 25  # seconds Telegram holds a getUpdates open


Unstored = Callable[[list[Update]], Awaitable[bool]]


async def poll(
    bot: Bot,
    inbox: InboxProcessor,
    stop: asyncio.Event,
    allowed_updates: list[str],
    timeout: int = TIMEOUT,
    unstored: Unstored | None = None,
) -> None:
    """getUpdates(offset) confirms every update below offset: the next call's offset is past a batch
    only once the batch is in the inbox, so a kill at any moment loses nothing fetched.

    A batch that cannot be stored is offered to `unstored` (bot.serve: is the database unusable?). True:
    it dealt with the batch (told each sender it was not kept) and the batch is confirmed, so it does
    not come back contrary to what they were told; False: a passing failure, the store is retried."""
    offset: int | None = None
    backoff = 0.5
    while not stop.is_set():
        call = asyncio.ensure_future(
            bot(
                GetUpdates(offset=offset, timeout=timeout, allowed_updates=allowed_updates),
                request_timeout=timeout + 10,
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait([call, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not call.done():  # stopping: whatever this call returns is not confirmed and comes again
            call.cancel()
            await asyncio.gather(call, return_exceptions=True)
            break
        try:
            updates = call.result()
        except Exception as e:  # noqa: BLE001 - Telegram or the network failing: wait and ask again
            log.warning("getUpdates failed (%s); retrying in %.1fs", type(e).__name__, backoff)
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, 5.0)
            continue
        backoff = 0.5
        if not updates:
            continue
        raw = [u.model_dump(mode="json", by_alias=True, exclude_none=True) for u in updates]
        while True:
            try:
                await inbox.store(raw, updates)
                break
            except Exception:
                log.exception("could not store %d fetched updates", len(raw))
                if unstored is not None and await unstored(updates):
                    if stop.is_set():  # no next getUpdates call: confirm them now
                        await _confirm(bot, updates[-1].update_id + 1)
                        return
                    break
                if stop.is_set():
                    return
                await _sleep(stop, 1.0)
        offset = updates[-1].update_id + 1


async def _confirm(bot: Bot, offset: int) -> None:
    """Tell Telegram every update below `offset` arrived (what this call returns is not confirmed)."""
    try:
        await bot(GetUpdates(offset=offset, timeout=0, limit=1), request_timeout=10)
    except Exception as e:  # noqa: BLE001 - unconfirmed, the batch comes again after the restart
        log.warning("could not confirm the updates that were not kept (%s)", type(e).__name__)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
