"""How a packet reaches a department: a folder, a signed webhook, or a PII-free Telegram notice."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Protocol

import aiohttp
import pyrage
from sqlalchemy.exc import IntegrityError

from dialogs import notices
from dispatch.packet import Packet
from dispatch.signing import signature
from storage.blobs import sweep_orphans
from storage.files import fsync_dir, write_synced
from storage.uow import UnitOfWork

RECEIPT = "receipt.json"


class DeliveryFailed(Exception):
    """The department did not take the packet; the worker retries later."""


class Channel(Protocol):
    async def send(self, delivery_key: str, packet: Packet) -> str:
        """Deliver once per key (re-sending the same key has no second effect); return a receipt."""


class FolderChannel:
    """Writes root/<dept>/<ref>-v<version>/ atomically: a temp dir, fsync, then rename.

    Plain by design, unless the department gave an age public key (age1…): then every file is
    encrypted to it as <name>.age, which `age -d -i key.txt` (or any age implementation) opens,
    so a shared outbox folder exposes nothing."""

    def __init__(self, root: Path, recipients: dict[str, str] | None = None):
        self.root = Path(root)
        self.recipients = {d: age_recipient(k) for d, k in (recipients or {}).items() if k}

    def sweep(self) -> int:
        """Temp folders left by a worker killed mid-write (storage.blobs.sweep_orphans)."""
        return sweep_orphans(self.root)

    def target(self, packet: Packet) -> Path:
        return self.root / packet.department / f"{packet.ref}-v{packet.version}"

    async def send(self, delivery_key: str, packet: Packet) -> str:
        return await asyncio.to_thread(self._write, delivery_key, packet)

    def _write(self, delivery_key: str, packet: Packet) -> str:
        final = self.target(packet)
        if (final / RECEIPT).is_file():
            return _read_receipt(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=".tmp-"))
        try:
            recipient = self.recipients.get(packet.department)
            files = {
                (f"{name}.age" if recipient else name): (pyrage.encrypt(data, [recipient]) if recipient else data)
                for name, data in packet.files.items()
            }
            for name, data in files.items():
                write_synced(tmp / name, data)
            receipt = f"folder:{packet.department}/{final.name}"
            write_synced(
                tmp / RECEIPT, json.dumps({"receipt": receipt, "key": delivery_key, "files": sorted(files)}).encode()
            )
            fsync_dir(tmp)
            try:
                os.rename(tmp, final)
            except OSError:  # another worker won the race: its directory is the one effect
                if (final / RECEIPT).is_file():
                    return _read_receipt(final)
                raise
            fsync_dir(final.parent)
            return receipt
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


class WebhookChannel:
    """POSTs the packet as JSON (files base64), signed with HMAC-SHA256, with an Idempotency-Key."""

    def __init__(self, url: str, secret: str, timeout: float = 30.0):
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def body(self, delivery_key: str, packet: Packet) -> bytes:
        return json.dumps(
            {
                "key": delivery_key,
                "ref": packet.ref,
                "department": packet.department,
                "version": packet.version,
                "deadline": packet.meta.get("deadline"),
                "files": {name: base64.b64encode(data).decode() for name, data in packet.files.items()},
            },
            ensure_ascii=False,
        ).encode()

    async def send(self, delivery_key: str, packet: Packet) -> str:
        body = self.body(delivery_key, packet)
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Timestamp": ts,
            "X-Signature": signature(self.secret, ts, body),
            "Idempotency-Key": delivery_key,
        }
        try:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.post(self.url, data=body, headers=headers) as resp,
            ):
                text = await resp.text()
                if not 200 <= resp.status < 300:
                    raise DeliveryFailed(f"HTTP {resp.status}")
        except (TimeoutError, aiohttp.ClientError) as e:
            raise DeliveryFailed(f"{type(e).__name__}") from e
        try:
            receipt = json.loads(text).get("receipt") if text else None
        except (ValueError, AttributeError):
            receipt = None
        return str(receipt or f"webhook:{resp.status}:{delivery_key}")[:255]


class TelegramNoticeChannel:
    """Queues a PII-free notice to the department's staff chat; the bot process sends it."""

    needs_files = False  # clerks pull the packet, built on demand, after authorisation

    def __init__(self, sessionmaker, chat_id: int):
        self.sessionmaker = sessionmaker
        self.chat_id = chat_id

    async def send(self, delivery_key: str, packet: Packet) -> str:
        key = f"notice:{delivery_key}"
        body = notices.case_notice(packet)
        try:
            async with UnitOfWork(self.sessionmaker) as uow:
                row = await uow.notifications.add("telegram", self.chat_id, body, dedup_key=key)
        except IntegrityError:  # a concurrent send of the same key got there first
            async with UnitOfWork(self.sessionmaker) as uow:
                row = await uow.notifications.by_key(key)
        if row is None:
            raise DeliveryFailed("notice not recorded")
        return f"notification:{row.id}"


def _read_receipt(final: Path) -> str:
    return json.loads((final / RECEIPT).read_text())["receipt"]


def age_recipient(public_key: str):
    """An age X25519 recipient (age1…); ValueError if the key is not one."""
    try:
        return pyrage.x25519.Recipient.from_str(public_key.strip())
    except Exception as exc:  # noqa: BLE001 - pyrage raises its own error types
        raise ValueError(f"not an age public key (age1…): {exc}") from None
