"""Logging: the root handler masks every library's records; SQL parameters and raw payloads never print."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import select

from bot.logs import mask, setup_logging
from storage.db import make_engine, make_sessionmaker
from storage.models import Applicant
from storage.uow import UnitOfWork

ID = "130102199003071233"


@pytest.fixture
def captured():
    buf = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in ("aiosqlite", "sqlalchemy.engine")}
    setup_logging("DEBUG")
    root.handlers[0].setStream(buf)
    yield buf
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize(
    "logger", ["aiogram.event", "aiogram.dispatcher", "sqlalchemy.engine.Engine", "bot.x", "asyncpg"]
)
def test_every_logger_is_masked_by_the_root_handler(captured, logger):
    logging.getLogger(logger).warning("applicant said %s and 139 1234 0987", "1301 0219 9003 0712 33")
    out = captured.getvalue()
    assert ID not in out.replace(" ", "") and "13912340987" not in out.replace(" ", "")
    assert "130***********1233" in out


async def test_sql_parameters_are_not_logged_at_debug(captured, sqlite_url):
    eng = make_engine(sqlite_url, echo=True)  # even with echo on, parameters stay hidden
    async with UnitOfWork(make_sessionmaker(eng)) as uow:
        await uow.applicants.get_or_create("telegram", "canary-external-77", username="canary_user")
        await uow.db.scalar(select(Applicant).where(Applicant.username == "canary_user"))
    await eng.dispose()
    out = captured.getvalue()
    assert "canary-external-77" not in out and "canary_user" not in out


def test_raw_telegram_responses_and_pydantic_inputs_are_cut():
    assert (
        mask('Failed to fetch updates - ClientDecodeError: bad. Content: {"text": "张三"}')
        == "Failed to fetch updates - ClientDecodeError: bad. Content: <omitted>"
    )
    assert "张三" not in mask(
        "1 validation error\n  Input should be int [type=int_type, input_value='张三', input_type=str]"
    )


def test_exceptions_are_masked_too(captured):
    try:
        raise ValueError(f"bad id {ID}")
    except ValueError:
        logging.getLogger("bot.y").exception("failed")
    assert ID not in captured.getvalue() and "130***********1233" in captured.getvalue()
