"""`python -m bot keys status | rotate --new-key | retire`: the operator's key commands."""

from __future__ import annotations

from bot import keys
from bot.settings import Settings
from storage.keyring import KeyRing
from tests.bot.test_cli import submit


async def test_status_rotate_and_retire(tmp_path):
    from bot.compose import build

    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    services = build(settings)
    try:
        await submit(services)
    finally:
        await services.db_engine.dispose()
    first = KeyRing.load(settings.key_path).current
    status = await keys.command(settings, "status", 500, False, None)
    assert f"当前密钥：{first}" in status and "全部数据已在当前密钥下" in status and "applications.data" in status
    out = await keys.command(settings, "rotate", 500, True, None)
    second = KeyRing.load(settings.key_path).current
    assert second != first and "轮换完成" in out and "全部数据已在当前密钥下" in out
    assert "已从密钥文件中移除" in await keys.command(settings, "retire", 500, False, first)
    assert list(KeyRing.load(settings.key_path).keys) == [second]
    assert "全部数据已在当前密钥下" in await keys.command(settings, "status", 500, False, None)


async def test_a_key_still_in_use_is_not_retired(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    from bot.compose import build

    services = build(settings)
    try:
        await submit(services)
    finally:
        await services.db_engine.dispose()
    first = KeyRing.load(settings.key_path).current
    keys.add_key(settings)  # a new current key, nothing rotated yet
    out = await keys.command(settings, "retire", 500, False, first)
    assert "仍有" in out and first in KeyRing.load(settings.key_path).keys
