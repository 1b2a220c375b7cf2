"""Builds the Telegram side: bot, dispatcher, routers, menu commands, and the error handler."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand, ErrorEvent

from bot.pacing import Pacer
from bot.runner import Runner
from bot.telegram.applicant import make_router
from bot.telegram.dedup import UpdateDedup
from bot.telegram.flood import FloodGuard
from bot.telegram.ordering import ChatOrder
from bot.telegram.replies import ReplySender
from dialogs.texts import COMMANDS, SORRY_KEPT, SORRY_NOT_KEPT

log = logging.getLogger(__name__)
SORRY = SORRY_NOT_KEPT  # what the error handler says unless the answer was committed (then SORRY_KEPT)


def make_bot(token: str, api_base: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    return Bot(token=token, session=session, default=DefaultBotProperties())


def make_dispatcher(
    runner: Runner,
    *extra_routers: Router,
    clock=None,
    flood: FloodGuard | None = None,
    pacer: Pacer | None = None,
    kick=None,
    album_wait: float | None = None,
) -> Dispatcher:
    """`pacer` and `kick` are shared with the notifier, which sends the replies that could not go at once."""
    # No aiogram FSM: the draft in storage is where an applicant is. Its default MemoryStorage would
    # also keep a record for every chat ever seen (the FSM middleware reads the state of each update).
    dp = Dispatcher(disable_fsm=True)
    # Order matters: nothing may await before ChatOrder takes the chat's place in line (the flood
    # guard per process decides without an await and goes first; over Redis it awaits, so it goes
    # right after), then the update-id check.
    flood = flood or FloodGuard()
    order = ChatOrder() if album_wait is None else ChatOrder(album_wait)
    for middleware in (order, flood) if flood.shared else (flood, order):
        dp.update.outer_middleware(middleware)
    UpdateDedup(runner.sessionmaker, clock=runner.clock).install(dp)  # the runner stamps handled ids
    for router in extra_routers:
        dp.include_router(router)
    sender = ReplySender(runner.sessionmaker, runner.owner, pacer, kick=kick, writer=runner.writer)
    dp.include_router(make_router(runner, clock, sender) if clock else make_router(runner, replies=sender))

    @dp.errors()
    async def on_error(event: ErrorEvent, bot: Bot, update_scope=None) -> bool:
        log.error(
            "update %s failed: %s", event.update.update_id, type(event.exception).__name__, exc_info=event.exception
        )
        chat = None
        if event.update.message:
            chat = event.update.message.chat.id
        elif event.update.callback_query and event.update.callback_query.message:
            chat = event.update.callback_query.message.chat.id
        if event.update.callback_query is not None:  # the press was not acknowledged yet
            with contextlib.suppress(Exception):  # only the spinner is left
                await bot.answer_callback_query(event.update.callback_query.id)
        if chat is not None:
            try:
                kept = update_scope is not None and update_scope.kept
                await bot.send_message(chat, SORRY_KEPT if kept else SORRY_NOT_KEPT)
            except Exception:  # noqa: BLE001 - the user is told when Telegram is reachable again
                log.warning("could not tell chat about the failure")
        return True

    return dp


async def set_commands(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command=c, description=d) for c, d in COMMANDS])
