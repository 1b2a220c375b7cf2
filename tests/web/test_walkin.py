"""A walk-in application entered at the window: the schema's form, the same checks, uploads, submission."""

from __future__ import annotations

import re
from datetime import date

import pytest
from aiohttp import FormData
from sqlalchemy import select

from dialogs.eligibility import FAIL_TEXT
from dialogs.errors import InputError
from dialogs.form import ASKED
from dialogs.idnumbers import IdType, check_id, mod11_2_check_char
from dialogs.values import parse_date, parse_phone
from storage.models import Applicant, Application, Delivery, DepartmentCase, Event
from storage.uow import UnitOfWork
from tests.web.conftest import ADMIN, WINDOW, Web, photo

HEBEI = "130000-130100-130102"


def valid_form() -> dict[str, str]:
    return {
        "id_type": "resident",
        "id_number": "130102199001011237",
        "archive": "yes",
        "situation": "new_forms",
        "name": "张三丰",
        "ethnic": "01",
        "phone": "138 1234 5678",
        "hukou_type": "10",
        "hukou_address": HEBEI,
        "hukou_address__detail": "户籍路1号",
        "home_address": HEBEI,
        "home_address__detail": "常住街2号",
        "employed_on": "2026年3月1日",
        "registration_type": "register",
        "employment_type": "flexible",
        "work_place": HEBEI,
        "archive_agency_code": "130100",
        "medical_area": "130100",
        "si_agent": "0",
    }


def message_of(fn, *args) -> str:
    with pytest.raises(InputError) as e:
        fn(*args)
    return e.value.message


def escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


async def post_form(web: Web, data: dict[str, str], path: str = "/desk/walkin"):
    return await web.post(path, data, csrf_from="/desk/walkin", allow_redirects=False)


async def upload(
    web: Web,
    draft: int,
    files: dict[str, list[tuple[str, bytes]]],
    go: str = "review",
    doc: str = "household",
    entrusted: str = "no",
):
    form = FormData()
    form.add_field("csrf", await web.csrf(f"/desk/walkin/{draft}/materials"))
    form.add_field("doc_choice", doc)
    form.add_field("archive_entrusted", entrusted)
    form.add_field("go", go)
    for field, items in files.items():
        for name, data in items:
            form.add_field("file_" + field, data, filename=name, content_type="application/octet-stream")
    return await web.client.post(f"/desk/walkin/{draft}/materials", data=form, allow_redirects=False)


async def walk_in(web: Web) -> str:
    """The whole entry; returns the new reference."""
    resp = await post_form(web, valid_form())
    assert resp.status == 303, await resp.text()
    draft = int(re.search(r"/walkin/(\d+)/materials", resp.headers["Location"]).group(1))
    resp = await upload(
        web,
        draft,
        {
            "doc": [("hukou.jpg", photo("red")), ("hukou2.png", photo("pink", fmt="PNG"))],
            "id_front": [("front.jpg", photo("blue"))],
            "id_back": [("back.jpg", photo("green"))],
        },
    )
    assert resp.status == 303 and resp.headers["Location"].endswith("/review"), await resp.text()
    review = await (await web.client.get(f"/desk/walkin/{draft}/review")).text()
    assert "张三丰" in review and "138****5678" in review and "130***********1237" in review
    token = re.search(r'name="csrf" value="([^"]*)"', review).group(1)
    resp = await web.client.post(
        f"/desk/walkin/{draft}/submit",
        data={"csrf": token, "notice": "1", "consent": "1", "commitment": "1"},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    return re.search(r"/desk/case/([^?]+)", resp.headers["Location"]).group(1)


def test_the_form_is_rendered_from_the_bots_schema():
    from bot.web.formdef import sections

    keys = [w.key for _, _, widgets in sections() for w in widgets]
    assert keys == [s.key for s in ASKED]
    labels = {w.key: w.label for _, _, widgets in sections() for w in widgets}
    assert labels["si_agent_name"] == "社保代理名称"


async def test_every_field_has_a_label(web: Web):
    await web.login(WINDOW)
    html = await (await web.client.get("/desk/walkin")).text()
    ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html)
    assert len(ids) > 25
    assert "分享本机号码" not in html and "可点选" not in html  # Telegram-only hints stay in the bot
    for i in ids:
        assert f'<label for="{i}"' in html, i


async def test_errors_reshow_the_form_with_the_bots_messages_and_keep_the_input(web: Web, sm):
    await web.login(WINDOW)
    bad = valid_form() | {
        "phone": "0311-8888888",
        "id_number": "130102199001011238",
        "name": "",
        "employed_on": "2026-02-30",
        "ethnic": "99",
    }
    resp = await post_form(web, bad)
    html = await resp.text()
    assert resp.status == 422
    assert escaped(message_of(parse_phone, "0311-8888888")) in html
    assert escaped(message_of(check_id, IdType.RESIDENT, "130102199001011238", date(2026, 3, 2))).split("\n")[0] in html
    assert escaped(message_of(parse_date, "2026-02-30", date(2026, 3, 2))) in html
    assert "请填写姓名（必填）" in html and "请从列表中选择民族" in html
    assert 'value="0311-8888888"' in html and 'value="常住街2号"' in html
    assert '<option value="130000-130100-130102" selected>' in html
    async with sm() as db:
        assert await db.scalar(select(Applicant).where(Applicant.channel == "desk")) is None


async def test_the_same_eligibility_check_refuses_a_retired_applicant(web: Web):
    await web.login(WINDOW)
    first17 = "13010219500101123"
    retired = first17 + mod11_2_check_char(first17)  # a man born in 1950
    resp = await post_form(web, valid_form() | {"id_number": retired})
    assert resp.status == 422 and FAIL_TEXT["retired"] in await resp.text()
    resp = await post_form(web, valid_form() | {"archive": "no"})
    assert FAIL_TEXT["archive"] in await resp.text()


async def test_a_walk_in_is_submitted_accepted_and_dispatched_like_the_bots(web: Web, sm):
    await web.login(WINDOW)
    ref = await walk_in(web)
    case = await (await web.client.get(f"/desk/case/{ref}?new=1")).text()
    assert "已提交并受理" in case and "打印受理回执（含绑定码）" in case
    async with sm() as db:
        app = await db.scalar(select(Application).where(Application.ref == ref))
        applicant = await db.get(Applicant, app.applicant_id)
        cases = list(await db.scalars(select(DepartmentCase).where(DepartmentCase.application_id == app.id)))
        deliveries = list(await db.scalars(select(Delivery)))
        kinds = list(await db.scalars(select(Event.kind).where(Event.application_id == app.id)))
    assert app.status == "accepted" and applicant.channel == "desk" and len(cases) == 3 and len(deliveries) == 3
    data = app.data
    assert data["answers"]["phone"] == "13812345678" and data["answers"]["employed_on"] == "2026-03-01"
    assert data["answers"]["sex"] == "男" and data["answers"]["birth_month"] == "1990-01"
    assert data["answers"]["archive_agency"] == "石家庄市公共就业和人才服务中心"
    assert data["answers"]["hukou_address"] == {
        "province": "130000",
        "city": "130100",
        "county": "130102",
        "detail": "户籍路1号",
    }
    assert data["eligibility"] == {"birth": "1990-01-01", "archive": "yes", "situation": "new_forms"}
    assert [len(data["materials"][k]["files"]) for k in ("household", "id_front", "id_back")] == [2, 1, 1]
    assert data["commitment"]["in_person"] and data["commitment"]["witness"]["staff_account"] == WINDOW
    assert data["notice"]["version"]
    from dialogs.privacy import CONSENT_VERSION

    assert data["consent"]["version"] == CONSENT_VERSION and data["consent"]["agreed_at"]
    assert kinds[:2] == ["application_submitted", "application_accepted"]
    from storage.blobrefs import shas_of

    async with UnitOfWork(sm) as uow:  # the application holds its files, so no clean-up removes them
        assert await uow.blob_refs.held_by(f"app:{app.id}") == shas_of(data) and len(shas_of(data)) == 4
    pdf = await (await web.client.get(f"/desk/queue/{ref}/form.pdf")).read()
    from io import BytesIO

    from pypdf import PdfReader

    signed = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).replace("\x00", "").replace(" ", "")
    assert "张三丰（窗口当面确认）" in signed
    again = await web.client.post("/desk/walkin/1/submit", data={"csrf": await web.csrf()}, allow_redirects=False)
    assert again.status == 303 and again.headers["Location"] == f"/desk/case/{ref}"


async def test_uploads_go_through_the_same_intake(web: Web):
    await web.login(WINDOW)
    resp = await post_form(web, valid_form())
    draft = int(re.search(r"/walkin/(\d+)/", resp.headers["Location"]).group(1))
    gif = b"GIF89a" + b"\x00" * 64
    resp = await upload(web, draft, {"doc": [("a.gif", gif)], "id_front": [("tiny.png", photo(size=(50, 50)))]})
    html = await resp.text()
    assert resp.status == 422 and "暂不支持GIF 动图" in html and "图片太小" in html
    resp = await upload(web, draft, {"id_front": [("scan.pdf", b"%PDF-1.4 not really")]})
    assert "身份证请以照片" in await resp.text() or "文件已损坏" in await resp.text()
    resp = await upload(web, draft, {"doc": [("hukou.jpg", photo("red"))]}, go="review")
    html = await resp.text()
    assert resp.status == 422 and "请上传：居民身份证（人像面）" in html and "已上传 1 个文件" in html
    resp = await upload(web, draft, {"doc": [("hukou.jpg", photo("red"))]}, go="stay")
    assert "这个文件已经上传过了" in await resp.text()
    async with UnitOfWork(web.desk.sessionmaker) as uow:
        [sha] = await uow.blob_refs.held_by(f"draft:{draft}")
    assert web.desk.blobs.exists(sha)
    form = FormData()
    for k, v in (
        ("csrf", await web.csrf(f"/desk/walkin/{draft}/materials")),
        ("doc_choice", "household"),
        ("archive_entrusted", "no"),
        ("go", "stay"),
        ("remove", f"household:{sha}"),
    ):
        form.add_field(k, v)
    await web.client.post(f"/desk/walkin/{draft}/materials", data=form)
    assert not web.desk.blobs.exists(sha)  # a removed scan nobody else holds is deleted


async def test_another_window_clerk_cannot_touch_the_draft(web: Web):
    await web.login(WINDOW)
    resp = await post_form(web, valid_form())
    location = resp.headers["Location"]
    await web.post("/desk/logout")
    from tests.web.conftest import add_window

    await add_window(web, 9006)
    await web.login(9006)
    resp = await web.client.get(location)
    assert resp.status == 403 and "其他工作人员" in await resp.text()
    await web.post("/desk/logout")
    await web.login(ADMIN)
    assert (await web.client.get(location)).status == 200
