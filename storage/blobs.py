"""Encrypted blob store for uploaded files on local disk: a data key per file, wrapped by the master key.

A file is named by a keyed hash of its content's sha256 (HMAC-SHA256 with the ring's name key):
the same upload is stored once, yet the name says nothing to whoever lacks the key (a plain sha256
would let anyone holding a photo confirm that it is stored). On disk:
    MAGIC ‖ len(kid) ‖ kid ‖ len(wrapped) ‖ wrapped data key ‖ nonce ‖ AES-GCM(content)
so no stored upload starts with an image or PDF signature, and reading verifies integrity.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.files import fsync_dir, write_synced
from storage.keyring import KeyRing, KeyRingError

_NAME = re.compile(r"[0-9a-f]{64}")
ORPHAN_AGE = 600.0  # seconds; a live writer's temp file or folder is seconds old at most
MAGIC = b"HBE1"
NONCE = 12


class BlobCorrupted(Exception):
    """The bytes on disk were altered, truncated, or do not belong to their name."""


class BlobStore:
    """Callers name a blob by its reference, the sha256 of its content (as material lists do); the
    file lives at root/ab/cd/<HMAC(name key, reference)>, owner-only; writes are atomic, idempotent."""

    def __init__(self, root: Path, keyring: KeyRing | None = None) -> None:
        self.root = Path(root)
        self.keyring = keyring or KeyRing.ephemeral()

    def file_name(self, ref: str) -> str:
        if not isinstance(ref, str) or not _NAME.fullmatch(ref):
            raise ValueError("blob id must be 64 lowercase hex characters")
        return self.keyring.blob_name(ref.encode())

    def path(self, ref: str) -> Path:
        name = self.file_name(ref)
        return self.root / name[:2] / name[2:4] / name

    def _legacy_path(self, ref: str) -> Path:
        return self.root / ref[:2] / ref[2:4] / ref

    def exists(self, ref: str) -> bool:
        return self.path(ref).is_file() or self._legacy_path(ref).is_file()

    def files(self) -> Iterator[Path]:
        """Every stored file (what rotation walks)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("??/??/*")):
            if _NAME.fullmatch(path.name) and path.is_file():
                yield path

    def orphans(self, referenced: set[str]) -> list[Path]:
        """Stored files no reference in `referenced` names (for garbage collection): a file's name
        is keyed, so compare names, not references."""
        keep = {self.file_name(r) for r in referenced} | set(referenced)  # plain pre-0004 files by ref
        return [p for p in self.files() if p.name not in keep]

    def put(self, data: bytes) -> str:
        ref = hashlib.sha256(data).hexdigest()
        target = self.path(ref)
        try:
            if _sealed_size(target) == len(data):
                return ref
        except (FileNotFoundError, BlobCorrupted):
            pass
        self._write(target, self._seal(target.name, data))
        return ref

    def get(self, ref: str) -> bytes:
        """The blob's bytes; FileNotFoundError if absent, BlobCorrupted if altered."""
        path = self.path(ref)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raw = self._legacy_path(ref).read_bytes()  # stored before encryption, until `keys rotate`
            if hashlib.sha256(raw).hexdigest() != ref:
                raise BlobCorrupted(f"blob {ref[:12]}… does not match its hash") from None
            return raw
        data = self._open(path.name, raw)
        if hashlib.sha256(data).hexdigest() != ref:
            raise BlobCorrupted(f"blob {ref[:12]}… does not match its reference")
        return data

    def _open(self, name: str, raw: bytes) -> bytes:
        if not raw.startswith(MAGIC):
            raise BlobCorrupted(f"blob file {name[:12]}… is not sealed")
        kid, wrapped, body = _parse(raw, name)
        aad = MAGIC + name.encode()
        try:
            return AESGCM(self.keyring.unwrap(kid, wrapped, aad)).decrypt(body[:NONCE], body[NONCE:], aad)
        except (InvalidTag, KeyRingError) as exc:
            raise BlobCorrupted(f"blob file {name[:12]}… failed authentication ({type(exc).__name__})") from None

    @staticmethod
    def key_id(path: Path) -> str | None:
        """The master key wrapping this file's data key (None: a plain file from before encryption)."""
        with open(path, "rb") as fh:
            head = fh.read(64)
        if not head.startswith(MAGIC):
            return None
        return head[5 : 5 + head[4]].decode()

    def rewrap(self, path: Path) -> bool:
        """Wrap the file's data key under the current master key (the content stays as it is);
        a plain file from before encryption is sealed under its private name."""
        if self.key_id(path) == self.keyring.current:
            return False
        raw = path.read_bytes()
        if not raw.startswith(MAGIC):
            ref = path.name
            if hashlib.sha256(raw).hexdigest() == ref:
                self._write(self.path(ref), self._seal(self.path(ref).name, raw))
            path.unlink(missing_ok=True)
            return True
        kid, wrapped, body = _parse(raw, path.name)
        aad = MAGIC + path.name.encode()
        try:
            data_key = self.keyring.unwrap(kid, wrapped, aad)
        except InvalidTag:
            raise BlobCorrupted(f"blob file {path.name[:12]}… failed authentication") from None
        # A rename lost in a crash leaves the old file, still readable: no directory fsync needed.
        self._write(path, _header(*self.keyring.wrap(data_key, aad)) + body, durable_name=False)
        return True

    def delete(self, ref: str) -> None:
        self.path(ref).unlink(missing_ok=True)
        self._legacy_path(ref).unlink(missing_ok=True)

    def sweep(self, older_than: float = ORPHAN_AGE) -> int:
        """Remove temp files a killed process left (see `sweep_orphans`)."""
        return sweep_orphans(self.root, older_than)

    def _seal(self, name: str, data: bytes) -> bytes:
        aad = MAGIC + name.encode()
        data_key = AESGCM.generate_key(256)
        nonce = os.urandom(NONCE)
        return _header(*self.keyring.wrap(data_key, aad)) + nonce + AESGCM(data_key).encrypt(nonce, data, aad)

    def _write(self, target: Path, payload: bytes, durable_name: bool = True) -> None:
        _private_dirs(self.root, target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")  # mode 0600 whatever the umask
        os.close(fd)
        try:
            write_synced(Path(tmp), payload)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if durable_name:
            fsync_dir(target.parent)


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


def _header(kid: str, wrapped: bytes) -> bytes:
    k = kid.encode()
    return MAGIC + bytes([len(k)]) + k + struct.pack(">H", len(wrapped)) + wrapped


def _parse(raw: bytes, name: str) -> tuple[str, bytes, bytes]:
    try:
        klen = raw[4]
        kid = raw[5 : 5 + klen].decode()
        (wlen,) = struct.unpack(">H", raw[5 + klen : 7 + klen])
        start = 7 + klen
        wrapped, body = raw[start : start + wlen], raw[start + wlen :]
    except (IndexError, struct.error, UnicodeDecodeError):
        raise BlobCorrupted(f"blob {name[:12]}… has a damaged header") from None
    if len(wrapped) != wlen or len(body) < NONCE + 16:
        raise BlobCorrupted(f"blob {name[:12]}… is truncated")
    return kid, wrapped, body


def _sealed_size(path: Path) -> int:
    """Length of the plaintext a sealed file holds, from its size and header (no decryption)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(300)
    if not head.startswith(MAGIC) or len(head) < 7 + head[4]:
        raise BlobCorrupted(path.name)
    klen = head[4]
    (wlen,) = struct.unpack(">H", head[5 + klen : 7 + klen])
    return size - (7 + klen + wlen + NONCE + 16)


def _private_dirs(root: Path, leaf: Path) -> None:
    """mkdir -p with 0700 at every level (Path.mkdir(parents=True) gives parents the umask's mode)."""
    missing = []
    p = leaf
    while not p.is_dir():
        missing.append(p)
        if p == root.parent or p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=0o700)
        os.chmod(d, 0o700)
