"""Tests for the content-addressed blob store."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage.blobs import BlobCorrupted, BlobStore
from storage.files import fsync_dir


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "blobs")


def test_put_returns_sha256_and_get_round_trips(store):
    data = b"\xff\xd8\xff" + bytes(range(256)) * 10
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.get(sha) == data
    assert store.exists(sha)


def test_layout_is_two_levels_of_prefix(store, tmp_path):
    sha = store.put(b"hello")
    assert store.path(sha) == tmp_path / "blobs" / sha[:2] / sha[2:4] / sha
    assert store.path(sha).is_file()


def test_put_is_idempotent_and_leaves_no_temp_files(store, tmp_path):
    assert store.put(b"same") == store.put(b"same")
    files = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [hashlib.sha256(b"same").hexdigest()]


def test_blob_files_are_private(store):
    sha = store.put(b"id card photo")
    assert stat.S_IMODE(store.path(sha).stat().st_mode) == 0o600


def test_empty_blob_is_allowed(store):
    sha = store.put(b"")
    assert store.get(sha) == b""


def test_corruption_is_detected_on_read(store):
    sha = store.put(b"original bytes")
    store.path(sha).write_bytes(b"tampered bytes")
    with pytest.raises(BlobCorrupted):
        store.get(sha)


def test_put_repairs_a_truncated_blob(store):
    sha = store.put(b"0123456789")
    store.path(sha).write_bytes(b"01234")
    store.put(b"0123456789")
    assert store.get(sha) == b"0123456789"


def test_missing_blob(store):
    sha = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(sha)
    with pytest.raises(FileNotFoundError):
        store.get(sha)


def test_delete_is_idempotent(store):
    sha = store.put(b"to delete")
    store.delete(sha)
    store.delete(sha)
    assert not store.exists(sha)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "../../etc/passwd",
        "A" * 64,
        "g" * 64,
        "a" * 63,
        "a" * 65,
        "ab/" + "c" * 61,
        "a" * 63 + "\n",
        None,
    ],
)
def test_invalid_ids_are_refused(store, bad):
    for method in (store.path, store.exists, store.get, store.delete):
        with pytest.raises(ValueError):
            method(bad)


def test_concurrent_puts_of_the_same_data(store):
    data = b"x" * 100_000
    with ThreadPoolExecutor(8) as pool:
        shas = set(pool.map(store.put, [data] * 32))
    assert len(shas) == 1
    assert store.get(shas.pop()) == data


def failing(code: int):
    def fsync(fd: int) -> None:
        raise OSError(code, os.strerror(code))
    return fsync


def test_a_failed_write_leaves_no_blob_and_no_temp_file(store, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", failing(errno.EIO))
    with pytest.raises(OSError):
        store.put(b"half written")
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


def test_fsync_dir_skips_only_what_the_platform_cannot_do(tmp_path, monkeypatch):
    fsync_dir(tmp_path / "missing")  # a directory that cannot be opened (as on Windows) is skipped
    monkeypatch.setattr(os, "fsync", failing(errno.EINVAL))  # a file system without directory fsync
    fsync_dir(tmp_path)
    monkeypatch.setattr(os, "fsync", failing(errno.EIO))
    with pytest.raises(OSError):
        fsync_dir(tmp_path)
