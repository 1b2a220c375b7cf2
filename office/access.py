"""Authorised, audited pulls of packets: a clerk opens a case, the window or admin exports the whole."""

from __future__ import annotations

import asyncio
from typing import Any

from office.outcome import FORBIDDEN, NOT_FOUND, OK, Result
from dispatch.packet import Packet, PacketSource, build_full_packet, build_packet
from office.staff import Actor, authorize_actor
from storage.blobs import BlobStore
from storage.uow import UnitOfWork


async def case_packet(uow: UnitOfWork, blobs: BlobStore, case_id: int, actor: Actor,
                      **kw: Any) -> tuple[Result, Packet | None]:
    """The department's own packet for a clerk of that department (action "view")."""
    case = await uow.cases.get(case_id)
    app = await uow.applications.get(case.application_id) if case else None
    target = f"{app.ref}:{case.department}" if case and app else f"case:{case_id}"
    principal = await authorize_actor(uow, actor, "view", case.department if case else None, target=target)
    if case is None or app is None:
        return Result(False, NOT_FOUND, "未找到该件。"), None
    if principal is None:
        return Result(False, FORBIDDEN, "您没有权限查看该件。"), None
    source = PacketSource.of(app, case_id=case.id)
    packet = await asyncio.to_thread(build_packet, source, case.department, blobs, **kw)
    uow.events.add("packet_viewed", principal.key, {"department": case.department, "version": app.version},
                   application_id=app.id)
    return Result(True, OK, "", state=case.state), packet


async def full_packet(uow: UnitOfWork, blobs: BlobStore, ref: str, actor: str,
                      **kw: Any) -> Packet | None:
    """Every department's fields and materials; `actor` was authorised by the caller (CLI, window)."""
    app = await uow.applications.by_ref(ref)
    uow.audits.add(actor, "export", ref, app is not None, {})
    if app is None:
        return None
    packet = await asyncio.to_thread(build_full_packet, PacketSource.of(app), blobs, **kw)
    uow.events.add("packet_exported", actor, {"version": app.version}, application_id=app.id)
    return packet
