"""Encrypted column types: values sealed with the key ring bound to the engine's dialect.

Why the dialect: a TypeDecorator sees only (value, dialect). Binding the ring to the dialect of the
engine that `storage.db.make_engine` builds keeps it per engine (two engines in one process may
hold different rings, as the rotation tests do) without module state filled at import time or a
ContextVar that tasks started earlier would not see.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

from sqlalchemy.types import Text, TypeDecorator

from storage.keyring import KeyRing

_RINGS: weakref.WeakKeyDictionary[Any, KeyRing] = weakref.WeakKeyDictionary()


def bind_keyring(dialect, ring: KeyRing) -> None:
    _RINGS[dialect] = ring


def keyring_of(dialect) -> KeyRing:
    ring = _RINGS.get(dialect)
    if ring is None:
        raise RuntimeError("no key ring bound to this engine: build it with storage.db.make_engine")
    return ring


class _Sealed(TypeDecorator):
    """Text column holding `e1.<key id>.<AES-GCM token>`; AAD = table.column, so a value cannot be
    moved to another column unnoticed. Plain rows from before migration 0004 are still read until
    `python -m bot keys rotate` seals them."""

    impl = Text
    cache_ok = True

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keyring_of(dialect).seal(self.dump(value), self.where.encode())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if not KeyRing.is_sealed(value):
            return self.legacy(value)
        return self.load(keyring_of(dialect).open(value, self.where.encode()))

    def dump(self, value) -> bytes:
        raise NotImplementedError

    def load(self, raw: bytes):
        raise NotImplementedError

    def legacy(self, stored):
        return self.load(stored.encode() if isinstance(stored, str) else json.dumps(stored).encode())


class SealedJSON(_Sealed):
    cache_ok = True
    hashable = False

    def dump(self, value) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    def load(self, raw: bytes):
        return json.loads(raw)

    def legacy(self, stored):
        return stored if isinstance(stored, (dict, list)) else json.loads(stored)


class SealedText(_Sealed):
    cache_ok = True

    def dump(self, value) -> bytes:
        return str(value).encode()

    def load(self, raw: bytes):
        return raw.decode()


def sealed_columns(metadata) -> list[tuple[str, str, _Sealed]]:
    """Every (table, column, type) that holds sealed values: what rotation walks."""
    return [
        (table.name, col.name, col.type)
        for table in metadata.sorted_tables
        for col in table.columns
        if isinstance(col.type, _Sealed)
    ]
