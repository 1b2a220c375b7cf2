"""Keys from configuration, and `python -m bot keys status | rotate` for the operator."""

from __future__ import annotations

import logging
import os

from bot.settings import Settings
from storage.keyring import KeyRing, create_key_file, write_key_file

log = logging.getLogger("bot.keys")


def load_keyring(settings: Settings) -> KeyRing:
    """ENCRYPTION_KEYS, else KEY_FILE, else DATA_DIR/keys.json, generated on the first start."""
    if settings.encryption_keys is not None:
        return KeyRing.from_json(settings.encryption_keys.get_secret_value())
    path = settings.key_path
    if path.exists():
        os.chmod(path, 0o600)
        return KeyRing.load(path)
    if settings.key_file is not None:
        raise SystemExit(f"KEY_FILE {path} does not exist: restore it from the key backup")
    try:
        ring = create_key_file(path)
    except FileExistsError:  # another process of the first start was quicker
        return KeyRing.load(path)
    log.warning("no encryption key configured: generated %s (0600); back it up apart from the data", path)
    return ring


def add_key(settings: Settings) -> KeyRing:
    """A new current key in the key file; running processes pick it up within a second."""
    if settings.encryption_keys is not None:
        raise SystemExit("keys come from ENCRYPTION_KEYS: add the new key there and restart, then rotate")
    ring = load_keyring(settings).with_new_key()
    write_key_file(settings.key_path, ring)
    return ring


def retire_key(settings: Settings, kid: str) -> KeyRing:
    ring = load_keyring(settings)
    if kid == ring.current:
        raise SystemExit("the current key cannot be retired")
    write_key_file(settings.key_path, ring.without(kid))
    return ring.without(kid)


async def command(settings: Settings, action: str, batch: int, new_key: bool, drop: str | None) -> str:
    from bot import compose
    from storage import rotation

    if action == "rotate" and new_key:
        add_key(settings)
    services = compose.build(settings)
    try:
        if action == "status":
            report = await rotation.status(services.sessionmaker, services.blobs)
            return rotation.render(report, services.keyring)
        if action == "retire":
            if not drop:
                return "请指定要移除的密钥编号：keys retire KEY_ID"
            report = await rotation.status(services.sessionmaker, services.blobs)
            if report.under(drop):
                return f"密钥 {drop} 仍有 {report.under(drop)} 项数据未轮换：请先运行 keys rotate。"
            retire_key(settings, drop)
            return f"密钥 {drop} 已从密钥文件中移除。"
        done = await rotation.rotate(
            services.sessionmaker, services.blobs, batch=batch, progress=lambda line: print(line, flush=True)
        )
        report = await rotation.status(services.sessionmaker, services.blobs)
        return (
            f"轮换完成：数据库 {done.rows} 行，文件 {done.files} 个，已改用密钥 {services.keyring.current}。\n"
            + rotation.render(report, services.keyring)
        )
    finally:
        await services.db_engine.dispose()
