"""Is the database still the one we opened, and does it take writes? Checked at start and periodically."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from dialogs.clock import utcnow
from storage.models import Heartbeat


class DatabaseGone(RuntimeError):
    """The SQLite file was deleted or replaced under the running process: nothing must be written."""


def identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


@dataclass
class FileWatch:
    """The identity (device, inode) of the SQLite file the engine opened first. A deleted file lives on
    for the connections that have it open, so writes "succeed" into a file no restart will see."""

    path: Path
    opened: tuple[int, int] | None = None

    def remember(self) -> None:
        if self.opened is None:
            self.opened = identity(self.path)

    def problem(self) -> str | None:
        now = identity(self.path)
        if self.opened is None:
            return None
        if now is None:
            return "数据库文件已被删除"
        if now != self.opened:
            return "数据库文件已被替换"
        return None


DISK_FULL = "磁盘空间不足，暂时无法写入"
_FULL_MARKS = ("database or disk is full", "no space left on device", "disk full", "diskfull", "disk quota exceeded")


def disk_full(exc: BaseException) -> bool:
    """The write failed because the filesystem (or quota) is full: SQLite's SQLITE_FULL, PostgreSQL's
    53100, ENOSPC/EDQUOT from a file write. It passes once space is freed, unlike a lost database."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if type(exc).__name__ == "DiskFullError" or any(m in str(exc).lower() for m in _FULL_MARKS):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


@dataclass
class Health:
    ok: bool = True
    reason: str = ""
    checked_at: datetime | None = None
    transient: bool = False  # not ok, but it passes by itself (a full disk): serve on, do not exit


class DbHealth:
    """`await check()` at start and every few seconds; `readiness()` for a /readyz endpoint."""

    def __init__(self, sessionmaker, url: str, owner: str, watch: FileWatch | None = None) -> None:
        from storage.db import sqlite_path

        self.sessionmaker = sessionmaker
        self.path = sqlite_path(url)
        self.owner = owner[:64]
        self.watch = watch
        self.last = Health()

    async def check(self) -> Health:
        now = utcnow()
        reason = self.watch.problem() if self.watch is not None else None
        if reason is None and self.path is not None:
            for p in (self.path, self.path.parent):
                if p.exists() and not os.access(p, os.W_OK):
                    reason = "数据库文件只读，无法写入"
        transient = False
        if reason is None:
            try:
                async with self.sessionmaker() as db, db.begin():
                    row = await db.get(Heartbeat, self.owner)
                    if row is None:
                        db.add(Heartbeat(owner=self.owner, beat_at=now))
                    else:
                        row.beat_at = now
            except DatabaseGone as e:
                reason = str(e) or "数据库文件已被删除或替换"
            except (SQLAlchemyError, OSError) as e:
                text = str(e).lower()
                transient = disk_full(e)
                if transient:
                    reason = DISK_FULL
                elif "readonly" in text or "read-only" in text:
                    reason = "数据库文件只读，无法写入"
                else:
                    reason = f"数据库写入检查失败（{type(e).__name__}）"
        self.last = Health(ok=reason is None, reason=reason or "", checked_at=now, transient=transient)
        return self.last

    def readiness(self) -> tuple[bool, str]:
        """(ready, reason) from the last check, for the scale-out issue's /readyz."""
        return self.last.ok, self.last.reason
