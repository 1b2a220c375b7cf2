"""Turns Reply values into Telegram messages: inline buttons, the share-contact keyboard, limits."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import (
    InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup,
)

from dialogs.model import Reply
from dialogs.texts import split_text


def inline_markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=b.label, callback_data=b.data[:64]) for b in row]
        for row in reply.buttons if row
    ])


CONTACT_KEYBOARD = ReplyKeyboardMarkup(
    keyboard=[[KeyboardButton(text="📱 分享本机手机号码", request_contact=True)]],
    resize_keyboard=True, one_time_keyboard=True,
)


async def send_replies(bot: Bot, chat_id: int, replies: list[Reply], **extra) -> None:
    for reply in replies:
        chunks = split_text(reply.text)
        for chunk in chunks[:-1]:
            await bot.send_message(chat_id, chunk, **extra)
        if reply.request_contact:
            await bot.send_message(chat_id, chunks[-1], reply_markup=CONTACT_KEYBOARD, **extra)
            if reply.buttons:
                await bot.send_message(chat_id, "也可以：", reply_markup=inline_markup(reply), **extra)
        else:
            await bot.send_message(chat_id, chunks[-1], reply_markup=inline_markup(reply), **extra)
