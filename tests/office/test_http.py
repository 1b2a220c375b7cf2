"""Department callbacks over HTTP: signed requests decide, unsigned or stale ones get 401 and audit."""

from __future__ import annotations

import json
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from office.http import make_app
from dispatch.signing import signature
from storage.models import Audit, DepartmentCase
from tests.dispatch.conftest import accepted_application, rows

SECRET = "t" * 40


@pytest.fixture
async def client(sm, clock):
    app = make_app(sm, {"tax": SECRET}, clock=clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def post(client, doc, *, secret=SECRET, ts=None, sig=None):
    body = json.dumps(doc).encode()
    ts = str(int(time.time())) if ts is None else ts
    headers = {"X-Timestamp": ts, "X-Signature": sig or signature(secret, ts, body),
               "Content-Type": "application/json"}
    return await client.post("/callback", data=body, headers=headers)


async def deliver_all(sm):
    from sqlalchemy import update
    from storage.uow import UnitOfWork
    async with UnitOfWork(sm) as uow:
        await uow.db.execute(update(DepartmentCase).values(state="delivered"))


async def test_signed_callback_decides(sm, blobs, calendar, clock, client):
    app = await accepted_application(sm, blobs, calendar, clock)
    await deliver_all(sm)
    resp = await post(client, {"ref": app.ref, "department": "tax", "action": "done", "note": "已申报"})
    assert resp.status == 200 and (await resp.json())["state"] == "done"
    resp = await post(client, {"ref": app.ref, "department": "tax", "action": "done"})
    assert resp.status == 200 and (await resp.json())["code"] == "unchanged"  # a replay changes nothing
    resp = await post(client, {"ref": "LJ000000-00000", "department": "tax", "action": "done"})
    assert resp.status == 404
    tax = [c for c in await rows(sm, DepartmentCase) if c.department == "tax"][0]
    assert (tax.state, tax.note) == ("done", "已申报")


@pytest.mark.parametrize("case", ["unsigned", "wrong_secret", "stale", "other_department", "garbage"])
async def test_unsigned_or_stale_callback_is_refused_and_audited(sm, blobs, calendar, clock, client, case):
    app = await accepted_application(sm, blobs, calendar, clock)
    await deliver_all(sm)
    doc = {"ref": app.ref, "department": "tax", "action": "reject", "reason": "x"}
    if case == "unsigned":
        resp = await client.post("/callback", json=doc)
    elif case == "wrong_secret":
        resp = await post(client, doc, secret="w" * 40)
    elif case == "stale":
        resp = await post(client, doc, ts=str(int(time.time()) - 301))
    elif case == "other_department":  # hrss has no secret configured here
        resp = await post(client, doc | {"department": "hrss"})
    else:
        resp = await client.post("/callback", data=b"\xff not json", headers={"X-Timestamp": "1"})
    assert resp.status == 401
    assert {c.state for c in await rows(sm, DepartmentCase)} == {"delivered"}
    [audit] = await rows(sm, Audit, Audit.action == "callback")
    assert audit.allowed is False and audit.actor.startswith("webhook:")
