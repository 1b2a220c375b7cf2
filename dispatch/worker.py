"""The outbox worker: lease due deliveries, build each packet, send it, record the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from dialogs import notices
from dialogs.clock import utc, utcnow
from dispatch.channels import Channel
from dispatch.config import DispatchConfig
from dispatch.packet import Packet, PacketSource, build_packet
from states.application import AppState, CaseState, Model, Refused, case_machine, fire
from storage.blobs import BlobStore
from storage.models import Delivery, DepartmentCase
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
Packer = Callable[[PacketSource, str, BlobStore], Packet]


class Worker:
    """At-least-once: a crash between send and record re-sends the same key after the lease ends."""

    def __init__(
        self,
        sessionmaker,
        blobs: BlobStore,
        channels: Mapping[str, Channel],
        config: DispatchConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
        packer: Packer = build_packet,
        rng: random.Random | None = None,
        name: str = "worker",
    ):
        self.sessionmaker = sessionmaker
        self.blobs = blobs
        self.channels = channels
        self.config = config
        self.clock = clock
        self.packer = packer
        self.rng = rng or random.Random()
        self.name = name

    def now(self) -> datetime:
        return utc(self.clock())

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with equal jitter: half the delay fixed, half random; capped."""
        delay = min(self.config.backoff_cap, self.config.backoff_base * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=delay / 2 + self.rng.random() * delay / 2)

    def sweep(self) -> int:
        """At start: temp folders and files a killed worker left in the outbox and the blob store."""
        removed = self.blobs.sweep()
        for channel in {id(c): c for c in self.channels.values()}.values():
            removed += channel.sweep() if hasattr(channel, "sweep") else 0
        if removed:
            log.info("removed %d temp files or folders left by a killed process", removed)
        return removed

    async def run_once(self, limit: int | None = None) -> int:
        """Process the due deliveries once; returns how many were attempted."""
        ids = await self.claim(limit or self.config.batch)
        for delivery_id in ids:
            await self.process(delivery_id)
        return len(ids)

    async def run_forever(
        self,
        stop: asyncio.Event,
        poll_interval: float | None = None,
        periodic: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Poll until `stop` is set; also run `periodic` (the back office's deadline watch) every
        remind_every seconds."""
        poll = self.config.poll_interval if poll_interval is None else poll_interval
        next_check = 0.0
        self.sweep()
        while not stop.is_set():
            try:
                busy = await self.run_once()
                if periodic is not None and asyncio.get_running_loop().time() >= next_check:
                    next_check = asyncio.get_running_loop().time() + self.config.remind_every
                    await periodic()
            except Exception:  # keep polling: a bad pass must not end the worker
                log.exception("dispatch pass failed")
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll)

    async def claim(self, limit: int) -> list[int]:
        """One transaction and one statement for the batch (Deliveries.lease_due)."""
        now = self.now()
        until = now + timedelta(seconds=self.config.lease)
        async with UnitOfWork(self.sessionmaker) as uow:
            skip_locked = await uow.dialect() == "postgresql"  # SQLite has one writer at a time anyway
            return await uow.deliveries.lease_due(now, until, limit, skip_locked=skip_locked)

    async def process(self, delivery_id: int) -> None:
        async with UnitOfWork(self.sessionmaker) as uow:
            d, app, case = await uow.deliveries.with_case(delivery_id)
            if app.status != AppState.accepted or case is None or case.state == CaseState.withdrawn:
                await uow.deliveries.finish(d.id, status="cancelled")
                return
            if case.version > d.version:  # a newer packet for this department replaces this one
                await uow.deliveries.finish(d.id, status="superseded")
                return
            source = PacketSource.of(app, case_id=case.id)
        source = replace(source, version=d.version)  # the key names the version this row carries
        try:
            channel = self.channels[d.department]
            # A notice-only channel (Telegram) shows no files: skip rendering the PDFs for it.
            kw = {} if getattr(channel, "needs_files", True) else {"render_pdfs": False}
            packet = await asyncio.to_thread(self.packer, source, d.department, self.blobs, **kw)
            receipt = await channel.send(packet.key, packet)
        except Exception as e:  # noqa: BLE001 - one delivery's failure is retried, never fatal to the worker
            await self._failed(d, e)
            return
        await self._delivered(d, packet, receipt, case)

    async def _delivered(self, d: Delivery, packet: Packet, receipt: str, seen: DepartmentCase) -> None:
        """`seen`: the case as process() read it; read again only if it changed meanwhile."""
        async with UnitOfWork(self.sessionmaker) as uow:
            now = self.now()
            if not await uow.deliveries.finish(
                d.id, attempted=True, status="delivered", delivered_at=now, receipt=str(receipt)[:255], last_error=None
            ):
                return
            if not await self._case_delivered(uow, seen, now):  # a clerk (or another worker) moved it
                await self._case_delivered(uow, await uow.cases.of(d.application_id, d.department), now)
            channel = self.config.departments[d.department]
            if channel.kind != "telegram":  # clerks still get a PII-free notice in their chat
                await uow.notifications.to_chat(
                    channel.chat_id, notices.case_notice(packet), dedup_key=f"notice:{packet.key}"
                )
            uow.events.add(
                "packet_delivered",
                self.name,
                {"department": d.department, "version": d.version, "receipt": str(receipt)[:255]},
                application_id=d.application_id,
            )

    @staticmethod
    async def _case_delivered(uow: UnitOfWork, case: DepartmentCase, now: datetime) -> bool:
        """Fire 'deliver' on the case as last read (compare-and-set); False if it is no longer so."""
        try:
            new = fire(case_machine(), "deliver", Model(case.state, case.claimed_by))
        except Refused:
            return False  # already delivered (an earlier version) or decided, as far as this read knows
        return await uow.cases.swap(case, case.state, case.claimed_by, state=new, updated_at=now)

    async def _failed(self, d: Delivery, error: Exception) -> None:
        message = f"{type(error).__name__}: {error}"[:500]
        log.warning("delivery %s (%s v%s) failed: %s", d.id, d.department, d.version, type(error).__name__)
        async with UnitOfWork(self.sessionmaker) as uow:
            now = self.now()
            row = await uow.deliveries.get(d.id)
            app = await uow.applications.get(d.application_id)
            attempts = row.attempts + 1  # this failure included
            payload = {"department": d.department, "version": d.version, "attempts": attempts, "error": message}
            if attempts >= self.config.max_attempts:
                if await uow.deliveries.finish(d.id, attempted=True, status="dead", last_error=message):
                    uow.events.add("delivery_dead", self.name, payload, application_id=d.application_id)
                    await uow.notifications.to_chat(
                        self.config.admin_chat_id,
                        notices.dead_letter(app.ref, d.department, attempts, message),
                        dedup_key=f"dead:{app.ref}:{d.department}:v{d.version}",
                    )
                return
            if await uow.deliveries.finish(
                d.id, attempted=True, status="retry", last_error=message, next_attempt_at=now + self.backoff(attempts)
            ):
                uow.events.add("delivery_failed", self.name, payload, application_id=d.application_id)
