"""Owner-only files under a permissive umask, and the one-line notice of a generated key file."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from bot import compose
from bot.settings import Settings
from storage.uow import UnitOfWork


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def permissive_umask():
    old = os.umask(0)
    yield
    os.umask(old)


async def test_data_dir_database_wal_key_and_blobs_are_private(tmp_path, permissive_umask, caplog):
    data = tmp_path / "deep" / "data"
    settings = Settings(_env_file=None, data_dir=data, database_url=None, bot_token=None)
    with caplog.at_level(logging.INFO):
        services = compose.build(settings)
    notices = [r for r in caplog.records if "keys.json" in r.getMessage()]
    assert len(notices) == 1 and "\n" not in notices[0].getMessage()
    try:
        async with UnitOfWork(services.sessionmaker) as uow:
            await uow.applicants.get_or_create("telegram", "1")
        ref = services.blobs.put(b"\xff\xd8\xff id photo")
        db = data / "assistant.db"
        assert (data / "assistant.db-wal").exists()
        assert mode(data) == 0o700
        for p in (
            db,
            data / "assistant.db-wal",
            data / "assistant.db-shm",
            data / "keys.json",
            services.blobs.path(ref),
        ):
            assert mode(p) == 0o600, p
        for p in (services.blobs.root, services.blobs.path(ref).parent, services.blobs.path(ref).parent.parent):
            assert mode(p) == 0o700, p
    finally:
        await services.db_engine.dispose()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = compose.build(settings)  # the second start reuses the key file, silently
    await again.db_engine.dispose()
    assert not [r for r in caplog.records if "keys.json" in r.getMessage()]
    assert again.keyring.current == services.keyring.current


async def test_loose_permissions_of_an_existing_deployment_are_tightened(tmp_path):
    data = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data, database_url=None, bot_token=None)
    await compose.build(settings).db_engine.dispose()
    for p in (data, data / "assistant.db", data / "keys.json"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    await compose.build(settings).db_engine.dispose()
    assert (mode(data), mode(data / "assistant.db"), mode(data / "keys.json")) == (0o700, 0o600, 0o600)


def test_configured_keys_come_from_the_environment_and_a_missing_key_file_is_an_error(tmp_path):
    from bot.keys import load_keyring
    from storage.keyring import KeyRing

    ring = KeyRing.ephemeral()
    env = Settings(_env_file=None, data_dir=tmp_path, encryption_keys=ring.to_json())
    assert load_keyring(env).current == ring.current and not (tmp_path / "keys.json").exists()
    with pytest.raises(SystemExit, match="KEY_FILE"):
        load_keyring(Settings(_env_file=None, data_dir=tmp_path, key_file=tmp_path / "elsewhere.json"))
