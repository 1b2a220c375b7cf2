"""Tests for the encrypted, content-keyed blob store."""

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


def test_put_returns_a_keyed_name_and_get_round_trips(store):
    data = b"\xff\xd8\xff" + bytes(range(256)) * 10
    ref = store.put(data)
    assert ref == hashlib.sha256(data).hexdigest()  # the callers' reference, kept in sealed data only
    name = store.path(ref).name
    assert len(name) == 64 and name != ref  # the file name lets no one confirm a known photo
    assert store.get(ref) == data
    assert store.exists(ref)


def test_stored_files_are_ciphertext_without_file_signatures(store):
    data = b"\xff\xd8\xff\xe0" + b"JFIF id card" * 100
    pdf = b"%PDF-1.7 household register" * 50
    for blob in (data, pdf):
        raw = store.path(store.put(blob)).read_bytes()
        assert raw.startswith(b"HBE1") and b"id card" not in raw and b"household" not in raw
        assert not raw.startswith((b"\xff\xd8", b"%PDF", b"\x89PNG", b"RIFF", b"GIF8"))


def test_the_same_content_under_another_name_key_gets_another_name(tmp_path):
    from storage.keyring import KeyRing

    a, b = BlobStore(tmp_path / "a", KeyRing.ephemeral()), BlobStore(tmp_path / "b", KeyRing.ephemeral())
    ref = a.put(b"same photo")
    assert b.put(b"same photo") == ref and a.path(ref).name != b.path(ref).name


def test_layout_is_two_levels_of_prefix(store, tmp_path):
    sha = store.put(b"hello")
    name = store.path(sha).name
    assert store.path(sha) == tmp_path / "blobs" / name[:2] / name[2:4] / name
    assert store.path(sha).is_file()


def test_put_is_idempotent_and_leaves_no_temp_files(store, tmp_path):
    assert store.put(b"same") == store.put(b"same")
    files = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [store.path(hashlib.sha256(b"same").hexdigest()).name]


def test_a_file_swapped_for_another_blob_is_refused(store):
    one, two = store.put(b"photo one"), store.put(b"photo two")
    store.path(one).write_bytes(store.path(two).read_bytes())
    with pytest.raises(BlobCorrupted):
        store.get(one)


def test_a_blob_under_a_retired_key_still_reads_and_rewrap_moves_it(tmp_path):
    from storage.keyring import KeyRing

    old = KeyRing.ephemeral()
    store = BlobStore(tmp_path / "blobs", old)
    name = store.put(b"scan")
    new = old.with_new_key()
    store2 = BlobStore(tmp_path / "blobs", new)
    path = store2.path(name)
    assert store2.key_id(path) == old.current and store2.get(name) == b"scan"
    assert store2.rewrap(path) and not store2.rewrap(path)
    assert store2.key_id(path) == new.current
    assert BlobStore(tmp_path / "blobs", new.without(old.current)).get(name) == b"scan"
    only_old = KeyRing({old.current: old.keys[old.current]}, old.current, old.index_key, old.name_key)
    with pytest.raises(BlobCorrupted):  # the retired key alone no longer opens it
        BlobStore(tmp_path / "blobs", only_old).get(name)


def test_a_plain_blob_from_before_encryption_reads_and_is_sealed_by_rewrap(store):
    data = b"\xff\xd8\xff old plain photo"
    sha = hashlib.sha256(data).hexdigest()
    legacy = store.root / sha[:2] / sha[2:4] / sha
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(data)
    assert store.exists(sha) and store.get(sha) == data and store.key_id(legacy) is None
    assert store.rewrap(legacy)
    assert not legacy.exists() and store.path(sha).read_bytes().startswith(b"HBE1")
    assert store.get(sha) == data and list(store.files()) == [store.path(sha)]


def test_blob_folders_are_private_under_a_permissive_umask(tmp_path):
    import os

    old = os.umask(0)
    try:
        store = BlobStore(tmp_path / "deep" / "blobs")
        name = store.put(b"x")
    finally:
        os.umask(old)
    for p in (store.root, store.path(name).parent, store.path(name).parent.parent):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700, p
    assert stat.S_IMODE(store.path(name).stat().st_mode) == 0o600


def test_blob_files_are_private(store):
    sha = store.put(b"id card photo")
    assert stat.S_IMODE(store.path(sha).stat().st_mode) == 0o600


def test_empty_blob_is_allowed(store):
    sha = store.put(b"")
    assert store.get(sha) == b""


def test_corruption_is_detected_on_read(store):
    sha = store.put(b"original bytes")
    raw = bytearray(store.path(sha).read_bytes())
    raw[-20] ^= 1
    store.path(sha).write_bytes(bytes(raw))
    with pytest.raises(BlobCorrupted):
        store.get(sha)


def test_put_repairs_a_truncated_blob(store):
    sha = store.put(b"0123456789")
    store.path(sha).write_bytes(store.path(sha).read_bytes()[:-5])
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


def test_orphans_are_found_by_keyed_name(store):
    kept, dropped = store.put(b"kept"), store.put(b"dropped")
    assert store.orphans({kept}) == [store.path(dropped)]
    assert store.orphans({kept, dropped}) == []
