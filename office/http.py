"""Callback endpoint for webhook departments: signed decisions come back as actor webhook:<dept>.

Each signed body carries a nonce, recorded once with the answer: a replay gets that answer and has no
second effect. A signed body of the wrong shape is answered 400 and audited; unsigned requests are
rate-limited per remote address and audited in aggregate (one row a minute with the count)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from limits import parse

from dialogs.clock import utcnow
from dispatch.signing import MAX_SKEW, verify
from office import decisions
from office.staff import Actor
from storage.nonces import AlreadySeen
from storage.ratelimit import Limits
from storage.uow import UnitOfWork

MAX_BODY = 1 << 20
STATUS = {"ok": 200, "unchanged": 200, "not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 422}
NONCE = re.compile(r"[A-Za-z0-9_.:-]{16,128}")
TEXT_KEYS = ("ref", "department", "action", "nonce", "note", "reason", "actor")


def malformed(doc: Any) -> str | None:
    """Why a signed body cannot be acted on, or None."""
    if not isinstance(doc, dict):
        return "not an object"
    for key in TEXT_KEYS:
        if key in doc and doc[key] is not None and not isinstance(doc[key], str):
            return f"{key} must be a string"
    for key in ("ref", "action"):
        if not doc.get(key):
            return f"{key} missing"
    if not isinstance(doc.get("nonce"), str) or not NONCE.fullmatch(doc["nonce"]):
        return "nonce missing or not 16-128 characters of [A-Za-z0-9_.:-]"
    for key in ("fields", "materials"):
        value = doc.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            return f"{key} must be a list of strings"
    return None


class Refusals:
    """Unsigned requests: a moving-window limit per remote (this process's, or every process's over
    Redis), and one audit row per remote a minute (from each process)."""

    def __init__(self, rate: str = "60/minute", limits: Limits | None = None) -> None:
        self.limiter = limits or Limits()
        self.rate = parse(rate)
        self.pending: dict[str, int] = {}  # remote -> refusals not yet written
        self.written: dict[str, float] = {}  # remote -> when its last row was written

    async def allowed(self, remote: str) -> bool:
        return await self.limiter.hit(self.rate, "callback", remote)

    async def note(self, sessionmaker, remote: str, dept: str, now: float) -> None:
        self.pending[remote] = self.pending.get(remote, 0) + 1
        if now - self.written.get(remote, float("-inf")) >= 60:
            await self.flush(sessionmaker, remote, dept, now)

    async def flush(self, sessionmaker, remote: str, dept: str = "?", now: float | None = None) -> None:
        count = self.pending.pop(remote, 0)
        if not count:
            return
        self.written[remote] = time.time() if now is None else now
        async with UnitOfWork(sessionmaker) as uow:
            uow.audits.add(
                f"webhook:{dept[:16] or '?'}",
                "callback",
                None,
                False,
                {"why": "signature", "remote": remote, "count": count},
            )

    async def flush_all(self, sessionmaker) -> None:
        for remote in list(self.pending):
            await self.flush(sessionmaker, remote)


def make_app(
    sessionmaker,
    secrets: Mapping[str, str],
    *,
    clock: Callable[[], datetime] = utcnow,
    epoch: Callable[[], float] = time.time,
    unsigned_rate: str = "60/minute",
    limits: Limits | None = None,
) -> web.Application:
    """POST /callback {ref, department, action, nonce, note|reason|fields|materials, actor}."""
    refusals = Refusals(unsigned_rate, limits)

    async def callback(request: web.Request) -> web.Response:
        remote = request.remote or "?"
        body = await request.read()
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        dept = doc.get("department") if isinstance(doc, dict) else None
        dept = dept if isinstance(dept, str) else ""
        if not verify(
            secrets.get(dept, ""), request.headers.get("X-Timestamp"), body, request.headers.get("X-Signature"), epoch()
        ):
            limited = not await refusals.allowed(remote)
            await refusals.note(sessionmaker, remote, dept, epoch())
            if limited:
                return web.json_response({"ok": False, "code": "rate_limited"}, status=429)
            return web.json_response({"ok": False, "code": "unauthorized"}, status=401)
        why = malformed(doc)
        if why is not None:
            async with UnitOfWork(sessionmaker) as uow:
                uow.audits.add(f"webhook:{dept}", "callback", None, False, {"why": "malformed", "detail": why})
            return web.json_response({"ok": False, "code": "malformed", "message": why}, status=400)
        key = f"{dept}:{doc['nonce']}"
        try:
            return await _decide(sessionmaker, doc, dept, key, clock(), datetime.fromtimestamp(epoch(), UTC))
        except AlreadySeen:  # the same nonce arrived concurrently: answer as a replay
            return await _replayed(sessionmaker, dept, key, doc)

    async def on_cleanup(_app: web.Application) -> None:
        await refusals.flush_all(sessionmaker)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/callback", callback)
    app.on_cleanup.append(on_cleanup)
    return app


async def _decide(
    sessionmaker, doc: dict[str, Any], dept: str, key: str, now: datetime, received: datetime
) -> web.Response:
    async with UnitOfWork(sessionmaker) as uow:
        seen = await uow.callback_nonces.get(key)
        if seen is not None:
            uow.audits.add(f"webhook:{dept}", str(doc["action"]), doc["ref"], False, {"why": "replay"})
            return _answer(seen.status, seen.response, replay=True)
        await uow.callback_nonces.forget_before(received - timedelta(seconds=3 * MAX_SKEW))
        claimed = await uow.callback_nonces.claim(key, received)
        case = await decisions.case_of(uow, doc["ref"], dept)
        if case is None:
            uow.audits.add(f"webhook:{dept}", doc["action"], doc["ref"], False, {"why": "not_found"})
            status, answer = 404, {"ok": False, "code": "not_found"}
        else:
            result = await decisions.decide(
                uow,
                case.id,
                doc["action"],
                Actor.webhook(dept),
                now,
                note=doc.get("note"),
                reason=doc.get("reason"),
                fields=list(doc.get("fields") or []),
                materials=list(doc.get("materials") or []),
            )
            status = STATUS.get(result.code, 400)
            answer = {"ok": result.ok, "code": result.code, "state": result.state, "message": result.message}
        await uow.callback_nonces.answer(claimed, status, answer)
    return _answer(status, answer)


async def _replayed(sessionmaker, dept: str, key: str, doc: dict[str, Any]) -> web.Response:
    async with UnitOfWork(sessionmaker) as uow:
        seen = await uow.callback_nonces.get(key)
        uow.audits.add(f"webhook:{dept}", str(doc["action"]), doc["ref"], False, {"why": "replay"})
    if seen is None:
        return web.json_response({"ok": False, "code": "conflict"}, status=409)
    return _answer(seen.status, seen.response, replay=True)


def _answer(status: int, answer: dict[str, Any], replay: bool = False) -> web.Response:
    return web.json_response(answer, status=status, headers={"Idempotent-Replay": "true"} if replay else None)
