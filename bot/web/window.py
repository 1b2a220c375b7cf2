"""The window's queue of online submissions: open one, view the form and materials, accept/return/refuse."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.web.app import DESK, STAFF, refuse, render
from dialogs.form import FIELDS
from dialogs.masks import mask_name, mask_number
from dialogs.materials import SLOTS
from dialogs.status import APPLICATION_STATUS
from dispatch.packet import form_row
from office import access, window
from office.outcome import Result
from office.staff import authorize
from storage.uow import UnitOfWork

NO_RIGHT = "您没有窗口受理的权限。"
RETURNABLE_FIELDS = [(f.key, f.label) for f in FIELDS if f.key in window.ALL_FIELDS]
RETURNABLE_MATERIALS = [(k, SLOTS[k].title) for k in SLOTS if k in window.ALL_MATERIALS]


def field_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, shown value) of the frozen answers, in the form's order; the ID number masked."""
    answers = data.get("answers") or {}
    rows = []
    for spec in FIELDS:
        if spec.key not in answers:
            continue
        value = answers[spec.key]
        if spec.key == "id_number" and value:
            text = mask_number(str(value))
        else:
            row = form_row(spec, value)
            text = row.value or "、".join(row.chosen or []) or "未填写"
        rows.append((spec.label, text))
    return rows


def material_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, m in (data.get("materials") or {}).items():
        files = [
            {"n": i, "kind": f.get("kind"), "pages": f.get("pages", 1)} for i, f in enumerate(m.get("files") or [])
        ]
        out.append({"key": key, "title": m.get("title") or key, "files": files})
    return out


async def _allowed(uow, request: web.Request, action: str, target: str | None) -> bool:
    return await authorize(uow, request[STAFF].telegram_id, action, None, target=target) is not None


async def queue(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        if not await _allowed(uow, request, "view", "queue"):
            return refuse(request, NO_RIGHT)
        apps = await uow.applications.by_status("submitted")
        rows = [
            {
                "ref": a.ref,
                "name": mask_name((a.data.get("answers") or {}).get("name")),
                "submitted_at": a.submitted_at,
                "version": a.version,
            }
            for a in apps
        ]
    return render(request, "queue.html", {"rows": rows})


async def _detail(request: web.Request, uow, ref: str, result=None, status: int = 200) -> web.Response:
    app = await uow.applications.by_ref(ref)
    if app is None:
        return refuse(request, "未找到该申请。", 404)
    return render(
        request,
        "application.html",
        {
            "app": app,
            "status_text": APPLICATION_STATUS.get(app.status, app.status),
            "fields": field_rows(app.data),
            "materials": material_rows(app.data),
            "result": result,
            "returnable_fields": RETURNABLE_FIELDS,
            "returnable_materials": RETURNABLE_MATERIALS,
            "name": (app.data.get("answers") or {}).get("name"),
        },
        status=status,
    )


async def open_application(request: web.Request) -> web.Response:
    ref = request.match_info["ref"]
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        if not await _allowed(uow, request, "view", ref):
            return refuse(request, NO_RIGHT)
        return await _detail(request, uow, ref)


async def form_pdf(request: web.Request) -> web.Response:
    ref = request.match_info["ref"]
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        who = request[STAFF].telegram_id
        if not await _allowed(uow, request, "export", ref):
            return refuse(request, NO_RIGHT)
        packet = await access.full_packet(uow, desk.blobs, ref, f"tg:{who}", now=desk.now())
    if packet is None:
        return refuse(request, "未找到该申请。", 404)
    return web.Response(
        body=packet.files["form.pdf"],
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{ref}-form.pdf"'},
    )


async def material(request: web.Request) -> web.Response:
    ref, slot = request.match_info["ref"], request.match_info["slot"]
    n = int(request.match_info["n"])
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        if not await _allowed(uow, request, "view", ref):
            return refuse(request, NO_RIGHT)
        app = await uow.applications.by_ref(ref)
        files = (((app.data if app else {}).get("materials") or {}).get(slot) or {}).get("files") or []
        if n >= len(files):
            return refuse(request, "未找到该材料。", 404)
        uow.events.add(
            "material_viewed", f"tg:{request[STAFF].telegram_id}", {"slot": slot, "n": n}, application_id=app.id
        )
    f = files[n]
    return web.Response(
        body=desk.blobs.get(f["sha256"]),
        content_type=f.get("mime") or "application/octet-stream",
        headers={"Content-Disposition": f'inline; filename="{ref}-{slot}-{n + 1}"'},
    )


async def act(request: web.Request) -> web.Response:
    ref, action = request.match_info["ref"], request.match_info["action"]
    desk = request.app[DESK]
    form = await request.post()
    reason = str(form.get("reason", "")).strip()[:300]
    who = request[STAFF].telegram_id
    async with UnitOfWork(desk.sessionmaker) as uow:
        if not await _allowed(uow, request, action, ref):
            return refuse(request, NO_RIGHT)
        if action == "accept":
            result = await window.accept(uow, ref, f"tg:{who}", desk.now(), desk.calendar)
        elif action == "return":
            fields = [k for k in form.getall("field", []) if isinstance(k, str)]
            materials = [k for k in form.getall("material", []) if isinstance(k, str)]
            if not reason:
                result = Result(False, "invalid", "请填写退回原因。")
            elif not fields and not materials:
                result = Result(False, "invalid", "请勾选需要补正的信息或材料。")
            else:
                result = await window.return_for_correction(uow, ref, f"tg:{who}", reason, fields, materials)
        else:
            result = (
                await window.refuse(uow, ref, f"tg:{who}", reason)
                if reason
                else Result(False, "invalid", "请填写不予受理的原因。")
            )
        return await _detail(request, uow, ref, result, 200 if result.ok else 409)


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/queue", queue)
    router.add_get("/queue/{ref}", open_application)
    router.add_get("/queue/{ref}/form.pdf", form_pdf)
    router.add_get(r"/queue/{ref}/m/{slot}/{n:\d+}", material)
    router.add_post("/queue/{ref}/{action:accept|return|refuse}", act)
