"""Signing in to the workbench: passwords, cookie flags, lockout, CSRF, idle expiry, logout, removed staff."""

from __future__ import annotations

import io
import sys

from sqlalchemy import select

from bot.web import auth
from bot.web.app import Desk, make_app
from storage.models import Application, Audit, DeskCredential
from storage.uow import UnitOfWork
from tests.web.conftest import ADMIN, PASSWORD, WINDOW, Web, online_application, remove


async def _audits(sm, action: str) -> list[Audit]:
    async with sm() as db:
        return list(await db.scalars(select(Audit).where(Audit.action == action).order_by(Audit.id)))


async def test_login_page_is_chinese_with_labelled_fields(web: Web):
    page = await web.client.get("/desk/")
    html = await page.text()
    assert page.status == 200 and 'lang="zh-CN"' in html and "工作人员登录" in html
    assert '<label for="account">' in html and '<label for="password">' in html
    cookie = page.cookies["desk_login"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


async def test_login_sets_a_strict_httponly_session_cookie_and_hashes_with_argon2(web: Web, sm):
    resp = await web.login(WINDOW)
    assert resp.status == 303 and resp.headers["Location"] == "/desk/home"
    cookie = resp.cookies["desk_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"]
    home = await (await web.client.get("/desk/home")).text()
    assert "王窗口" in home and "现场受理录入" in home
    async with sm() as db:
        hashes = list(await db.scalars(select(DeskCredential.password_hash)))
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert [a.allowed for a in await _audits(sm, "desk_login")] == [True]


async def test_secure_cookie_behind_tls(sm, blobs, calendar, wclock, staff):
    from aiohttp.test_utils import TestClient, TestServer

    client = TestClient(TestServer(make_app(Desk(sm, blobs, calendar, secure_cookies=True, clock=wclock))))
    await client.start_server()
    try:
        page = await client.get("/desk/")
        assert page.cookies["desk_login"]["secure"]
    finally:
        await client.close()


async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(web: Web, sm, wclock):
    for _ in range(4):
        resp = await web.login(WINDOW, "wrong password!")
        assert resp.status == 403 and "账号或密码不正确" in await resp.text()
        wclock.advance(minutes=1)
    resp = await web.login(WINDOW, "wrong password!")
    text = await resp.text()
    assert "已被锁定" in text and "15分钟" in text and "北京时间" in text
    wclock.advance(minutes=5)
    resp = await web.login(WINDOW)  # the right password, but locked
    assert resp.status == 403 and "已被锁定" in await resp.text()
    wclock.advance(minutes=10, seconds=1)
    assert (await web.login(WINDOW)).status == 303
    why = [a.detail.get("why") for a in await _audits(sm, "desk_login")]
    assert why.count("wrong_password") == 5 and why.count("locked") == 1
    assert len(await _audits(sm, "desk_lock")) == 1


async def test_wrong_passwords_spread_over_more_than_fifteen_minutes_do_not_lock(web: Web, wclock):
    for _ in range(6):
        resp = await web.login(WINDOW, "wrong password!")
        assert "锁定15分钟" in await resp.text() and "已被锁定" not in await resp.text()
        wclock.advance(minutes=4)


async def test_a_form_without_the_csrf_token_is_refused_and_audited(web: Web, sm, blobs):
    ref = await online_application(sm, blobs)
    await web.login(WINDOW)
    resp = await web.client.post(f"/desk/queue/{ref}/accept", data={"csrf": "forged"})
    assert resp.status == 403 and "安全校验未通过" in await resp.text()
    resp = await web.client.post(f"/desk/queue/{ref}/accept", data={})
    assert resp.status == 403
    async with sm() as db:
        assert (await db.scalar(select(Application.status))) == "submitted"
    assert [a.allowed for a in await _audits(sm, "csrf")] == [False, False]


async def test_the_login_form_needs_its_own_token(web: Web):
    await web.client.get("/desk/")
    resp = await web.client.post("/desk/login", data={"csrf": "x", "account": str(WINDOW), "password": PASSWORD})
    assert resp.status == 403 and "安全校验未通过" in await resp.text()


async def test_idle_sessions_expire_after_thirty_minutes(web: Web, sm, wclock):
    await web.login(WINDOW)
    wclock.advance(minutes=29)
    assert (await web.client.get("/desk/home", allow_redirects=False)).status == 200
    wclock.advance(minutes=29)  # active 29 minutes ago: still fine
    assert (await web.client.get("/desk/home", allow_redirects=False)).status == 200
    wclock.advance(minutes=30, seconds=1)
    resp = await web.client.get("/desk/home", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/desk/?why=expired"
    page = await (await web.client.get("/desk/?why=expired")).text()
    assert "登录已过期" in page


async def test_logout_ends_the_session(web: Web):
    await web.login(WINDOW)
    resp = await web.post("/desk/logout", allow_redirects=False)
    assert resp.status == 303
    assert (await web.client.get("/desk/home", allow_redirects=False)).status == 303


async def test_a_removed_staff_member_is_signed_out_and_cannot_sign_in(web: Web, sm):
    await web.login(WINDOW)
    await remove(sm, WINDOW)
    resp = await web.client.get("/desk/queue", allow_redirects=False)
    assert resp.status == 303 and "why=inactive" in resp.headers["Location"]
    resp = await web.login(WINDOW)
    assert resp.status == 403 and "已停用" in await resp.text()


async def test_an_applicant_has_no_account(web: Web):
    resp = await web.login(111, PASSWORD)  # a Telegram user who is no staff member
    assert resp.status == 403 and "账号或密码不正确" in await resp.text()
    resp = await web.login("not-a-number", PASSWORD)
    assert resp.status == 403


async def test_a_new_password_signs_out_old_sessions(web: Web, sm, wclock):
    await web.login(ADMIN)
    async with UnitOfWork(sm) as uow:
        assert await auth.set_password(uow, ADMIN, "another long password", wclock()) is None
        assert "至少" in await auth.set_password(uow, ADMIN, "short", wclock())
        assert "没有这个" in await auth.set_password(uow, 424242, "another long password", wclock())
    assert (await web.client.get("/desk/home", allow_redirects=False)).status == 303
    assert (await web.login(ADMIN, PASSWORD)).status == 403
    assert (await web.login(ADMIN, "another long password")).status == 303


def test_staff_passwd_reads_one_line_from_stdin(tmp_path, monkeypatch, capsys):
    from bot.__main__ import main

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert main(["staff", "add", "7001", "周窗口", "window"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert main(["staff", "passwd", "7001"]) == 0
    assert "已为工作人员 7001 设置工作台密码" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    main(["staff", "passwd", "7001"])
    assert "密码至少需要10个字符" in capsys.readouterr().out
