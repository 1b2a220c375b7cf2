"""The end-to-end floor: a bare aiogram bot long-polling TELEGRAM_API_BASE, answering every message with
its text and every button with an answer and a message, as `python -m bot run` answers (bench_e2e.py)."""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"].rstrip("/")))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dp = Dispatcher(disable_fsm=True)

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "ok")

    @dp.callback_query()
    async def button(cb: CallbackQuery, bot: Bot) -> None:
        await cb.answer()
        await bot.send_message(cb.from_user.id, cb.data or "ok")

    await dp.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
