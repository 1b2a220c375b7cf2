"""Fetches an uploaded file from Telegram (getFile, then the download to the spool), retried with backoff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from bot.telegram import files
from storage.health import disk_full

log = logging.getLogger(__name__)
DELAYS = (0.5, 1.0, 2.0, 4.0)  # then the applicant is asked to send the file again


class DownloadFailed(Exception):
    """Telegram did not give the file after every retry."""


class NoSpace(DownloadFailed):
    """The file came, but the disk is full: not Telegram's fault, and retrying now does not help."""


async def fetch(
    bot: Bot,
    file_id: str,
    spool: Path,
    *,
    delays: tuple[float, ...] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> str | None:
    """bot.telegram.files.fetch (the spooled path, None when over the limit), retried with backoff."""
    delays = DELAYS if delays is None else delays
    sleep = sleep or asyncio.sleep
    for attempt in range(len(delays) + 1):
        try:
            return await files.fetch(bot, file_id, spool)
        except TelegramRetryAfter as e:
            wait = float(e.retry_after)
        except (TimeoutError, TelegramNetworkError, TelegramServerError, aiohttp.ClientError, OSError) as e:
            if isinstance(e, OSError) and disk_full(e):
                log.warning("upload not spooled: the disk is full")
                raise NoSpace(file_id) from e
            wait = delays[attempt] if attempt < len(delays) else 0.0
            log.info("download failed (%s), attempt %d", type(e).__name__, attempt + 1)
        except TelegramBadRequest as e:  # an expired or unknown file_id does not come back
            log.warning("download refused: %s", type(e).__name__)
            raise DownloadFailed(file_id) from e
        if attempt == len(delays):
            break
        await sleep(wait)
    raise DownloadFailed(file_id)
