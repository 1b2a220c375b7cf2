"""The workbench through aiohttp's test client: a real app, a migrated SQLite file, a movable clock."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.web import auth
from bot.web.app import Desk, make_app
from office.staff import add_staff, remove_staff
from storage.db import make_sessionmaker
from storage.models import Applicant, Application
from storage.uow import UnitOfWork
from tests.dispatch.conftest import Clock, db_engine, frozen_data, pg_template, sqlite_template  # noqa: F401 (fixtures)

WINDOW, CLERK_HRSS, CLERK_TAX, HELPDESK, ADMIN = 9001, 9002, 9003, 9004, 9005
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


def photo(color: str = "red", size: tuple[int, int] = (640, 400), fmt: str = "JPEG") -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def sm(db_engine):  # noqa: F811 - the imported fixture
    """SQLite, and PostgreSQL when TEST_DATABASE_URL is set (the dispatch tests' `db_engine`)."""
    return make_sessionmaker(db_engine)


@pytest.fixture
def wclock() -> Clock:
    return Clock()


@pytest.fixture
async def staff(sm, wclock):
    async with UnitOfWork(sm) as uow:
        await add_staff(uow, WINDOW, "王窗口", "window")
        await add_staff(uow, CLERK_HRSS, "李人社", "clerk", "hrss")
        await add_staff(uow, CLERK_TAX, "赵税务", "clerk", "tax")
        await add_staff(uow, HELPDESK, "钱客服", "helpdesk")
        await add_staff(uow, ADMIN, "孙管理", "admin")
        for tg in (WINDOW, CLERK_HRSS, CLERK_TAX, HELPDESK, ADMIN):
            assert await auth.set_password(uow, tg, PASSWORD, wclock()) is None


class Web:
    def __init__(self, client: TestClient, desk: Desk):
        self.client, self.desk = client, desk

    async def login(self, account: int | str, password: str = PASSWORD):
        page = await self.client.get("/desk/")
        token = csrf_of(await page.text())
        return await self.client.post(
            "/desk/login", data={"csrf": token, "account": str(account), "password": password}, allow_redirects=False
        )

    async def csrf(self, path: str = "/desk/home") -> str:
        return csrf_of(await (await self.client.get(path)).text())

    async def post(self, path: str, data: dict | None = None, csrf_from: str = "/desk/home", **kw):
        body = dict(data or {})
        body.setdefault("csrf", await self.csrf(csrf_from))
        return await self.client.post(path, data=body, **kw)


@pytest.fixture
async def web(sm, blobs, calendar, wclock, staff):
    desk = Desk(
        sm, blobs, calendar, window_name="石家庄市政务服务中心“一件事一次办”窗口", phone="0311-12333", clock=wclock
    )
    client = TestClient(TestServer(make_app(desk)))
    await client.start_server()
    yield Web(client, desk)
    await client.close()
    desk.intake.close()


async def online_application(sm, blobs, ref: str = "LJ260302-0000013", chat: int = 111) -> str:
    """An application submitted through the bot (the frozen record the runner writes)."""
    async with UnitOfWork(sm) as uow:
        applicant = Applicant(channel="telegram", external_id=str(chat), chat_id=chat)
        uow.db.add(applicant)
        await uow.db.flush()
        uow.db.add(
            Application(
                ref=ref,
                submission_key=f"k{ref}",
                applicant_id=applicant.id,
                data=frozen_data(blobs),
                status="submitted",
                version=1,
            )
        )
    return ref


async def remove(sm, tg: int) -> None:
    async with UnitOfWork(sm) as uow:
        await remove_staff(uow, tg)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """Tests check behaviour, not hashing cost: a low-cost argon2id keeps each login fast."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "HASHER", hasher)
    monkeypatch.setattr(auth, "_DUMMY", hasher.hash("dummy"))


async def add_window(web: Web, tg: int) -> None:
    async with UnitOfWork(web.desk.sessionmaker) as uow:
        await add_staff(uow, tg, "周窗口", "window")
        assert await auth.set_password(uow, tg, PASSWORD, web.desk.now()) is None
