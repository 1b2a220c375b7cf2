"""Channels: atomic folder writes, signed webhooks with retries, PII-free Telegram notices."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import random
import time

import pytest
from aiohttp import web

from dispatch import channels as channels_module
from dispatch.channels import DeliveryFailed, FolderChannel, TelegramNoticeChannel, WebhookChannel
from dispatch.config import ChannelConfig, DispatchConfig, build_channels
from dispatch.packet import Packet
from dispatch.signing import verify
from dispatch.worker import Worker
from storage.models import Delivery, Notification
from tests.dispatch.conftest import BANK, ID_NUMBER, NAME, PHONE, RecordingChannel, accepted_application, rows

SECRET = "kq3V9xZr-Tm2LpWc8Ns_Yd4Hf7Jb1Ge6Ua0Qo5Ri"  # 40 random characters


def packet(dept: str = "tax", version: int = 1) -> Packet:
    return Packet(
        ref="LJ260302-00010",
        department=dept,
        version=version,
        files={"data.json": b'{"a": 1}', "form.pdf": b"%PDF-1.7 fake"},
        meta={"case_id": 7, "deadline": "2026-03-23", "name": NAME},
    )


async def test_folder_channel_writes_atomically_and_idempotently(tmp_path, monkeypatch):
    folder = FolderChannel(tmp_path / "outbox")
    p = packet()
    final = tmp_path / "outbox" / "tax" / "LJ260302-00010-v1"
    seen = []
    real_rename = os.rename

    def watching_rename(src, dst):
        seen.append((final.exists(), sorted(os.listdir(src))))
        real_rename(src, dst)

    monkeypatch.setattr(channels_module.os, "rename", watching_rename)
    receipt = await folder.send(p.key, p)
    assert receipt == "folder:tax/LJ260302-00010-v1"
    assert seen == [(False, ["data.json", "form.pdf", "receipt.json"])]  # complete before visible
    assert (final / "form.pdf").read_bytes() == b"%PDF-1.7 fake"
    mtime = (final / "data.json").stat().st_mtime_ns
    assert await folder.send(p.key, p) == receipt  # the same key again: no second effect
    assert (final / "data.json").stat().st_mtime_ns == mtime and len(seen) == 1
    assert [x.name for x in final.parent.iterdir()] == [final.name]


async def test_folder_channel_leaves_nothing_after_a_failed_write(tmp_path, monkeypatch):
    folder = FolderChannel(tmp_path / "outbox")
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd):  # the disk fails while the second file is being made durable
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.EIO, "I/O error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        await folder.send("k", packet())
    assert calls["n"] == 2
    assert list((tmp_path / "outbox" / "tax").iterdir()) == []
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert await folder.send("k", packet()) == "folder:tax/LJ260302-00010-v1"


class Department:
    """A webhook department on 127.0.0.1: fails N times, checks signatures, dedups by key."""

    def __init__(self, fail: int = 0):
        self.fail = fail
        self.hold: asyncio.Event | None = None  # when set up, requests hang until it is set
        self.requests: list[dict] = []
        self.effects: dict[str, dict] = {}

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        signed = verify(
            SECRET, request.headers.get("X-Timestamp"), body, request.headers.get("X-Signature"), time.time()
        )
        key = request.headers.get("Idempotency-Key")
        self.requests.append({"signed": signed, "key": key})
        if self.hold is not None:
            await self.hold.wait()
        if not signed:
            return web.json_response({"error": "bad signature"}, status=401)
        if self.fail > 0:
            self.fail -= 1
            return web.json_response({"error": "busy"}, status=503)
        self.effects.setdefault(key, json.loads(body))
        return web.json_response({"receipt": f"MED-{len(self.effects)}"})


@pytest.fixture
async def department():
    dept = Department()
    app = web.Application()
    app.router.add_post("/packets", dept.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    dept.url = f"http://127.0.0.1:{port}/packets"
    yield dept
    if dept.hold is not None:
        dept.hold.set()
    await runner.cleanup()


async def test_webhook_signs_and_reports_failures(department):
    channel = WebhookChannel(department.url, SECRET, timeout=5)
    p = packet("medical")
    assert await channel.send(p.key, p) == "MED-1"
    sent = department.effects[p.key]
    assert sent["key"] == "LJ260302-00010:medical:v1" and sent["files"]["form.pdf"] == "JVBERi0xLjcgZmFrZQ=="
    assert department.requests[0]["signed"]
    with pytest.raises(DeliveryFailed, match="401"):
        await WebhookChannel(department.url, "wrong" * 8).send(p.key, p)
    department.hold = asyncio.Event()  # the department never answers: the channel's own timeout ends it
    with pytest.raises(DeliveryFailed, match="Timeout"):
        await asyncio.wait_for(WebhookChannel(department.url, SECRET, timeout=0.2).send(p.key, p), 10)
    with pytest.raises(DeliveryFailed):
        await WebhookChannel("http://127.0.0.1:9/none", SECRET, timeout=1).send(p.key, p)


async def test_webhook_department_retries_then_delivered(sm, blobs, calendar, clock, fast_packer, department, tmp_path):
    department.fail = 2
    app = await accepted_application(sm, blobs, calendar, clock)
    config = DispatchConfig(
        max_attempts=5,
        backoff_base=10,
        backoff_cap=60,
        departments={"medical": ChannelConfig(kind="webhook", url=department.url, secret=SECRET, timeout=5)},
    )
    chans = build_channels(config, tmp_path, sm)
    chans["hrss"] = chans["tax"] = RecordingChannel()
    w = Worker(sm, blobs, chans, config, clock=clock, packer=fast_packer, rng=random.Random(2))
    assert await w.run_once() == 3
    for _ in range(2):
        clock.advance(seconds=60)
        assert await w.run_once() == 1
    medical = [d for d in await rows(sm, Delivery) if d.department == "medical"][0]
    assert (medical.status, medical.attempts, medical.receipt) == ("delivered", 3, "MED-1")
    key = f"{app.ref}:medical:v1"
    assert [r["key"] for r in department.requests] == [key] * 3
    assert all(r["signed"] for r in department.requests) and list(department.effects) == [key]


async def test_config_refuses_incomplete_channels():
    with pytest.raises(ValueError):
        ChannelConfig(kind="webhook", url="https://x.example", secret="short")
    with pytest.raises(ValueError):
        ChannelConfig(kind="telegram")
    with pytest.raises(ValueError):
        DispatchConfig(departments={"police": ChannelConfig()})
    assert set(DispatchConfig().departments) == {"hrss", "medical", "tax"}


async def test_telegram_notice_is_pii_free_and_idempotent(sm):
    channel = TelegramNoticeChannel(sm, chat_id=-100123)
    p = packet("hrss")
    first = await channel.send(p.key, p)
    assert await channel.send(p.key, p) == first
    [note] = await rows(sm, Notification)
    assert (note.channel, note.chat_id, note.dedup_key) == ("telegram", "-100123", f"notice:{p.key}")
    body = note.body
    assert set(body) == {"kind", "text", "ref", "protect_content", "buttons"}
    assert "LJ260302-00010" in body["text"] and "张**" in body["text"] and "2026年03月23日" in body["text"]
    flat = json.dumps(body, ensure_ascii=False)
    for secret in (NAME, ID_NUMBER, PHONE, BANK):
        assert secret not in flat
    data = [b["data"] for row in body["buttons"] for b in row]
    assert data == ["k|claim|7", "k|open|7", "k|done|7", "k|correct|7", "k|reject|7"]
    assert all(len(d.encode()) <= 64 for d in data) and body["protect_content"] is True


async def test_folder_packets_are_encrypted_to_a_configured_department_key(tmp_path):
    import pyrage
    from pyrage import x25519

    tax_key, hrss_key = x25519.Identity.generate(), x25519.Identity.generate()
    folder = FolderChannel(tmp_path / "outbox", {"tax": str(tax_key.to_public())})
    secret = Packet(
        ref="LJ260302-00010",
        department="tax",
        version=1,
        files={
            "data.json": json.dumps({"id_number": ID_NUMBER, "bank": BANK}).encode(),
            "form.pdf": b"%PDF-1.7 " + PHONE.encode(),
        },
        meta={},
    )
    await folder.send(secret.key, secret)
    final = folder.target(secret)
    assert sorted(p.name for p in final.iterdir()) == ["data.json.age", "form.pdf.age", "receipt.json"]
    for p in final.iterdir():
        raw = p.read_bytes()
        assert ID_NUMBER.encode() not in raw and BANK.encode() not in raw and PHONE.encode() not in raw
    assert pyrage.decrypt((final / "form.pdf.age").read_bytes(), [tax_key]) == b"%PDF-1.7 " + PHONE.encode()
    assert json.loads(pyrage.decrypt((final / "data.json.age").read_bytes(), [tax_key]))["bank"] == BANK
    with pytest.raises(pyrage.DecryptError):  # another department's key does not open it
        pyrage.decrypt((final / "data.json.age").read_bytes(), [hrss_key])
    plain = Packet(ref="LJ260302-00010", department="hrss", version=1, files={"a.txt": b"x"}, meta={})
    await folder.send(plain.key, plain)  # no key configured for hrss: plain by design
    assert (folder.target(plain) / "a.txt").read_bytes() == b"x"


async def test_config_refuses_a_public_key_that_is_not_an_age_key():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ChannelConfig(public_key="-----BEGIN PGP PUBLIC KEY BLOCK-----")
    from pyrage import x25519

    assert ChannelConfig(public_key=str(x25519.Identity.generate().to_public())).public_key.startswith("age1")


@pytest.mark.parametrize(
    "url",
    ["http://dept.example/in", "ftp://dept.example/in", "https:///nohost", "http://10.0.0.5/in", "file:///etc/passwd"],
)
def test_webhook_urls_must_be_https(url):
    with pytest.raises(ValueError):
        ChannelConfig(kind="webhook", url=url, secret=SECRET)


@pytest.mark.parametrize("url", ["https://dept.example/in", "http://127.0.0.1:8080/in", "http://localhost/in"])
def test_https_or_local_http_is_accepted(url):
    assert ChannelConfig(kind="webhook", url=url, secret=SECRET).url == url


@pytest.mark.parametrize(
    "secret",
    [" " * 32, "s" * 40, "ab" * 20, "password" * 5, "0123456789" * 4, " " + "kq3V9xZr-Tm2LpWc8Ns_Yd4Hf7Jb1Ge6Ua0Qo5Ri"],
)
def test_webhook_secrets_need_real_entropy(secret):
    with pytest.raises(ValueError):
        ChannelConfig(kind="webhook", url="https://dept.example/in", secret=secret)


def test_a_generated_secret_is_accepted():
    import secrets

    for _ in range(20):
        assert ChannelConfig(kind="webhook", url="https://dept.example/in", secret=secrets.token_urlsafe(32))
        assert ChannelConfig(kind="webhook", url="https://dept.example/in", secret=secrets.token_hex(32))
