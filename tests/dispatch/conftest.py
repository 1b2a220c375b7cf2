"""Fixtures for dispatch tests: a migrated database (SQLite file, or PostgreSQL), blobs, a clock."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from dialogs.notice import COMMITMENT
from dialogs.submission import SCHEMA_VERSION
from dialogs.workdays import WorkCalendar
from dispatch.config import DispatchConfig
from dispatch.packet import Packet, build_packet
from office import window
from office.staff import add_staff
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker, sqlite_url
from storage.migrate import upgrade
from storage.models import Applicant, Application
from storage.uow import UnitOfWork

PG_URL = os.environ.get("TEST_DATABASE_URL")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
NAME = "张三丰"
ID_NUMBER = "130102199001011237"
BANK = "6222021234567890123"
PHONE = "13812345678"


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class Crash(BaseException):
    """A simulated process death: not an Exception, so nothing in the worker records it."""


class RecordingChannel:
    """A department that applies each Idempotency-Key once, like a well-behaved remote system."""

    def __init__(self, fail: int = 0, crash_after_send: int = 0):
        self.calls: list[str] = []
        self.effects: dict[str, Packet] = {}
        self.fail = fail
        self.crash_after_send = crash_after_send

    async def send(self, delivery_key: str, packet: Packet) -> str:
        self.calls.append(delivery_key)
        if self.fail > 0:
            self.fail -= 1
            from dispatch.channels import DeliveryFailed

            raise DeliveryFailed("simulated outage")
        self.effects.setdefault(delivery_key, packet)
        if self.crash_after_send > 0:
            self.crash_after_send -= 1
            raise Crash()
        return f"rec:{delivery_key}"


def image(color: str = "red", size: tuple[int, int] = (64, 40)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def answers() -> dict[str, Any]:
    hebei = {"province": "130000", "city": "130100", "county": "130102"}
    return {
        "name": NAME,
        "sex": "男",
        "ethnic": "01",
        "political": "13",
        "phone": PHONE,
        "id_type": "resident",
        "id_number": ID_NUMBER,
        "hukou_type": "10",
        "hukou_address": hebei | {"detail": "户籍路1号"},
        "home_address": hebei | {"detail": "常住街2号"},
        "employed_on": "2026-03-01",
        "registration_type": "register",
        "birth_month": "1990-01",
        "education": "21",
        "employment_type": "flexible",
        "employer": None,
        "work_place": hebei,
        "person_category": None,
        "archive_agency_code": "130100",
        "archive_agency": "石家庄市公共就业和人才服务中心",
        "medical_area": "130100",
        "bank_name": "中国工商银行石家庄长安支行",
        "bank_holder": NAME,
        "bank_account": BANK,
        "personal_status": "51",
        "pension_place": "130100",
        "pension_start": "2026-04-01",
        "pension_grade": "60",
        "has_si_card": "1",
        "si_agent": "0",
    }


def material(blobs: BlobStore, title: str, *colors: str) -> dict[str, Any]:
    files = []
    for color in colors:
        data = image(color)
        files.append({"sha256": blobs.put(data), "kind": "image", "mime": "image/png", "pages": 1, "size": len(data)})
    return {"title": title, "files": files}


def frozen_data(blobs: BlobStore, with_contract: bool = False) -> dict[str, Any]:
    materials = {"household": material(blobs, "户口簿本人页", "red", "orange")}
    if with_contract:
        materials["contract"] = material(blobs, "有效期内劳动合同", "purple")
    materials |= {
        "archive_letter": material(blobs, "转出档案介绍信或解除终止劳动关系协议", "yellow"),
        "id_front": material(blobs, "居民身份证（人像面）", "blue"),
        "id_back": material(blobs, "居民身份证（国徽面）", "green"),
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "answers": answers(),
        "eligibility": {"birth": "1990-01-01", "archive": "yes", "situation": "new_forms"},
        "materials": materials,
        "material_answers": {"doc_choice": "household", "archive_entrusted": "yes"},
        "flags": {},
        "commitment": {"accepted_at": "2026-03-01T08:00:00+00:00", "account": "tg:1", "text": COMMITMENT},
        "notice": {"version": "v1", "acknowledged_at": "2026-03-01T07:50:00+00:00", "current_version": "v1"},
    }


def _admin_engine():
    return make_engine(make_url(PG_URL).render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")


async def _pg(sql: str) -> None:
    admin = _admin_engine()
    async with admin.connect() as conn:
        await conn.execute(text(sql))
    await admin.dispose()


def _pg_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """Migrate once; each test copies the file (alembic costs ~0.5 s a run)."""
    path = tmp_path_factory.mktemp("template") / "dispatch.db"
    upgrade(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def pg_template():
    if not PG_URL:
        yield None
        return
    name = f"dispatch_tmpl_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    upgrade(_pg_url(name))
    yield name
    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_engine(request, tmp_path, sqlite_template, pg_template):
    name = None
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(
                "PostgreSQL run needs TEST_DATABASE_URL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test"
            )
        name = f"dispatch_{uuid.uuid4().hex[:12]}"
        await _pg(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
        url = _pg_url(name)
    else:
        shutil.copy(sqlite_template, tmp_path / "dispatch.db")
        url = sqlite_url(tmp_path / "dispatch.db")
    eng = make_engine(url)
    yield eng
    await eng.dispose()
    if name:
        await _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sm(db_engine):
    return make_sessionmaker(db_engine)


@pytest.fixture
def blobs(tmp_path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def config() -> DispatchConfig:
    return DispatchConfig(
        max_attempts=3,
        backoff_base=10,
        backoff_cap=60,
        lease=60,
        admin_chat_id=900,
        departments={"hrss": {"chat_id": 101}, "medical": {"chat_id": 102}, "tax": {"chat_id": 103}},
    )


@pytest.fixture
def fast_packer():
    """The real packet minus the PDFs (rendering costs ~1.5 s a packet); PDFs are tested separately."""
    return partial(build_packet, render_pdfs=False)


_counter = iter(range(1, 10**6))


async def create_application(
    sm, blobs: BlobStore, *, with_contract: bool = False, submitted_at: datetime = T0
) -> Application:
    n = next(_counter)
    async with UnitOfWork(sm) as uow:
        applicant = Applicant(channel="telegram", external_id=str(5000 + n), chat_id=5000 + n)
        uow.db.add(applicant)
        await uow.db.flush()
        app = Application(
            ref=f"LJ260302-{n:04d}0",
            submission_key=f"k{n}-{uuid.uuid4().hex[:6]}",
            applicant_id=applicant.id,
            data=frozen_data(blobs, with_contract),
            status="submitted",
            submitted_at=submitted_at,
            version=1,
        )
        uow.db.add(app)
    return app


async def accepted_application(sm, blobs, calendar, clock, **kw) -> Application:
    app = await create_application(sm, blobs, **kw)
    async with UnitOfWork(sm) as uow:
        result = await window.accept(uow, app.ref, "staff:window", clock(), calendar)
        assert result.ok, result
    async with UnitOfWork(sm) as uow:
        return await uow.applications.by_ref(app.ref)


async def rows(sm, model, *where) -> list:
    async with UnitOfWork(sm) as uow:
        return list(await uow.db.scalars(select(model).where(*where).order_by(model.id)))


async def make_staff(sm, *people: tuple[int, str, str | None]) -> None:
    async with UnitOfWork(sm) as uow:
        for tid, role, dept in people:
            await add_staff(uow, tid, f"员工{tid}", role, dept)
