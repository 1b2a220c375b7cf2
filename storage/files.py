"""Durable writes on local disk: a file's bytes fsynced, and a directory fsynced after a rename."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def write_synced(path: Path, data: bytes) -> None:
    """Write `data` to `path` and fsync it, so a later rename publishes complete bytes."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_dir(directory: Path) -> None:
    """Make a rename into `directory` durable. A platform that cannot open a directory (Windows), or
    a file system that cannot fsync one (EINVAL), is skipped; any other failure is raised."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
    finally:
        os.close(fd)
