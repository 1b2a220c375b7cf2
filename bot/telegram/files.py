"""Downloads an applicant's file to the spool on disk, stopping at 20 MB of bytes actually received."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from aiogram import Bot

from dialogs.intake import MAX_UPLOAD_BYTES


class TooLarge(Exception):
    """More bytes arrived than the limit, whatever size Telegram declared."""


class CappedFile(io.FileIO):
    def __init__(self, path: str, limit: int) -> None:
        super().__init__(path, "wb")
        self.limit = limit
        self.received = 0

    def write(self, chunk) -> int:
        self.received += len(chunk)
        if self.received > self.limit:
            raise TooLarge(self.received)
        return super().write(chunk)


async def fetch(bot: Bot, file_id: str, spool: Path, limit: int = MAX_UPLOAD_BYTES) -> str | None:
    """The spooled file's path (mode 0600), or None when the file is over `limit`."""
    spool.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=spool, prefix="upload-")
    os.close(fd)
    try:
        with CappedFile(path, limit) as out:
            await bot.download(file_id, destination=out)
    except TooLarge:
        Path(path).unlink(missing_ok=True)
        return None
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return path
