"""Operator commands: staff accounts, window acceptance, decisions and the exported packet."""

from __future__ import annotations

import json

from pypdf import PdfReader

from bot import cli
from bot.compose import build
from bot.runner import Who
from bot.settings import Settings
from dialogs.model import Upload, UserInput
from tests.conftest import NOW
from tests.scripts import FULL


async def submit(services) -> str:
    who = Who("console", "cli-test")
    services.runner.clock = lambda: NOW
    for kind, value in FULL:
        kw = {"payload": value} if kind == "choose" else {"text": value} if kind == "text" else {
            "files": [Upload(data=v, size=len(v)) for v in value]}
        replies = await services.runner.handle(who, UserInput(kind=kind, now=NOW, **kw))
    return replies[-1].text.split("受理编号：")[1].split("\n")[0]


async def test_cli_accept_decide_show_and_export(tmp_path):
    services = build(Settings(data_dir=tmp_path / "data", _env_file=None))
    try:
        ref = await submit(services)
        assert ref in await cli.packets_list(services, "window")
        assert "已添加" in await cli.staff_command(services, "add", 2001, "李四", "clerk", "hrss")
        assert "window" not in await cli.staff_command(services, "list")
        assert "已受理" in await cli.window_action(services, "accept", ref, None)
        assert ref in await cli.packets_list(services, "hrss")
        worker = services.worker()
        worker.clock = lambda: NOW.replace(year=2030)
        assert await worker.run_once() == 3
        assert (tmp_path / "data" / "outbox" / "tax").is_dir()
        assert "没有权限" in await cli.decide(services, ref, "tax", 2001, "done")
        assert "已办结" in await cli.decide(services, ref, "hrss", 2001, "done", note="登记号123")
        shown = await cli.packets_show(services, ref)
        assert "人社" in shown and "登记号123" in shown and "张*" in shown
        assert "130102199003071233" not in shown
        out = await cli.packets_export(services, ref, tmp_path / "out")
        folder = next((tmp_path / "out").rglob("form.pdf")).parent
        assert {"form.pdf", "materials.pdf", "data.json"} <= {p.name for p in folder.iterdir()}, out
        text = "".join(p.extract_text() for p in PdfReader(folder / "form.pdf").pages)
        text = text.replace("\x00", "").replace(" ", "").replace("\n", "")
        assert "张𫖮" in text and "13812345678" in text and "灵活就业" in text
        assert len(PdfReader(folder / "materials.pdf").pages) == 3
        data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
        assert data["ref"] == ref
    finally:
        await services.db_engine.dispose()


async def test_cli_ask_answers_or_hands_off(tmp_path):
    services = build(Settings(data_dir=tmp_path / "data", _env_file=None))
    try:
        assert "15个工作日" in await cli.ask(services, "办理需要多长时间？")
        assert "转人工客服" in await cli.ask(services, "公积金怎么提取？")
    finally:
        await services.db_engine.dispose()


async def test_cli_withdraw_is_authorised_audited_and_stops_the_cases(tmp_path):
    from sqlalchemy import select

    from bot.__main__ import parser
    from storage.models import Audit, DepartmentCase, Delivery, Notification
    from storage.uow import UnitOfWork

    args = parser().parse_args(["packets", "withdraw", "LJ260302-0000011", "--as", "10", "--reason", "申请人书面申请撤回"])
    assert (args.action, args.as_id, args.reason) == ("withdraw", 10, "申请人书面申请撤回")
    services = build(Settings(data_dir=tmp_path / "data", _env_file=None))
    try:
        ref = await submit(services)
        await cli.staff_command(services, "add", 10, "王五", "window")
        await cli.staff_command(services, "add", 2001, "李四", "clerk", "hrss")
        assert "已受理" in await cli.window_action(services, "accept", ref, 10)
        assert "格式不正确" in await cli.withdraw(services, "LJ123", 10, "x")
        assert "没有撤回申请的权限" in await cli.withdraw(services, ref, 2001, "申请人书面申请撤回")
        assert "已撤回" in await cli.withdraw(services, ref, 10, "申请人书面申请撤回")
        assert "已撤回" in await cli.withdraw(services, ref, 10, "申请人书面申请撤回")  # idempotent
        async with UnitOfWork(services.sessionmaker) as uow:
            audits = [(a.actor, a.allowed) for a in await uow.db.scalars(
                select(Audit).where(Audit.action == "withdraw").order_by(Audit.id))]
            cases = {c.state for c in await uow.db.scalars(select(DepartmentCase))}
            deliveries = {d.status for d in await uow.db.scalars(select(Delivery))}
            told = [n.body["kind"] for n in await uow.db.scalars(select(Notification))]
        assert audits == [("tg:2001", False), ("tg:10", True), ("tg:10", True)]
        assert cases == {"withdrawn"} and deliveries == {"cancelled"}
        assert told.count("applicant.withdrawn") == 1
    finally:
        await services.db_engine.dispose()


async def test_cli_find_by_id_number_uses_the_blind_index_and_is_audited(tmp_path):
    from sqlalchemy import select

    from storage.models import Audit
    from tests.scripts import ADULT_MAN
    services = build(Settings(data_dir=tmp_path / "data", _env_file=None))
    try:
        ref = await submit(services)
        assert "权限" in await cli.packets_find(services, ADULT_MAN, 4242)  # not staff
        await cli.staff_command(services, "add", 3001, "窗口王", "window")
        out = await cli.packets_find(services, "1301 0219 9003 0712 33".replace(" ", "")[:-4] + ADULT_MAN[-4:], 3001)
        assert ref in out and ADULT_MAN not in out and "张*" in out
        assert "没有" in await cli.packets_find(services, "110105194912310029", 3001)
        async with services.sessionmaker() as db:
            rows = list(await db.scalars(select(Audit).where(Audit.action == "view")))
        assert [r.allowed for r in rows] == [False, True, True] and all(ADULT_MAN not in (r.target or "") for r in rows)
    finally:
        await services.db_engine.dispose()
