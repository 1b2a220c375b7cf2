"""Department callbacks over HTTP: signed requests decide, unsigned or stale ones get 401 and audit."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer

from dispatch.signing import signature
from office.http import make_app
from storage.models import Audit, DepartmentCase
from tests.dispatch.conftest import accepted_application, rows

SECRET = "t" * 40


@pytest.fixture
async def client(sm, clock):
    app = make_app(sm, {"tax": SECRET}, clock=clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


def nonce() -> str:
    return uuid.uuid4().hex


async def post(client, doc, *, secret=SECRET, ts=None, sig=None, fresh=True):
    if fresh and isinstance(doc, dict) and "nonce" not in doc:
        doc = doc | {"nonce": nonce()}
    body = json.dumps(doc).encode()
    ts = str(int(time.time())) if ts is None else ts
    headers = {"X-Timestamp": ts, "X-Signature": sig or signature(secret, ts, body), "Content-Type": "application/json"}
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
    assert resp.status == 200 and (await resp.json())["code"] == "unchanged"  # a repeat changes nothing
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


async def test_a_replayed_request_has_no_second_effect(sm, blobs, calendar, clock, client):
    """The issue's attack: a replayed signed `correct` put the case back into correction and
    notified the applicant again. Now the nonce is recorded once and the replay gets the first answer."""
    from storage.models import Notification

    app = await accepted_application(sm, blobs, calendar, clock)
    await deliver_all(sm)
    doc = {
        "ref": app.ref,
        "department": "tax",
        "action": "correct",
        "reason": "请补充身份证",
        "materials": ["id_front"],
        "nonce": nonce(),
    }
    ts = str(int(time.time()))
    first = await post(client, doc, ts=ts)
    assert first.status == 200 and (await first.json())["state"] == "correction"
    notified = len(await rows(sm, Notification))
    for _ in range(3):
        again = await post(client, doc, ts=ts)
        assert again.status == 200 and again.headers.get("Idempotent-Replay") == "true"
        assert await again.json() == await first.json()
    assert len(await rows(sm, Notification)) == notified
    replays = await rows(sm, Audit, Audit.action == "correct")
    assert sum(1 for a in replays if a.detail.get("why") == "replay") == 3


@pytest.mark.parametrize(
    "doc",
    [
        {"ref": ["LJ"], "department": "tax", "action": "done"},
        {"ref": "LJ", "department": "tax", "action": {"x": 1}},
        {"ref": "LJ", "department": "tax", "action": "correct", "fields": "name"},
        {"ref": "LJ", "department": "tax", "action": "correct", "materials": [1, 2]},
        {"ref": "LJ", "department": "tax", "action": "done", "note": 5},
        {"ref": "LJ", "department": "tax", "action": "done", "nonce": "short"},
        {"ref": "LJ", "department": "tax", "action": "done", "nonce": None},
    ],
    ids=["ref list", "action object", "fields string", "materials ints", "note number", "short nonce", "no nonce"],
)
async def test_malformed_but_signed_bodies_get_400_and_are_audited(sm, client, doc):
    body = json.dumps(doc).encode()
    ts = str(int(time.time()))
    headers = {"X-Timestamp": ts, "X-Signature": signature(SECRET, ts, body)}
    resp = await client.post("/callback", data=body, headers=headers)
    assert resp.status == 400 and (await resp.json())["code"] == "malformed"
    [audit] = await rows(sm, Audit, Audit.action == "callback")
    assert audit.allowed is False and audit.detail["why"] == "malformed"


@pytest.mark.parametrize("doc", [[1, 2, 3], "done", 7, None, {"department": ["tax"]}])
async def test_bodies_that_name_no_department_are_refused_not_500(sm, client, doc):
    body = json.dumps(doc).encode()
    ts = str(int(time.time()))
    resp = await client.post(
        "/callback", data=body, headers={"X-Timestamp": ts, "X-Signature": signature(SECRET, ts, body)}
    )
    assert resp.status == 401


def test_malformed_names_what_is_wrong():
    from office.http import malformed

    assert malformed([1]) and malformed(None) and malformed({"ref": 1}) and malformed({"fields": {}})
    ok = {"ref": "LJ1", "department": "tax", "action": "done", "nonce": nonce()}
    assert malformed(ok) is None


async def test_an_unsigned_flood_is_rate_limited_and_audited_in_aggregate(sm, clock):
    app = make_app(sm, {"tax": SECRET}, clock=clock, unsigned_rate="20/minute")
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        codes = [(await c.post("/callback", data=b"garbage %d" % n)).status for n in range(100)]
        assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
        rows_during = await rows(sm, Audit, Audit.action == "callback")
        assert len(rows_during) == 1 and rows_during[0].detail["count"] == 1
    # at shutdown the suppressed refusals are written as one row with their count
    after = await rows(sm, Audit, Audit.action == "callback")
    assert len(after) == 2 and sum(a.detail["count"] for a in after) == 100
