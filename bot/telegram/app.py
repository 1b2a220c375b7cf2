"""Builds the Telegram side: bot, dispatcher, routers, menu commands, and the error handler."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand, ErrorEvent

from bot.runner import Runner
from bot.telegram.applicant import make_router
from bot.telegram.flood import FloodGuard
from dialogs.texts import COMMANDS

log = logging.getLogger(__name__)
SORRY = "系统繁忙，请稍后再试。您已填写的内容不会丢失。"


def make_bot(token: str, api_base: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    return Bot(token=token, session=session, default=DefaultBotProperties())


def make_dispatcher(runner: Runner, *extra_routers: Router, clock=None, flood: FloodGuard | None = None) -> Dispatcher:
    # No aiogram FSM: the draft in storage is where an applicant is. Its default MemoryStorage would
    # also keep a record for every chat ever seen (the FSM middleware reads the state of each update).
    dp = Dispatcher(disable_fsm=True)
    dp.update.outer_middleware(flood or FloodGuard())
    for router in extra_routers:
        dp.include_router(router)
    dp.include_router(make_router(runner, clock) if clock else make_router(runner))

    @dp.errors()
    async def on_error(event: ErrorEvent, bot: Bot) -> bool:
        log.error("update %s failed: %s", event.update.update_id, type(event.exception).__name__,
                  exc_info=event.exception)
        chat = None
        if event.update.message:
            chat = event.update.message.chat.id
        elif event.update.callback_query and event.update.callback_query.message:
            chat = event.update.callback_query.message.chat.id
        if chat is not None:
            try:
                await bot.send_message(chat, SORRY)
            except Exception:  # noqa: BLE001 - the user is told when Telegram is reachable again
                log.warning("could not tell chat about the failure")
        return True

    return dp


async def set_commands(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command=c, description=d) for c, d in COMMANDS])
