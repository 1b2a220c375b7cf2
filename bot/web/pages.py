"""Sign-in, sign-out and the home page of the workbench."""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from bot.web import auth
from bot.web.app import COOKIE, DESK, LOGIN_COOKIE, SESSION, STAFF, render
from dialogs.masks import mask_number
from dialogs.status import DEPARTMENTS
from office.staff import Role
from storage.uow import UnitOfWork

WHY = {
    "expired": "您已30分钟没有操作，登录已过期，请重新登录。",
    "inactive": "该工作人员账号已停用，不能继续使用工作台。",
    "login": "请先登录。",
    "logout": "您已安全退出。",
}
ROLE_NAMES = {"admin": "管理员", "window": "窗口受理人员", "clerk": "部门经办人员", "helpdesk": "咨询客服"}


def mask(value) -> str:
    return mask_number(str(value)) if value else "未填写"


def _login_page(request: web.Request, message: str = "", status: int = 200, account: str = "") -> web.Response:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", {"message": message, "login_csrf": token, "account": account}, status=status)
    desk = request.app[DESK]
    resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="Strict", secure=desk.secure_cookies, path="/desk/")
    return resp


async def login_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        cur = await auth.current(uow, request.cookies.get(COOKIE), desk.now())
    if cur.session is not None:
        raise web.HTTPSeeOther("/desk/home")
    return _login_page(request, WHY.get(request.query.get("why", ""), ""))


async def login(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    form = await request.post()
    account, password = str(form.get("account", ""))[:40], str(form.get("password", ""))[:200]
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(str(form.get("csrf", "")), expected):
        return _login_page(request, "表单安全校验未通过（页面可能已过期），请重新输入。", 403, account)
    if not account or not password:
        return _login_page(request, "请输入工作人员账号和密码。", 400, account)
    async with UnitOfWork(desk.sessionmaker) as uow:
        result = await auth.login(uow, account, password, desk.now(), request.remote)
    if not result.ok:
        return _login_page(request, result.message, 403, account)
    resp = web.HTTPSeeOther("/desk/home")
    resp.set_cookie(COOKIE, result.token, httponly=True, samesite="Strict", secure=desk.secure_cookies, path="/desk/")
    resp.del_cookie(LOGIN_COOKIE, path="/desk/")
    raise resp


async def logout(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        await auth.logout(uow, request[SESSION], request[STAFF])
    resp = web.HTTPSeeOther("/desk/?why=logout")
    resp.del_cookie(COOKIE, path="/desk/")
    raise resp


async def home(request: web.Request) -> web.Response:
    staff = request[STAFF]
    role = Role(staff.role)
    return render(
        request,
        "home.html",
        {
            "role_name": ROLE_NAMES.get(staff.role, staff.role),
            "window": role in (Role.window, Role.admin),
            "clerk_dept": staff.department if role == Role.clerk else None,
            "admin": role == Role.admin,
            "departments": list(DEPARTMENTS.items()),
        },
    )


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/", login_page)
    router.add_post("/login", login)
    router.add_post("/logout", logout)
    router.add_get("/home", home)
