"""A department's clerks at the workbench: their queue, the packet, claim/done/correction/reject."""

from __future__ import annotations

from aiohttp import web

from bot.web.app import DESK, STAFF, refuse, render
from dialogs.form import BY_KEY
from dialogs.masks import mask_name
from dialogs.materials import SLOTS
from dialogs.status import CASE_STATUS, DEPARTMENTS
from dispatch.routing import FIELDS_BY_DEPARTMENT, MATERIALS
from office import access, decisions
from office.staff import Actor, authorize
from states.application import CASE_OPEN
from storage.uow import UnitOfWork

NO_RIGHT = "您没有权限办理该部门的件。"
FILES = {"form.pdf": "application/pdf", "materials.pdf": "application/pdf", "data.json": "application/json"}


async def dept_queue(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    dept = request.match_info["dept"]
    staff = request[STAFF]
    async with UnitOfWork(desk.sessionmaker) as uow:
        if (
            dept not in DEPARTMENTS
            or await authorize(uow, staff.telegram_id, "view", dept, target=f"queue:{dept}") is None
        ):
            return refuse(request, NO_RIGHT)
        pairs = await uow.cases.open_of_accepted(sorted(CASE_OPEN))
    rows = [
        {
            "id": c.id,
            "ref": a.ref,
            "name": mask_name((a.data.get("answers") or {}).get("name")),
            "state": CASE_STATUS.get(c.state, c.state),
            "mine": c.claimed_by == staff.telegram_id,
            "claimed": c.claimed_by is not None,
            "deadline": a.deadline,
        }
        for c, a in pairs
        if c.department == dept
    ]
    return render(request, "dept_queue.html", {"dept": dept, "dept_name": DEPARTMENTS[dept], "rows": rows})


async def _case_page(request, uow, dept: str, case_id: int, result=None, status: int = 200) -> web.Response:
    case = await uow.cases.get(case_id)
    if case is None or case.department != dept:
        return refuse(request, "未找到该件。", 404)
    app = await uow.applications.get(case.application_id)
    return render(
        request,
        "dept_case.html",
        {
            "dept": dept,
            "dept_name": DEPARTMENTS[dept],
            "case": case,
            "app": app,
            "state": CASE_STATUS.get(case.state, case.state),
            "result": result,
            "name": mask_name((app.data.get("answers") or {}).get("name")),
            "fields": [(k, BY_KEY[k].label) for k in FIELDS_BY_DEPARTMENT[dept] if k in BY_KEY],
            "materials": [(k, SLOTS[k].title) for k in MATERIALS[dept]],
            "claimed_by_me": case.claimed_by == request[STAFF].telegram_id,
        },
        status=status,
    )


async def dept_case(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    dept, case_id = request.match_info["dept"], int(request.match_info["case"])
    async with UnitOfWork(desk.sessionmaker) as uow:
        if (
            dept not in DEPARTMENTS
            or await authorize(uow, request[STAFF].telegram_id, "view", dept, target=f"case:{case_id}") is None
        ):
            return refuse(request, NO_RIGHT)
        return await _case_page(request, uow, dept, case_id)


async def packet_file(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    dept, case_id, name = request.match_info["dept"], int(request.match_info["case"]), request.match_info["name"]
    async with UnitOfWork(desk.sessionmaker) as uow:
        case = await uow.cases.get(case_id)
        if case is None or case.department != dept:
            return refuse(request, "未找到该件。", 404)
        result, packet = await access.case_packet(
            uow, desk.blobs, case_id, Actor.staff(request[STAFF].telegram_id), now=desk.now()
        )
    if packet is None:
        return refuse(request, result.message, 403 if result.code == "forbidden" else 404)
    if name not in packet.files:
        return refuse(request, "该件没有这个文件。", 404)
    return web.Response(
        body=packet.files[name],
        content_type=FILES[name],
        headers={"Content-Disposition": f'inline; filename="{packet.ref}-{dept}-{name}"'},
    )


async def decide(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    dept, case_id, action = request.match_info["dept"], int(request.match_info["case"]), request.match_info["action"]
    form = await request.post()
    async with UnitOfWork(desk.sessionmaker) as uow:
        case = await uow.cases.get(case_id)
        if case is None or case.department != dept:
            return refuse(request, "未找到该件。", 404)
        result = await decisions.decide(
            uow,
            case_id,
            action,
            Actor.staff(request[STAFF].telegram_id),
            desk.now(),
            note=str(form.get("note", ""))[:300],
            reason=str(form.get("reason", ""))[:300],
            fields=[str(k) for k in form.getall("field", [])],
            materials=[str(k) for k in form.getall("material", [])],
        )
        if result.code == "forbidden":
            return refuse(request, result.message)
        return await _case_page(request, uow, dept, case_id, result, 200 if result.ok else 409)


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/dept/{dept}", dept_queue)
    router.add_get(r"/dept/{dept}/{case:\d+}", dept_case)
    router.add_get(r"/dept/{dept}/{case:\d+}/packet/{name:form\.pdf|materials\.pdf|data\.json}", packet_file)
    router.add_post(r"/dept/{dept}/{case:\d+}/{action:claim|release|done|correct|reject}", decide)
