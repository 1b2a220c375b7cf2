"""Look up a case (by reference or, keyed, by ID number), its departments and trail; print the receipt."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.web.app import DESK, STAFF, refuse, render
from dialogs.clock import local_day
from dialogs.idnumbers import normalize_id
from dialogs.masks import mask_number
from dialogs.reference import is_valid_reference
from dialogs.status import APPLICATION_STATUS, CASE_STATUS, DEPARTMENTS
from office import binding
from office.receipt import Receipt, qr_payload, render_receipt
from office.staff import authorize
from office.walkin import CHANNEL
from storage.status import application_view
from storage.uow import UnitOfWork

NO_RIGHT = "您没有查询办件的权限。"
ID_LOOKUP = "find_by_id_number"
WHO = {
    "applicant": "申请人",
    "auto": "自动受理",
    "webhook": "部门系统",
    "desk": "工作台",
    "telegram": "申请人（Telegram）",
}
ACTION_NAMES = {
    "view": "查看",
    "export": "查看申报表",
    "accept": "受理",
    "return": "退回补正",
    "refuse": "不予受理",
    "claim": "认领",
    "release": "释放",
    "done": "办结",
    "correct": "要求补正",
    "reject": "不予受理",
    "case_view": "查看办件",
    "lookup": "查询",
    "receipt": "打印回执",
    "bind": "绑定 Telegram",
    "csrf": "表单校验未通过",
}  # the keyed (blind-index) repository method of Applications


async def lookup(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    if request.method == "POST":
        q = str((await request.post()).get("q", "")).strip()[:40]
    else:
        q = request.query.get("q", "").strip()[:40]
    staff = request[STAFF]
    async with UnitOfWork(desk.sessionmaker) as uow:
        if await authorize(uow, staff.telegram_id, "view", None, target="lookup") is None:
            return refuse(request, NO_RIGHT)
        if not q:
            return render(request, "lookup.html", {"q": "", "found": None, "message": ""})
        apps = uow.applications
        if is_valid_reference(q):
            app = await apps.by_ref(q.upper())
            uow.audits.add(f"tg:{staff.telegram_id}", "lookup", q.upper(), app is not None, {"by": "ref"})
            found = [app] if app else []
        elif request.method != "POST":  # an ID number never goes into a URL (history, proxy logs)
            return render(
                request, "lookup.html", {"q": "", "found": None, "message": "按证件号码查询请在下面的查询框中输入。"}
            )
        else:
            number = normalize_id(q)
            found = await apps.by_id_number(number)  # the keyed blind index: nothing is decrypted to search
            uow.audits.add(
                f"tg:{staff.telegram_id}",
                "lookup",
                None,
                bool(found),
                {"by": "id_number", "matches": [a.ref for a in found]},
            )
            q = mask_number(number)
        rows = [
            {"ref": a.ref, "status": APPLICATION_STATUS.get(a.status, a.status), "submitted_at": a.submitted_at}
            for a in found
        ]
    if len(rows) == 1 and is_valid_reference(q):
        raise web.HTTPSeeOther(f"/desk/case/{rows[0]['ref']}")
    return render(
        request, "lookup.html", {"q": q, "found": rows, "message": "" if rows else "没有找到符合条件的申请。"}
    )


async def case_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    ref = request.match_info["ref"]
    staff = request[STAFF]
    async with UnitOfWork(desk.sessionmaker) as uow:
        if await authorize(uow, staff.telegram_id, "view", None, target=ref) is None:
            return refuse(request, NO_RIGHT)
        app = await uow.applications.by_ref(ref)
        uow.audits.add(f"tg:{staff.telegram_id}", "case_view", ref, app is not None, {})
        if app is None:
            return refuse(request, "未找到该申请。", 404)
        view = await application_view(uow, app, desk.calendar, local_day(desk.now()))
        events = await uow.events.for_application(app.id)
        trail = await uow.audit_trail.for_ref(ref)
        applicant = await uow.applicants.get(app.applicant_id)
        names = {f"tg:{m.telegram_id}": f"{m.name}（{m.telegram_id}）" for m in await uow.staff.all(True)}
    answers = app.data.get("answers") or {}
    return render(
        request,
        "case.html",
        {
            "who": lambda actor: names.get(actor) or WHO.get(actor.split(":")[0], actor),
            "action_name": lambda action: ACTION_NAMES.get(action, action),
            "app": app,
            "view": view,
            "status_text": APPLICATION_STATUS.get(app.status, app.status),
            "cases": [
                (DEPARTMENTS.get(c.department, c.department), CASE_STATUS.get(c.state, c.state), c.note)
                for c in view.cases
            ],
            "events": events,
            "trail": trail,
            "name": answers.get("name") or "",
            "masked_id": mask_number(str(answers.get("id_number") or "")),
            "walkin": applicant.channel == CHANNEL,
            "new": request.query.get("new") == "1",
        },
    )


async def receipt(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    ref = request.match_info["ref"]
    staff = request[STAFF]
    actor = f"tg:{staff.telegram_id}"
    async with UnitOfWork(desk.sessionmaker) as uow:
        if await authorize(uow, staff.telegram_id, "accept", None, target=ref) is None:
            return refuse(request, "您没有出具受理回执的权限。")
        app = await uow.applications.by_ref(ref)
        if app is None:
            return refuse(request, "未找到该申请。", 404)
        if app.accepted_at is None:
            return refuse(request, "该申请尚未受理，不能出具受理回执。", 409)
        applicant = await uow.applicants.get(app.applicant_id)
        code, expires = "", None
        if applicant.channel == CHANNEL:  # not bound yet: a fresh one-time code (older ones stop working)
            code, expires = await binding.issue(uow, app, actor, desk.now())
        uow.audits.add(actor, "receipt", ref, True, {"code_issued": bool(code)})
        answers = app.data.get("answers") or {}
        r = Receipt(
            ref=app.ref,
            name=str(answers.get("name") or ""),
            masked_id=mask_number(str(answers.get("id_number") or "")),
            accepted_at=app.accepted_at,
            deadline=app.deadline,
            provisional=bool(app.deadline_provisional),
            window=desk.window_name,
            staff_number=str(staff.id),
            phone=desk.phone,
            code=code,
            code_expires=expires,
            qr_payload=qr_payload(code, desk.bot_username) if code else "",
        )
    pdf = await asyncio.to_thread(render_receipt, r)
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{ref}-receipt.pdf"'},
    )


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/lookup", lookup)
    router.add_post("/lookup", lookup)
    router.add_get("/case/{ref}", case_page)
    router.add_post("/case/{ref}/receipt", receipt)
