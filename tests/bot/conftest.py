"""The real Dispatcher with the applicant router, a recording Bot session and a real database."""

from __future__ import annotations

import pytest
from aiogram import Bot

from bot.telegram.app import make_dispatcher
from bot.telegram.flood import FloodGuard
from tests.bot.recording import RecordingSession


def LENIENT() -> FloodGuard:
    return FloodGuard("100000/minute")


class TgHarness:
    def __init__(self, dp, bot, session):
        self.dp, self.bot, self.session = dp, bot, session

    async def feed(self, update) -> None:
        await self.dp.feed_update(self.bot, update)


@pytest.fixture
async def tg(runner, clock):
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    dp = make_dispatcher(runner, clock=clock, flood=LENIENT())  # scripted users type faster than people
    yield TgHarness(dp, bot, session)
