"""The printed receipt (text and QR payload) and `/bind CODE` through the real Dispatcher."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from aiogram import Bot
from PIL import Image, ImageChops
from pypdf import PdfReader
from sqlalchemy import select

from bot.runner import Runner
from bot.telegram.app import make_dispatcher
from bot.telegram.binding import make_router as binding_router
from dialogs.notice import SIX_MATTERS
from office import binding
from office.receipt import qr_payload, qr_png
from storage.models import Applicant, Application, Audit, Notification
from storage.uow import UnitOfWork
from tests.bot.recording import RecordingSession
from tests.factories import text_update
from tests.web.conftest import WINDOW, Web, online_application
from tests.web.test_walkin import walk_in

CODE = re.compile(r"绑定码：([A-Z0-9]{4}-[A-Z0-9]{4})")


def pdf_text(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages).replace("\x00", "").replace(" ", "")


def pdf_qr(data: bytes) -> Image.Image:
    [image] = PdfReader(BytesIO(data)).pages[0].images
    return image.image.convert("L")


async def print_receipt(web: Web, ref: str) -> bytes:
    resp = await web.post(f"/desk/case/{ref}/receipt", csrf_from=f"/desk/case/{ref}")
    assert resp.status == 200 and resp.content_type == "application/pdf", await resp.text()
    return await resp.read()


async def test_the_receipt_says_what_was_accepted_and_how_to_follow_it(web: Web, sm):
    await web.login(WINDOW)
    ref = await walk_in(web)
    data = await print_receipt(web, ref)
    text = pdf_text(data).replace("\n", "")
    async with sm() as db:
        app = await db.scalar(select(Application).where(Application.ref == ref))
    deadline = f"{app.deadline.year}年{app.deadline.month}月{app.deadline.day}日"
    for expected in (
        "受理回执",
        ref,
        "张三丰",
        "130***********1237",
        "受理日期2026年3月2日",
        "15个工作日",
        deadline,
        *SIX_MATTERS,
        "石家庄市政务服务中心",
        "0311-12333",
        "/bind",
        "/status",
        "到“一件事一次办”窗口查询",
        "不使用Telegram",
    ):
        assert expected in text, expected
    assert "130102199001011237" not in text
    code = CODE.search(pdf_text(data)).group(1)
    expected_qr = Image.open(BytesIO(qr_png(qr_payload(code)))).convert("L")
    assert qr_payload(code) == f"/bind {code.replace('-', '')}"
    assert ImageChops.difference(pdf_qr(data), expected_qr).getbbox() is None
    async with sm() as db:
        audit = await db.scalar(select(Audit).where(Audit.action == "receipt"))
    assert audit.allowed and audit.detail == {"code_issued": True}


def test_the_qr_code_links_to_the_bot_when_its_name_is_set():
    assert qr_payload("ABCD-2345", "@hebei_flex_bot") == "https://t.me/hebei_flex_bot?start=bind_ABCD2345"


async def test_a_reprint_replaces_the_code(web: Web, sm, wclock):
    await web.login(WINDOW)
    ref = await walk_in(web)
    first = CODE.search(pdf_text(await print_receipt(web, ref))).group(1)
    second = CODE.search(pdf_text(await print_receipt(web, ref))).group(1)
    assert first != second
    async with UnitOfWork(sm) as uow:
        assert (await binding.bind(uow, first, "telegram", "555", 555, wclock())).message == binding.REVOKED
        assert (await binding.bind(uow, second, "telegram", "555", 555, wclock())).ok


async def test_an_online_application_gets_a_receipt_without_a_code(web: Web, sm, blobs):
    ref = await online_application(sm, blobs)
    await web.login(WINDOW)
    await web.post(f"/desk/queue/{ref}/accept", csrf_from=f"/desk/queue/{ref}")
    text = pdf_text(await print_receipt(web, ref))
    assert "已关联Telegram账号" in text and not CODE.search(text)
    assert not PdfReader(BytesIO(await print_receipt(web, ref))).pages[0].images


async def test_no_receipt_before_acceptance(web: Web, sm, blobs):
    ref = await online_application(sm, blobs)
    await web.login(WINDOW)
    resp = await web.post(f"/desk/case/{ref}/receipt", csrf_from=f"/desk/case/{ref}")
    assert resp.status == 409 and "尚未受理" in await resp.text()


class Tg:
    def __init__(self, dp, bot, session):
        self.dp, self.bot, self.session = dp, bot, session

    async def say(self, text: str, uid: int) -> str:
        self.session.clear()
        await self.dp.feed_update(self.bot, text_update(text, uid=uid))
        return "\n".join(self.session.texts(uid))


@pytest.fixture
async def tg(faq, sm, blobs, calendar, wclock):
    from dialogs.engine import Engine

    runner = Runner(Engine(faq=faq), sm, blobs, calendar, clock=wclock)
    session = RecordingSession()
    yield Tg(
        make_dispatcher(runner, binding_router(sm, wclock), clock=wclock), Bot("42:TEST", session=session), session
    )


async def _issued(web: Web, sm) -> tuple[str, str]:
    await web.login(WINDOW)
    ref = await walk_in(web)
    return ref, CODE.search(pdf_text(await print_receipt(web, ref))).group(1)


async def test_bind_with_the_right_code_links_the_case_and_later_notices(web: Web, sm, tg: Tg):
    ref, code = await _issued(web, sm)
    reply = await tg.say(f"/bind {code.lower()}", uid=321)
    assert "绑定成功" in reply and ref in reply
    async with sm() as db:
        app = await db.scalar(select(Application).where(Application.ref == ref))
        owner = await db.get(Applicant, app.applicant_id)
    assert (owner.channel, owner.external_id) == ("telegram", "321")
    assert ref in await tg.say("/status", uid=321)
    assert "您已绑定" in await tg.say(f"/bind {code}", uid=321)
    async with UnitOfWork(sm) as uow:  # later notices about the case reach this Telegram chat
        await uow.notifications.to_applicant(await uow.applications.by_ref(ref), {"text": "进度"})
    async with sm() as db:
        last = await db.scalar(select(Notification).order_by(Notification.id.desc()).limit(1))
    assert (last.channel, last.chat_id) == ("telegram", "321")


async def test_a_used_code_is_refused_for_another_account(web: Web, sm, tg: Tg):
    _, code = await _issued(web, sm)
    assert "绑定成功" in await tg.say(f"/bind {code}", uid=321)
    assert await tg.say(f"/bind {code}", uid=654) == binding.USED


async def test_a_wrong_code_is_refused_in_words_and_attempts_are_limited(web: Web, sm, tg: Tg):
    _, code = await _issued(web, sm)
    for _ in range(binding.MAX_FAILURES):
        assert await tg.say("/bind ABCD-2345", uid=777) == binding.WRONG
    assert await tg.say(f"/bind {code}", uid=777) == binding.TOO_MANY
    assert "绑定码印在" in await tg.say("/bind", uid=777)
    async with sm() as db:
        refused = list(await db.scalars(select(Audit).where(Audit.action == "bind", Audit.allowed.is_(False))))
    assert len(refused) == binding.MAX_FAILURES + 1


async def test_an_expired_code_is_refused(web: Web, sm, tg: Tg, wclock):
    _, code = await _issued(web, sm)
    wclock.advance(days=binding.VALID_DAYS, seconds=1)
    assert "已过期" in await tg.say(f"/bind {code}", uid=321)


async def test_the_qr_deep_link_binds_too(web: Web, sm, tg: Tg):
    ref, code = await _issued(web, sm)
    reply = await tg.say(f"/start bind_{code.replace('-', '')}", uid=888)
    assert "绑定成功" in reply and ref in reply
