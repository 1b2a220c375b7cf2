"""`python -m bot ask` and `python -m bot faq report`: the applicants' answer, learned wordings."""

from __future__ import annotations

import asyncio

import pytest

from bot.__main__ import main
from bot.compose import build
from bot.settings import Settings
from dialogs.clock import local_day, utcnow
from dialogs.faq import FaqIndex, load_bank
from dialogs.helpdesk import respond
from storage.models import Applicant, FaqAddition, Ticket
from storage.uow import UnitOfWork

UNSURE = "审批结果多会能有信儿"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path / "data"


def run(argv: list[str], capsys) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def store(data_dir, *rows) -> None:
    async def go():
        services = build(Settings(data_dir=data_dir, _env_file=None))
        try:
            async with UnitOfWork(services.sessionmaker) as uow:
                for row in rows:
                    uow.db.add(row)
                    await uow.db.flush()
        finally:
            await services.db_engine.dispose()

    asyncio.run(go())


def test_ask_prints_what_the_applicant_is_shown(data_dir, capsys):
    question = "快递小哥能不能办"
    out = run(["ask", question], capsys)
    expected = respond(FaqIndex(load_bank()), question, local_day(utcnow())).text
    assert out.startswith(expected) and "新就业形态就业人员" in out and "条目：situations" in out
    out = run(["ask", "公积金怎么提取？"], capsys)
    assert "已转给人工客服" in out and "out_of_scope" in out


def test_ask_uses_wordings_staff_added_to_an_entry(data_dir, capsys):
    assert "转人工客服" in run(["ask", UNSURE], capsys)
    store(
        data_dir,
        FaqAddition(question=UNSURE, answer="15个工作日", section="人工客服答复", entry_id="deadline", created_by=30),
    )
    out = run(["ask", UNSURE], capsys)
    assert "办理时限为15个工作日" in out and "条目：deadline" in out


def test_faq_report_lists_recent_hand_offs_by_likely_entry(data_dir, capsys):
    assert "没有转人工的问题" in run(["faq", "report"], capsys)
    applicant = Applicant(channel="telegram", external_id="5")
    store(data_dir, applicant)
    store(
        data_dir,
        Ticket(applicant_id=applicant.id, question=UNSURE, context={"reason": "low_confidence"}),
        Ticket(applicant_id=applicant.id, question="公积金怎么提取", context={"reason": "out_of_scope"}),
    )
    out = run(["faq", "report", "--days", "7"], capsys)
    assert out.startswith("近 7 天转人工的问题：2 条")
    assert "【（无相关条目）】1 条\n  #2 [open]" in out and "公积金怎么提取（超出办事指南）" in out
    assert "/faq_add" in out
