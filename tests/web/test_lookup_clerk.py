"""Looking a case up (audited), and a department's clerks working their queue at the workbench."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from storage.models import Audit, Delivery, DepartmentCase
from storage.uow import UnitOfWork
from tests.web.conftest import CLERK_HRSS, CLERK_TAX, HELPDESK, WINDOW, Web, online_application


async def _accepted(web: Web, sm, blobs) -> str:
    ref = await online_application(sm, blobs)
    await web.login(WINDOW)
    await web.post(f"/desk/queue/{ref}/accept", csrf_from=f"/desk/queue/{ref}")
    return ref


async def _case_id(sm, dept: str) -> int:
    async with sm() as db:
        return await db.scalar(select(DepartmentCase.id).where(DepartmentCase.department == dept))


async def _deliver(sm) -> None:
    """What the worker does once a packet reached the department (cases leave `pending`)."""
    async with UnitOfWork(sm) as uow:
        for case in await uow.db.scalars(select(DepartmentCase)):
            case.state = "delivered"
        for d in await uow.db.scalars(select(Delivery)):
            d.status = "delivered"


async def test_look_up_by_reference_shows_departments_deadline_and_trail(web: Web, sm, blobs):
    ref = await _accepted(web, sm, blobs)
    resp = await web.client.get(f"/desk/lookup?q={ref.lower()}", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == f"/desk/case/{ref}"
    page = await (await web.client.get(f"/desk/case/{ref}")).text()
    for expected in ("人社", "医保", "税务", "等待推送", "剩余", "个工作日", "窗口受理", "审计日志", "王窗口（9001）"):
        assert expected in page, expected
    missing = await (await web.client.get("/desk/lookup?q=LJ260302-0000021")).text()
    assert "没有找到" in missing
    async with sm() as db:
        lookups = list(await db.scalars(select(Audit).where(Audit.action == "lookup")))
        views = list(await db.scalars(select(Audit).where(Audit.action == "case_view")))
    assert [(a.target, a.allowed, a.detail["by"]) for a in lookups] == [
        (ref, True, "ref"),
        ("LJ260302-0000021", False, "ref"),
    ]
    assert views and all(a.actor == f"tg:{WINDOW}" for a in views)


async def test_look_up_by_id_number_is_keyed_and_never_logs_the_number(web: Web, sm, blobs):
    await _accepted(web, sm, blobs)
    page = await (await web.client.get("/desk/lookup?q=130102199001011237")).text()
    assert "请在下面的查询框中输入" in page and "130102199001011237" not in page
    page = await (await web.post("/desk/lookup", {"q": "130102 19900101 1237"}, csrf_from="/desk/lookup")).text()
    assert "LJ260302-0000013" in page and "130102199001011237" not in page and "130***********1237" in page
    page = await (await web.post("/desk/lookup", {"q": "11010519491231002X"}, csrf_from="/desk/lookup")).text()
    assert "没有找到" in page
    async with sm() as db:
        details = [a.detail for a in await db.scalars(select(Audit))]
    assert "130102199001011237" not in str(details)
    by_id = [d for d in details if d.get("by") == "id_number"]
    assert [d["matches"] for d in by_id] == [["LJ260302-0000013"], []]


async def test_clerks_and_help_desk_cannot_look_cases_up(web: Web, sm, blobs):
    ref = await _accepted(web, sm, blobs)
    await web.post("/desk/logout")
    for who in (CLERK_HRSS, HELPDESK):
        await web.login(who)
        assert (await web.client.get(f"/desk/lookup?q={ref}")).status == 403
        assert (await web.client.get(f"/desk/case/{ref}")).status == 403
        await web.post("/desk/logout")


async def test_a_clerk_claims_views_and_finishes_a_case(web: Web, sm, blobs):
    ref = await _accepted(web, sm, blobs)
    await _deliver(sm)
    await web.post("/desk/logout")
    await web.login(CLERK_HRSS)
    home = await (await web.client.get("/desk/home")).text()
    assert "/desk/dept/hrss" in home and "/desk/queue" not in home
    case_id = await _case_id(sm, "hrss")
    queue = await (await web.client.get("/desk/dept/hrss")).text()
    assert ref in queue and "张**" in queue
    resp = await web.post(f"/desk/dept/hrss/{case_id}/claim", csrf_from=f"/desk/dept/hrss/{case_id}")
    assert "已认领" in await resp.text()
    pdf = await web.client.get(f"/desk/dept/hrss/{case_id}/packet/form.pdf")
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(await pdf.read())).pages).replace("\x00", "")
    assert "人社部门" in text.replace(" ", "")
    resp = await web.post(f"/desk/dept/hrss/{case_id}/correct", {"reason": ""}, csrf_from=f"/desk/dept/hrss/{case_id}")
    assert resp.status == 409 and "请填写原因" in await resp.text()
    resp = await web.post(
        f"/desk/dept/hrss/{case_id}/done", {"note": "登记号123"}, csrf_from=f"/desk/dept/hrss/{case_id}"
    )
    assert resp.status == 200 and "已办结" in await resp.text()
    async with sm() as db:
        case = await db.get(DepartmentCase, case_id)
    assert (case.state, case.note, case.claimed_by) == ("done", "登记号123", CLERK_HRSS)


async def test_a_clerk_of_another_department_is_refused(web: Web, sm, blobs):
    await _accepted(web, sm, blobs)
    await _deliver(sm)
    await web.post("/desk/logout")
    await web.login(CLERK_TAX)
    case_id = await _case_id(sm, "hrss")
    assert (await web.client.get("/desk/dept/hrss")).status == 403
    assert (await web.client.get(f"/desk/dept/hrss/{case_id}")).status == 403
    assert (await web.client.get(f"/desk/dept/hrss/{case_id}/packet/form.pdf")).status == 403
    resp = await web.post(f"/desk/dept/hrss/{case_id}/claim")
    assert resp.status == 403 and "没有权限办理该部门的件" in await resp.text()
    async with sm() as db:
        case = await db.get(DepartmentCase, case_id)
        refused = list(
            await db.scalars(select(Audit).where(Audit.actor == f"tg:{CLERK_TAX}", Audit.allowed.is_(False)))
        )
    assert case.state == "delivered" and case.claimed_by is None
    assert {a.detail["why"] for a in refused} == {"department"}
