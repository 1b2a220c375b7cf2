"""The outbox worker: once per department, crash recovery, retries, dead letters, leases."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from dialogs import departments
from dispatch.channels import FolderChannel
from dispatch.worker import Worker
from office import decisions
from office.deadlines import watch
from storage.models import Delivery, DepartmentCase, Event, Notification
from storage.uow import UnitOfWork
from tests.dispatch.conftest import Crash, RecordingChannel, accepted_application, rows


def worker(sm, blobs, config, clock, packer, channels, **kw) -> Worker:
    return Worker(sm, blobs, channels, config, clock=clock, packer=packer, rng=random.Random(1), **kw)


@pytest.fixture
def recording():
    return {d: RecordingChannel() for d in departments.KEYS}


async def test_each_department_gets_its_packet_once(sm, blobs, calendar, clock, config, fast_packer, recording):
    app = await accepted_application(sm, blobs, calendar, clock)
    w = worker(sm, blobs, config, clock, fast_packer, recording)
    assert await w.run_once() == 3
    assert await w.run_once() == 0
    for dept, channel in recording.items():
        assert channel.calls == [f"{app.ref}:{dept}:v1"]
        packet = channel.effects[f"{app.ref}:{dept}:v1"]
        assert json.loads(packet.files["data.json"])["department"] == dept
    outbox = await rows(sm, Delivery)
    assert {(d.status, d.attempts, d.receipt) for d in outbox} == {
        ("delivered", 1, f"rec:{app.ref}:{d.department}:v1") for d in outbox
    }
    assert {c.state for c in await rows(sm, DepartmentCase)} == {"delivered"}
    assert len([e for e in await rows(sm, Event) if e.kind == "packet_delivered"]) == 3
    # clerks of folder/webhook departments get a PII-free notice in their chat, once
    notices = [n for n in await rows(sm, Notification) if n.body["kind"] == "staff.case"]
    assert sorted(n.chat_id for n in notices) == ["101", "102", "103"]


async def test_crash_between_send_and_record_resends_same_key(
    sm, blobs, calendar, clock, config, fast_packer, recording
):
    app = await accepted_application(sm, blobs, calendar, clock)
    recording["hrss"].crash_after_send = 1
    w = worker(sm, blobs, config, clock, fast_packer, recording)
    with pytest.raises(Crash):
        await w.run_once(limit=1)
    hrss = [d for d in await rows(sm, Delivery) if d.department == "hrss"][0]
    assert hrss.status == "pending" and hrss.locked_until is not None
    assert await w.run_once() == 2  # the others; hrss stays leased
    assert await w.run_once() == 0
    clock.advance(seconds=config.lease + 1)  # the lease of the dead worker ends
    assert await w.run_once() == 1
    key = f"{app.ref}:hrss:v1"
    assert recording["hrss"].calls == [key, key]  # sent twice, with the same key...
    assert list(recording["hrss"].effects) == [key]  # ...one effect at the department
    assert {d.status for d in await rows(sm, Delivery)} == {"delivered"}


async def test_folder_department_sees_one_directory_after_a_crash(
    sm, blobs, calendar, clock, config, fast_packer, tmp_path
):
    app = await accepted_application(sm, blobs, calendar, clock)
    folder = FolderChannel(tmp_path / "outbox")
    w = worker(sm, blobs, config, clock, fast_packer, dict.fromkeys(departments.KEYS, folder))
    original = w._delivered

    async def crash_once(*args):
        w._delivered = original
        raise Crash()

    w._delivered = crash_once
    with pytest.raises(Crash):
        await w.run_once(limit=1)
    clock.advance(seconds=config.lease + 1)
    assert await w.run_once() == 3
    for dept in departments.KEYS:
        dirs = [p.name for p in (tmp_path / "outbox" / dept).iterdir()]
        assert dirs == [f"{app.ref}-v1"]
    assert {d.status for d in await rows(sm, Delivery)} == {"delivered"}


async def test_retries_with_backoff_then_dead_letter_and_admin_alert(
    sm, blobs, calendar, clock, config, fast_packer, recording
):
    app = await accepted_application(sm, blobs, calendar, clock)
    recording["tax"].fail = 99
    w = worker(sm, blobs, config, clock, fast_packer, recording)
    assert await w.run_once() == 3
    tax = [d for d in await rows(sm, Delivery) if d.department == "tax"][0]
    assert (tax.status, tax.attempts, tax.last_error) == ("retry", 1, "DeliveryFailed: simulated outage")
    delay = (tax.next_attempt_at.replace(tzinfo=None) - clock().replace(tzinfo=None)).total_seconds()
    assert 5 <= delay <= 10  # base 10 s with equal jitter
    assert await w.run_once() == 0  # not due yet
    for _ in range(config.max_attempts - 1):
        clock.advance(seconds=config.backoff_cap)
        assert await w.run_once() == 1
    tax = [d for d in await rows(sm, Delivery) if d.department == "tax"][0]
    assert (tax.status, tax.attempts) == ("dead", config.max_attempts)
    clock.advance(days=1)
    assert await w.run_once() == 0
    assert len(recording["tax"].calls) == config.max_attempts
    alerts = [n for n in await rows(sm, Notification) if n.body["kind"] == "admin.dead_letter"]
    assert len(alerts) == 1 and alerts[0].chat_id == "900" and app.ref in alerts[0].body["text"]
    assert "张" not in alerts[0].body["text"]
    assert [e.kind for e in await rows(sm, Event) if e.kind.startswith("delivery_")] == [
        "delivery_failed",
        "delivery_failed",
        "delivery_dead",
    ]
    case = [c for c in await rows(sm, DepartmentCase) if c.department == "tax"][0]
    assert case.state == "pending"


async def test_backoff_is_exponential_and_capped(sm, blobs, config, clock, fast_packer):
    w = worker(sm, blobs, config, clock, fast_packer, {})
    for attempts, ceiling in ((1, 10), (2, 20), (3, 40), (4, 60), (9, 60)):
        seconds = w.backoff(attempts).total_seconds()
        assert ceiling / 2 <= seconds <= ceiling


async def test_two_workers_never_claim_the_same_delivery(sm, blobs, calendar, clock, config, fast_packer):
    for _ in range(4):
        await accepted_application(sm, blobs, calendar, clock)
    a, b = (worker(sm, blobs, config, clock, fast_packer, {}, name=n) for n in ("a", "b"))
    first, second = await asyncio.gather(a.claim(20), b.claim(20))
    assert len(first) + len(second) == 12 and not set(first) & set(second)
    assert await a.claim(20) == []


async def test_withdrawn_application_is_not_delivered(sm, blobs, calendar, clock, config, fast_packer, recording):
    app = await accepted_application(sm, blobs, calendar, clock)
    async with UnitOfWork(sm) as uow:
        assert (await decisions.withdraw(uow, app.ref, "applicant", clock())).ok
    assert await worker(sm, blobs, config, clock, fast_packer, recording).run_once() == 0
    assert {d.status for d in await rows(sm, Delivery)} == {"cancelled"}
    assert {c.state for c in await rows(sm, DepartmentCase)} == {"withdrawn"}
    assert all(not c.calls for c in recording.values())


class Signalling(RecordingChannel):
    """Sets `all_sent` once every department has its packet: the test waits on it, not on a timer."""

    def __init__(self, everyone: dict, all_sent: asyncio.Event):
        super().__init__()
        self.everyone, self.all_sent = everyone, all_sent

    async def send(self, delivery_key, packet):
        receipt = await super().send(delivery_key, packet)
        if all(c.effects for c in self.everyone.values()):
            self.all_sent.set()
        return receipt


async def test_run_forever_drains_and_stops(sm, blobs, calendar, clock, config, fast_packer):
    await accepted_application(sm, blobs, calendar, clock)
    all_sent, stop, channels = asyncio.Event(), asyncio.Event(), {}
    channels.update({d: Signalling(channels, all_sent) for d in departments.KEYS})
    w = worker(sm, blobs, config, clock, fast_packer, channels)
    task = asyncio.create_task(
        w.run_forever(stop, poll_interval=3600, periodic=lambda: watch(sm, w.config, w.now(), calendar))
    )
    await asyncio.wait_for(all_sent.wait(), 10)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert {d.status for d in await rows(sm, Delivery)} == {"delivered"}
    assert all(len(c.calls) == 1 for c in channels.values())


async def test_a_bad_material_is_isolated_and_the_delivery_still_goes(sm, blobs, calendar, clock, config, recording):
    """A stored PDF that breaks the bundle (kept from before intake rewrote PDFs) or a lost file
    becomes a page naming that material; the department still gets its packet."""
    from dispatch.packet import build_packet

    app = await accepted_application(sm, blobs, calendar, clock)
    household = app.data["materials"]["household"]["files"]
    bad = b"%PDF-1.7\n" + b"[" * 5000 + b" garbage"
    household[0] |= {"sha256": blobs.put(bad), "kind": "pdf", "mime": "application/pdf"}
    blobs.path(household[1]["sha256"]).unlink()  # lost from the store
    async with UnitOfWork(sm) as uow:
        row = await uow.applications.by_ref(app.ref)
        row.data = json.loads(json.dumps(app.data))
    w = worker(sm, blobs, config, clock, build_packet, recording)
    assert await w.run_once() == 3
    assert {d.status for d in await rows(sm, Delivery)} == {"delivered"}
    packet = recording["hrss"].effects[f"{app.ref}:hrss:v1"]
    assert packet.meta["unreadable"] == ["户口簿本人页（第1个文件）", "户口簿本人页（第2个文件）"]
    assert b"%PDF" in packet.files["materials.pdf"][:8]


async def test_killed_workers_leases_do_not_count_as_attempts(
    sm, blobs, calendar, clock, config, fast_packer, recording
):
    """A worker killed after sending (its lease then lapses) made no failed attempt: however often that
    happens, the packet is delivered, not dead-lettered, and one real attempt is counted."""
    await accepted_application(sm, blobs, calendar, clock)
    recording["hrss"].crash_after_send = config.max_attempts + 2
    w = worker(sm, blobs, config, clock, fast_packer, recording)
    for _ in range(config.max_attempts + 2):
        with pytest.raises(Crash):
            await w.run_once(limit=1)
        clock.advance(seconds=config.lease + 1)
    assert await w.run_once() == 3
    hrss = [d for d in await rows(sm, Delivery) if d.department == "hrss"][0]
    assert (hrss.status, hrss.attempts) == ("delivered", 1)


async def test_start_removes_temp_folders_a_killed_worker_left(sm, blobs, config, fast_packer, tmp_path):
    import os
    import time

    folder = FolderChannel(tmp_path / "outbox")
    old, fresh = tmp_path / "outbox" / "hrss" / ".tmp-abc", tmp_path / "outbox" / "tax" / ".tmp-def"
    for d in (old, fresh):
        d.mkdir(parents=True)
        (d / "form.pdf").write_bytes(b"%PDF")
    blob_tmp = blobs.root / "ab" / "cd" / ".tmp-xyz"
    blob_tmp.parent.mkdir(parents=True)
    blob_tmp.write_bytes(b"half a photo")
    hour_ago = time.time() - 3600
    for p in (old, blob_tmp):
        os.utime(p, (hour_ago, hour_ago))
    w = Worker(sm, blobs, dict.fromkeys(("hrss", "medical", "tax"), folder), config, packer=fast_packer)
    assert w.sweep() == 2
    assert not old.exists() and not blob_tmp.exists()
    assert fresh.exists()  # may be another worker's write in progress
