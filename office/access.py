"""Authorised, audited pulls of packets: a clerk opens a case, the window or admin exports the whole."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from dispatch.packet import Packet, PacketSource, build_full_packet, build_packet
from office.outcome import FORBIDDEN, NOT_FOUND, OK, Result
from office.staff import Actor, authorize_actor
from states.application import CASE_FINISHED, AppState
from storage.blobs import BlobStore
from storage.models import Staff
from storage.uow import UnitOfWork

WINDOW_QUEUE = frozenset({AppState.submitted, AppState.returned})  # what the window still has to decide
TAKEN = "该件已办结或已由其他工作人员认领，仅管理员可查看。"


async def case_packet(
    uow: UnitOfWork, blobs: BlobStore, case_id: int, actor: Actor, **kw: Any
) -> tuple[Result, Packet | None]:
    """A department's packet: for its clerks while the case is unclaimed or claimed by them and not finished;
    finished cases and colleagues' cases for admins only; never for the window role."""
    case = await uow.cases.get(case_id)
    app = await uow.applications.get(case.application_id) if case else None
    target = f"{app.ref}:{case.department}" if case and app else f"case:{case_id}"
    principal = await authorize_actor(uow, actor, "view_case", case.department if case else None, target=target)
    if case is None or app is None:
        return Result(False, NOT_FOUND, "未找到该件。"), None
    if principal is None:
        return Result(False, FORBIDDEN, "您没有权限查看该件。"), None
    if not principal.admin and (case.state in CASE_FINISHED or case.claimed_by not in (None, principal.claimer)):
        uow.audits.add(
            principal.key,
            "packet_view",
            target,
            False,
            {"case": case.id, "why": "finished" if case.state in CASE_FINISHED else "claimed_by_other"},
        )
        return Result(False, FORBIDDEN, TAKEN, state=case.state), None
    source = PacketSource.of(app, case_id=case.id)
    packet = await asyncio.to_thread(build_packet, source, case.department, blobs, **kw)
    _viewed(uow, principal.key, target, app, packet, case.id)
    return Result(True, OK, _unreadable(packet), state=case.state), packet


async def window_packet(
    uow: UnitOfWork, blobs: BlobStore, ref: str, staff: Staff, **kw: Any
) -> tuple[Result, Packet | None]:
    """The whole application for the window while it is in the window's queue (an admin: always)."""
    app = await uow.applications.by_ref(ref)
    if app is None:
        uow.audits.add(f"tg:{staff.telegram_id}", "packet_view", ref, False, {"why": "not_found"})
        return Result(False, NOT_FOUND, "未找到该申请。"), None
    if staff.role != "admin" and app.status not in WINDOW_QUEUE:
        uow.audits.add(f"tg:{staff.telegram_id}", "packet_view", ref, False, {"why": "not_in_window_queue"})
        return Result(False, FORBIDDEN, "该申请已由窗口处理完毕，材料仅管理员可查看。", state=app.status), None
    packet = await asyncio.to_thread(build_full_packet, PacketSource.of(app), blobs, **kw)
    _viewed(uow, f"tg:{staff.telegram_id}", ref, app, packet, None)
    return Result(True, OK, _unreadable(packet), state=app.status), packet


def _viewed(uow: UnitOfWork, who: str, target: str, app, packet: Packet, case_id: int | None) -> None:
    """Who saw which case and which parts: the files sent and the materials inside them."""
    materials = sorted(json.loads(packet.files["data.json"]).get("materials") or {})
    uow.audits.add(
        who,
        "packet_view",
        target,
        True,
        {
            "case": case_id,
            "department": packet.department,
            "version": app.version,
            "parts": sorted(packet.files),
            "materials": materials,
        },
    )
    uow.events.add(
        "packet_viewed", who, {"department": packet.department, "version": app.version}, application_id=app.id
    )


def _unreadable(packet: Packet) -> str:
    bad = packet.meta.get("unreadable") or []
    return f"注意：以下材料无法显示，材料包中以说明页代替：{'、'.join(bad)}" if bad else ""


async def full_packet(uow: UnitOfWork, blobs: BlobStore, ref: str, actor: str, **kw: Any) -> Packet | None:
    """Every department's fields and materials; `actor` was authorised by the caller (CLI, window)."""
    app = await uow.applications.by_ref(ref)
    uow.audits.add(actor, "export", ref, app is not None, {})
    if app is None:
        return None
    packet = await asyncio.to_thread(build_full_packet, PacketSource.of(app), blobs, **kw)
    uow.events.add("packet_exported", actor, {"version": app.version}, application_id=app.id)
    uow.audits.add(
        actor, "packet_view", ref, True, {"case": None, "department": packet.department, "parts": sorted(packet.files)}
    )
    return packet
