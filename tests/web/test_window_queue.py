"""The window's queue of online submissions: open, view, accept, return, refuse; role refusals."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from storage.models import Application, Audit, Delivery, DepartmentCase, Event, Notification
from tests.web.conftest import CLERK_HRSS, HELPDESK, WINDOW, Web, online_application, remove


async def _app(sm) -> Application:
    async with sm() as db:
        return await db.scalar(select(Application))


async def _notices(sm) -> list[Notification]:
    async with sm() as db:
        return list(await db.scalars(select(Notification).order_by(Notification.id)))


async def test_queue_lists_and_opens_a_submission_with_its_form_and_materials(web: Web, sm, blobs):
    ref = await online_application(sm, blobs)
    await web.login(WINDOW)
    queue = await (await web.client.get("/desk/queue")).text()
    assert ref in queue and "张**" in queue and "张三丰" not in queue
    page = await (await web.client.get(f"/desk/queue/{ref}")).text()
    assert "户口簿本人页" in page and "居民身份证（人像面）" in page and "130***********1237" in page
    assert f"/desk/queue/{ref}/m/household/1" in page and 'alt="户口簿本人页 第2个文件"' in page
    pdf = await web.client.get(f"/desk/queue/{ref}/form.pdf")
    assert pdf.content_type == "application/pdf" and pdf.headers["Content-Disposition"].startswith("inline")
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(await pdf.read())).pages)
    text = text.replace("\x00", "").replace(" ", "")
    assert "张三丰" in text and "灵活就业" in text
    photo = await web.client.get(f"/desk/queue/{ref}/m/household/0")
    assert photo.content_type == "image/png" and (await photo.read()).startswith(b"\x89PNG")
    assert (await web.client.get(f"/desk/queue/{ref}/m/household/9")).status == 404
    async with sm() as db:
        kinds = list(await db.scalars(select(Event.kind)))
        actions = list(await db.scalars(select(Audit.action).where(Audit.actor == f"tg:{WINDOW}")))
    assert "packet_exported" in kinds and "material_viewed" in kinds
    assert {"view", "export"} <= set(actions)


async def test_accept_uses_the_window_service_and_notifies_the_applicant(web: Web, sm, blobs):
    ref = await online_application(sm, blobs)
    await web.login(WINDOW)
    resp = await web.post(f"/desk/queue/{ref}/accept", csrf_from=f"/desk/queue/{ref}")
    assert resp.status == 200 and "已受理，办结时限" in await resp.text()
    app = await _app(sm)
    assert app.status == "accepted" and app.deadline is not None
    async with sm() as db:
        assert len(list(await db.scalars(select(DepartmentCase)))) == 3
        assert len(list(await db.scalars(select(Delivery)))) == 3
        actor = await db.scalar(select(Event.actor).where(Event.kind == "application_accepted"))
    assert actor == f"tg:{WINDOW}"
    [notice] = await _notices(sm)
    assert notice.chat_id == "111" and ref in notice.body["text"]
    again = await web.post(f"/desk/queue/{ref}/accept", csrf_from=f"/desk/case/{ref}")
    assert "该申请已受理" in await again.text()
    assert ref not in await (await web.client.get("/desk/queue")).text()


async def test_return_for_correction_needs_a_reason_and_items(web: Web, sm, blobs):
    ref = await online_application(sm, blobs)
    await web.login(WINDOW)
    resp = await web.post(f"/desk/queue/{ref}/return", {"field": "phone"}, csrf_from=f"/desk/queue/{ref}")
    assert resp.status == 409 and "请填写退回原因" in await resp.text()
    resp = await web.post(f"/desk/queue/{ref}/return", {"reason": "照片不清"}, csrf_from=f"/desk/queue/{ref}")
    assert resp.status == 409 and "请勾选需要补正" in await resp.text()
    assert (await _app(sm)).status == "submitted"
    resp = await web.post(
        f"/desk/queue/{ref}/return",
        {"reason": "身份证照片不清晰", "field": "phone", "material": "id_front"},
        csrf_from=f"/desk/queue/{ref}",
    )
    assert resp.status == 200 and "已退回补正" in await resp.text()
    app = await _app(sm)
    assert app.status == "returned"
    assert app.data["window_return"] == {"reason": "身份证照片不清晰", "fields": ["phone"], "materials": ["id_front"]}
    [notice] = await _notices(sm)
    assert "身份证照片不清晰" in notice.body["text"]


async def test_refuse_with_a_reason(web: Web, sm, blobs):
    ref = await online_application(sm, blobs)
    await web.login(WINDOW)
    resp = await web.post(f"/desk/queue/{ref}/refuse", {"reason": ""}, csrf_from=f"/desk/queue/{ref}")
    assert resp.status == 409 and "请填写不予受理的原因" in await resp.text()
    resp = await web.post(f"/desk/queue/{ref}/refuse", {"reason": "档案不在省内"}, csrf_from=f"/desk/queue/{ref}")
    assert "已不予受理" in await resp.text()
    assert (await _app(sm)).status == "refused"
    assert "档案不在省内" in (await _notices(sm))[0].body["text"]


async def test_clerks_and_help_desk_cannot_work_the_window_queue(web: Web, sm, blobs):
    ref = await online_application(sm, blobs)
    for who in (CLERK_HRSS, HELPDESK):
        await web.login(who)
        assert (await web.client.get("/desk/queue")).status == 403
        assert (await web.client.get(f"/desk/queue/{ref}/form.pdf")).status == 403
        resp = await web.post(f"/desk/queue/{ref}/accept")
        assert resp.status == 403 and "没有窗口受理的权限" in await resp.text()
        await web.post("/desk/logout")
    assert (await _app(sm)).status == "submitted"
    async with sm() as db:
        refused = list(await db.scalars(select(Audit).where(Audit.allowed.is_(False), Audit.action == "accept")))
    assert {a.actor for a in refused} == {f"tg:{CLERK_HRSS}", f"tg:{HELPDESK}"}


async def test_a_removed_window_clerk_cannot_accept(web: Web, sm, blobs):
    ref = await online_application(sm, blobs)
    await web.login(WINDOW)
    token = await web.csrf(f"/desk/queue/{ref}")
    await remove(sm, WINDOW)
    resp = await web.client.post(f"/desk/queue/{ref}/accept", data={"csrf": token}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/desk/?why=inactive"
    assert "已停用" in await (await web.client.get(resp.headers["Location"])).text()
    assert (await _app(sm)).status == "submitted"
