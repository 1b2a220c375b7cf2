"""Operator commands: staff accounts, window acceptance, decisions and the exported packet."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader

from bot import cli
from bot.compose import build
from bot.runner import Who
from bot.settings import Settings
from tests.conftest import NOW
from tests.scripts import FULL, as_input


async def submit(services) -> str:
    who = Who("console", "cli-test")
    services.runner.clock = lambda: NOW
    for kind, value in FULL:
        replies = await services.runner.handle(who, as_input(kind, value, NOW))
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
        with pytest.raises(cli.Refused, match="没有权限"):
            await cli.decide(services, ref, "tax", 2001, "done")
        assert "办结" in await cli.decide(services, ref, "hrss", 2001, "done", note="登记号123")
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


def run_cli(monkeypatch, tmp_path, capsys, *argv: str) -> tuple[int, str, str]:
    import logging

    from bot.__main__ import main

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        code = main(list(argv))
    finally:  # main() installs its own stderr handler: do not leave it behind
        root.handlers[:], root.level = handlers, level
    out = capsys.readouterr()
    return code, out.out, out.err


def test_clerk_without_department_is_told_not_traced(monkeypatch, tmp_path, capsys):
    code, out, err = run_cli(monkeypatch, tmp_path, capsys, "staff", "add", "3001", "王五", "clerk")
    assert code == 1 and "须指定所属部门" in err and "--dept" in err
    assert "Traceback" not in out + err


def test_refused_actions_exit_non_zero(monkeypatch, tmp_path, capsys):
    assert run_cli(monkeypatch, tmp_path, capsys, "packets", "show", "LJ000000-00000")[0] == 1
    code, _, err = run_cli(monkeypatch, tmp_path, capsys, "packets", "accept", "LJ000000-00000")
    assert code == 1 and "未找到" in err
    assert run_cli(monkeypatch, tmp_path, capsys, "staff", "remove", "424242")[0] == 1
    assert run_cli(monkeypatch, tmp_path, capsys, "staff", "add", "3002", "赵六", "window")[0] == 0


async def test_show_gives_beijing_time_to_the_minute_and_flags_in_words(tmp_path):
    services = build(Settings(data_dir=tmp_path / "data", _env_file=None))
    try:
        ref = await submit(services)
        from storage.uow import UnitOfWork

        async with UnitOfWork(services.sessionmaker) as uow:
            app = await uow.applications.by_ref(ref)
            app.data = {**app.data, "flags": {"age_borderline": True, "retire_date": "2031-06-15"}}
        assert "已受理" in await cli.window_action(services, "accept", ref, None)
        shown = await cli.packets_show(services, ref)
        # NOW is 2026-11-23 02:00 UTC: 10:00 in Beijing
        assert "提交：2026年11月23日 10:00" in shown and "（北京时间）" in shown
        assert "+00:00" not in shown and "02:00:00" not in shown
        assert "年龄临界" in shown and "法定退休时间：2031年6月" in shown and "{" not in shown
    finally:
        await services.db_engine.dispose()


async def test_done_without_a_claim_claims_first_as_the_lifecycle_says(tmp_path):
    services = build(Settings(data_dir=tmp_path / "data", _env_file=None))
    try:
        ref = await submit(services)
        await cli.staff_command(services, "add", 2001, "李四", "clerk", "hrss")
        await cli.window_action(services, "accept", ref, None)
        worker = services.worker()
        worker.clock = lambda: NOW.replace(year=2030)
        await worker.run_once()
        assert await cli.decide(services, ref, "hrss", 2001, "done") == "已认领，已办结。"
        from storage.uow import UnitOfWork

        async with UnitOfWork(services.sessionmaker) as uow:
            app = await uow.applications.by_ref(ref)
            kinds = [e.kind for e in await uow.events.for_application(app.id)]
        assert kinds.index("case_claim") < kinds.index("case_done")
    finally:
        await services.db_engine.dispose()


async def test_cli_withdraw_is_authorised_audited_and_stops_the_cases(tmp_path):
    from sqlalchemy import select

    from bot.__main__ import parser
    from storage.models import Audit, Delivery, DepartmentCase, Notification
    from storage.uow import UnitOfWork

    args = parser().parse_args(
        ["packets", "withdraw", "LJ260302-0000011", "--as", "10", "--reason", "申请人书面申请撤回"]
    )
    assert (args.action, args.as_id, args.reason) == ("withdraw", 10, "申请人书面申请撤回")
    services = build(Settings(data_dir=tmp_path / "data", _env_file=None))
    try:
        ref = await submit(services)
        await cli.staff_command(services, "add", 10, "王五", "window")
        await cli.staff_command(services, "add", 2001, "李四", "clerk", "hrss")
        assert "已受理" in await cli.window_action(services, "accept", ref, 10)
        with pytest.raises(cli.Refused, match="格式不正确"):
            await cli.withdraw(services, "LJ123", 10, "x")
        with pytest.raises(cli.Refused, match="没有撤回申请的权限"):
            await cli.withdraw(services, ref, 2001, "申请人书面申请撤回")
        assert "已撤回" in await cli.withdraw(services, ref, 10, "申请人书面申请撤回")
        assert "已撤回" in await cli.withdraw(services, ref, 10, "申请人书面申请撤回")  # idempotent
        async with UnitOfWork(services.sessionmaker) as uow:
            audits = [
                (a.actor, a.allowed)
                for a in await uow.db.scalars(select(Audit).where(Audit.action == "withdraw").order_by(Audit.id))
            ]
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
