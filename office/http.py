"""Callback endpoint for webhook departments: signed decisions come back as actor webhook:<dept>."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from aiohttp import web

from office import decisions
from dialogs.clock import utcnow
from dispatch.signing import verify
from office.staff import Actor
from storage.uow import UnitOfWork

MAX_BODY = 1 << 20
STATUS = {"ok": 200, "unchanged": 200, "not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 422}


def make_app(sessionmaker, secrets: Mapping[str, str], *, clock: Callable[[], datetime] = utcnow,
             epoch: Callable[[], float] = time.time) -> web.Application:
    """POST /callback {ref, department, action, note|reason|fields|materials, actor}."""

    async def callback(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            doc = json.loads(body)
            dept = str(doc.get("department") or "")
        except (ValueError, AttributeError):
            doc, dept = None, ""
        secret = secrets.get(dept, "")
        if doc is None or not verify(secret, request.headers.get("X-Timestamp"), body,
                                     request.headers.get("X-Signature"), epoch()):
            async with UnitOfWork(sessionmaker) as uow:
                uow.audits.add(f"webhook:{dept[:16] or '?'}", "callback", None, False,
                                   {"why": "signature", "remote": request.remote})
            return web.json_response({"ok": False, "code": "unauthorized"}, status=401)
        async with UnitOfWork(sessionmaker) as uow:
            case = await decisions.case_of(uow, str(doc.get("ref") or ""), dept)
            if case is None:
                uow.audits.add(f"webhook:{dept}", str(doc.get("action")), doc.get("ref"), False,
                                   {"why": "not_found"})
                return web.json_response({"ok": False, "code": "not_found"}, status=404)
            result = await decisions.decide(
                uow, case.id, str(doc.get("action") or ""), Actor.webhook(dept), clock(),
                note=doc.get("note"), reason=doc.get("reason"),
                fields=[str(f) for f in doc.get("fields") or []],
                materials=[str(m) for m in doc.get("materials") or []])
        return web.json_response({"ok": result.ok, "code": result.code, "state": result.state,
                                  "message": result.message}, status=STATUS.get(result.code, 400))

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/callback", callback)
    return app
