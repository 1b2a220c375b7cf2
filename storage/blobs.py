"""Content-addressed blob store for uploaded files, on local disk."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from storage.files import fsync_dir, write_synced

_SHA256 = re.compile(r"[0-9a-f]{64}")
ORPHAN_AGE = 600.0  # seconds; a live writer's temp file or folder is seconds old at most


class BlobCorrupted(Exception):
    """The bytes on disk no longer hash to their name."""


class BlobStore:
    """Blobs live at root/ab/cd/<sha256>; writes are atomic and idempotent."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise ValueError("blob id must be 64 lowercase hex characters")
        return self.root / sha[:2] / sha[2:4] / sha

    def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        try:
            if target.stat().st_size == len(data):
                return sha
        except FileNotFoundError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")  # mode 0600
        os.close(fd)
        try:
            write_synced(Path(tmp), data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)
        return sha

    def get(self, sha: str) -> bytes:
        """Return the blob's bytes; FileNotFoundError if absent, BlobCorrupted if altered."""
        data = self.path(sha).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            raise BlobCorrupted(f"blob {sha[:12]}… does not match its hash")
        return data

    def delete(self, sha: str) -> None:
        self.path(sha).unlink(missing_ok=True)

    def sweep(self, older_than: float = ORPHAN_AGE) -> int:
        """Remove temp files a killed process left (see `sweep_orphans`)."""
        return sweep_orphans(self.root, older_than)


def sweep_orphans(root: Path, older_than: float = ORPHAN_AGE) -> int:
    """Remove `.tmp-*` files and folders under `root` older than `older_than` seconds: debris of a
    process killed mid-write (kill -9 runs no `finally`). Younger ones may be another process's write."""
    root, removed, limit = Path(root), 0, time.time() - older_than
    if not root.is_dir():
        return 0
    for path in list(root.rglob(".tmp-*")):
        try:
            if path.lstat().st_mtime > limit:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed

