"""The web front door: one aiohttp application, department callbacks at /callback, the workbench at /desk/."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.web import auth
from dialogs.clock import local_text, utcnow
from dialogs.workdays import WorkCalendar
from storage.blobs import BlobStore
from storage.models import DeskSession, Staff
from storage.uow import UnitOfWork

HERE = Path(__file__).parent
COOKIE = "desk_session"
LOGIN_COOKIE = "desk_login"  # double-submit token of the sign-in form, before there is a session
MAX_BODY = 64 * 1024 * 1024  # a walk-in's scans: five slots of several pages
PUBLIC = ("/desk/", "/desk/login")
EVENT_NAMES = {
    "application_submitted": "提交申请",
    "application_accepted": "窗口受理",
    "application_returned": "退回补正",
    "application_refused": "不予受理",
    "application_resubmitted": "补正后重新提交",
    "packet_exported": "查看申报表",
    "packet_viewed": "部门查看材料",
    "material_viewed": "查看材料",
    "binding_code_issued": "打印回执（生成绑定码）",
    "application_bound": "绑定 Telegram 账号",
    "case_claim": "部门认领",
    "case_done": "部门办结",
    "case_correct": "部门要求补正",
    "case_reject": "部门不予受理",
    "case_resubmitted": "补正后重新推送",
    "application_completed": "全部办结",
    "application_partly_rejected": "办结（部分不予受理）",
    "application_withdrawn": "撤回",
    "delivered": "已推送到部门",
}


@dataclass
class Desk:
    sessionmaker: Any
    blobs: BlobStore
    calendar: WorkCalendar
    window_name: str = "政务服务中心“一件事一次办”窗口"
    phone: str = "12333"
    secure_cookies: bool = False
    bot_username: str = ""
    clock: Callable[[], datetime] = utcnow
    intake: Any = None  # bot.intake.IntakePool: scans are judged in its worker processes, as in the bot
    limits: Any = None  # storage.ratelimit.Limits of the callbacks' refusals (None: this process's own)

    def __post_init__(self) -> None:
        if self.intake is None:
            from bot.intake import IntakePool

            self.intake = IntakePool()  # started on the first upload

    def now(self) -> datetime:
        return self.clock()


DESK = web.AppKey("desk", Desk)
STAFF = web.RequestKey("staff", Staff)
CSRF = web.RequestKey("csrf", str)
SESSION = web.RequestKey("desk_session", DeskSession)


def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    base = {"staff": request.get(STAFF), "csrf": request.get(CSRF, ""), "path": request.path}
    return aiohttp_jinja2.render_template(template, request, base | context, status=status)


def refuse(request: web.Request, message: str, status: int = 403) -> web.Response:
    return render(request, "error.html", {"title": "无法办理", "message": message}, status=status)


@web.middleware
async def signed_in(request: web.Request, handler):
    if request.path in PUBLIC or request.path.startswith("/desk/static/"):
        return await handler(request)
    desk = request.app[DESK]
    csrf_ok = True
    async with UnitOfWork(desk.sessionmaker) as uow:
        cur = await auth.current(uow, request.cookies.get(COOKIE), desk.now())
        if cur.session is not None and request.method == "POST":
            form = await request.post()
            csrf_ok = hmac.compare_digest(str(form.get("csrf", "")), cur.session.csrf)
            if not csrf_ok:
                uow.audits.add(f"desk:{cur.staff.telegram_id}", "csrf", request.path[:64], False, {})
    if cur.session is None:
        why = "expired" if cur.problem and "过期" in cur.problem else "inactive" if cur.problem else "login"
        # Also for a form sent after the session ended: nothing is done, the browser goes to sign in.
        raise web.HTTPSeeOther(f"/desk/?why={why}")
    if not csrf_ok:
        return refuse(request, "表单安全校验未通过（页面可能已过期），请返回上一页刷新后重试。")
    request[STAFF], request[CSRF], request[SESSION] = cur.staff, cur.session.csrf, cur.session
    return await handler(request)


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    h = response.headers
    h.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'self'; "
        "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'",
    )
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "SAMEORIGIN")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Cache-Control", "no-store")


def make_desk(desk: Desk) -> web.Application:
    from bot.web import cases, clerk, pages, uploads, walkin, window

    app = web.Application(middlewares=[signed_in], client_max_size=MAX_BODY)
    app[DESK] = desk
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.globals["mask"] = pages.mask
    env.filters["bjtime"] = lambda value: local_text(value) if value else ""
    env.filters["cnday"] = lambda d: f"{d.year}年{d.month}月{d.day}日" if d else ""
    env.filters["event_name"] = lambda kind: EVENT_NAMES.get(kind, kind)
    app.on_response_prepare.append(_headers)
    app.router.add_static("/static/", HERE / "static", name="static")
    for module in (pages, window, walkin, uploads, cases, clerk):
        module.routes(app.router)
    return app


@web.middleware
async def _callback_limit(request: web.Request, handler):
    """The department callbacks keep their own 1 MB limit; only the workbench takes scans."""
    from office.http import MAX_BODY as CALLBACK_MAX

    if not request.path.startswith("/desk/") and (request.content_length or 0) > CALLBACK_MAX:
        raise web.HTTPRequestEntityTooLarge(max_size=CALLBACK_MAX, actual_size=request.content_length)
    return await handler(request)


def make_app(desk: Desk, callback_secrets: Mapping[str, str] | None = None) -> web.Application:
    """The whole listener: the department callbacks (dispatch/http.py) and the workbench under /desk/."""
    from office.http import make_app as make_callbacks

    root = web.Application(middlewares=[_callback_limit], client_max_size=MAX_BODY)
    callbacks = make_callbacks(desk.sessionmaker, callback_secrets or {}, clock=desk.clock, limits=desk.limits)
    for route in callbacks.router.routes():
        root.router.add_route(route.method, route.resource.canonical, route.handler)
    root.add_subapp("/desk/", make_desk(desk))

    async def home(request: web.Request) -> web.Response:
        raise web.HTTPFound("/desk/")

    root.router.add_get("/", home)
    return root
