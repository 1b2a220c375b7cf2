"""Key ring: AES-256-GCM data keys with ids (current + retired), the blind-index and blob-name keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import unicodedata
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.files import write_synced

PREFIX = "e1"  # token format version: e1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>
NONCE = 12
RELOAD_EVERY = 1.0  # seconds between checks of the key file, so a running process sees a new key


class KeyRingError(Exception):
    """A value names a key that is not in the ring, or fails authentication."""


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key_id() -> str:
    return "k" + secrets.token_hex(4)


class KeyRing:
    """Encrypts under the current key; decrypts under any key it holds (retired ones included)."""

    def __init__(
        self, keys: dict[str, bytes], current: str, index_key: bytes, name_key: bytes, source: Path | None = None
    ) -> None:
        if current not in keys:
            raise ValueError("the current key id is not among the keys")
        for kid, key in keys.items():
            if len(key) != 32 or "." in kid:
                raise ValueError(f"key {kid!r}: 32-byte AES-256 keys with ids without dots are required")
        if len(index_key) < 32 or len(name_key) < 32:
            raise ValueError("index and name keys must be at least 32 bytes")
        self._set(keys, current, index_key, name_key)
        self.source = source
        self._mtime = source.stat().st_mtime_ns if source is not None else None
        self._checked = time.monotonic()

    def _set(self, keys: dict[str, bytes], current: str, index_key: bytes, name_key: bytes) -> None:
        self.keys, self._current = dict(keys), current
        self.index_key, self.name_key = index_key, name_key
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}

    @property
    def current(self) -> str:
        """The key new values are sealed under (re-read from the key file when it changed)."""
        self.refresh()
        return self._current

    # construction ---------------------------------------------------------------------------
    @classmethod
    def ephemeral(cls) -> KeyRing:
        """Random keys that live as long as the object: for code paths given no configuration."""
        kid = new_key_id()
        return cls({kid: AESGCM.generate_key(256)}, kid, secrets.token_bytes(32), secrets.token_bytes(32))

    @classmethod
    def from_json(cls, text: str, source: Path | None = None) -> KeyRing:
        doc = json.loads(text)
        return cls(
            {k: _b64d(v) for k, v in doc["keys"].items()},
            doc["current"],
            _b64d(doc["index_key"]),
            _b64d(doc["name_key"]),
            source,
        )

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        return cls.from_json(Path(path).read_text(encoding="utf-8"), Path(path))

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "current": self.current,
                "keys": {k: _b64e(v) for k, v in self.keys.items()},
                "index_key": _b64e(self.index_key),
                "name_key": _b64e(self.name_key),
            },
            indent=1,
        )

    def with_new_key(self) -> KeyRing:
        """A copy with a fresh current key; the old ones stay for decryption until rotated away."""
        kid = new_key_id()
        return KeyRing(self.keys | {kid: AESGCM.generate_key(256)}, kid, self.index_key, self.name_key, self.source)

    def without(self, kid: str) -> KeyRing:
        keys = {k: v for k, v in self.keys.items() if k != kid}
        return KeyRing(keys, self.current, self.index_key, self.name_key, self.source)

    # reloading -------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Pick up a key file changed by `keys rotate --new-key` while this process runs."""
        if self.source is None or (not force and time.monotonic() - self._checked < RELOAD_EVERY):
            return
        self._checked = time.monotonic()
        try:
            mtime = self.source.stat().st_mtime_ns
        except OSError:
            return
        if mtime != self._mtime or force:
            fresh = KeyRing.load(self.source)
            self._set(fresh.keys, fresh.current, fresh.index_key, fresh.name_key)
            self._mtime = mtime

    def _aead_for(self, kid: str) -> AESGCM:
        aead = self._aead.get(kid)
        if aead is None:
            self.refresh(force=True)
            aead = self._aead.get(kid)
        if aead is None:
            raise KeyRingError(f"unknown key id {kid!r}: add it to the key ring")
        return aead

    # values ---------------------------------------------------------------------------------
    def seal(self, plain: bytes, aad: bytes) -> str:
        kid = self.current
        nonce = os.urandom(NONCE)
        ct = self._aead[kid].encrypt(nonce, plain, aad + b"|" + kid.encode())
        return f"{PREFIX}.{kid}.{_b64e(nonce + ct)}"

    def open(self, token: str, aad: bytes) -> bytes:
        try:
            prefix, kid, body = token.split(".", 2)
        except ValueError:
            raise KeyRingError("not an encrypted value") from None
        if prefix != PREFIX:
            raise KeyRingError("not an encrypted value")
        raw = _b64d(body)
        try:
            return self._aead_for(kid).decrypt(raw[:NONCE], raw[NONCE:], aad + b"|" + kid.encode())
        except Exception as exc:  # InvalidTag: altered, moved to another column, or wrong key
            if isinstance(exc, KeyRingError):
                raise
            raise KeyRingError(f"value under key {kid!r} failed authentication") from None

    @staticmethod
    def is_sealed(value: object) -> bool:
        return isinstance(value, str) and value.startswith(PREFIX + ".")

    @staticmethod
    def key_id_of(token: str) -> str | None:
        return token.split(".", 2)[1] if KeyRing.is_sealed(token) else None

    # raw keys for envelopes -----------------------------------------------------------------
    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]:
        kid = self.current
        nonce = os.urandom(NONCE)
        return kid, nonce + self._aead[kid].encrypt(nonce, data_key, aad)

    def unwrap(self, kid: str, wrapped: bytes, aad: bytes) -> bytes:
        return self._aead_for(kid).decrypt(wrapped[:NONCE], wrapped[NONCE:], aad)

    # keyed hashes ---------------------------------------------------------------------------
    def blind(self, value: str) -> str:
        """Blind index of an identifier: HMAC-SHA256 over its normalised form (128 bits, hex)."""
        norm = unicodedata.normalize("NFKC", value).strip().upper().replace(" ", "")
        return hmac.new(self.index_key, norm.encode(), hashlib.sha256).hexdigest()[:32]

    def blob_name(self, data: bytes) -> str:
        """A file name that keeps dedup but reveals nothing of the content to whoever lacks the key."""
        return hmac.new(self.name_key, data, hashlib.sha256).hexdigest()


def create_key_file(path: Path) -> KeyRing:
    """Write a fresh key ring owner-only (0600 whatever the umask); refuses to overwrite."""
    kid = new_key_id()
    ring = KeyRing({kid: AESGCM.generate_key(256)}, kid, secrets.token_bytes(32), secrets.token_bytes(32))
    write_key_file(path, ring, exclusive=True)
    return KeyRing.load(path)


def write_key_file(path: Path, ring: KeyRing, exclusive: bool = False) -> None:
    """Atomic replace, so a process reloading the file never reads half of it."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.close(fd)
        write_synced(tmp, ring.to_json().encode())  # reopens the 0600 file: its mode stays
        if exclusive:
            os.link(tmp, path)  # fails if the file appeared meanwhile: never replace existing keys
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
