"""Turns Reply values into Telegram messages: inline buttons, the share-contact keyboard, limits."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aiogram import Bot
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from bot.outbox import bodies
from dialogs.model import Reply


def _inline(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return _keyboard(tuple(tuple((b["label"], b["data"]) for b in row) for row in rows if row))


@lru_cache(maxsize=2048)
def _keyboard(rows: tuple[tuple[tuple[str, str], ...], ...]) -> InlineKeyboardMarkup | None:
    """One markup per distinct keyboard: a step's buttons are the same for every applicant, and each
    validated button costs pydantic ~13 µs (a keyboard of 8, ~0.1 ms a reply). aiogram's types are
    frozen, so one markup is safely shared by every message that shows it."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=data[:64]) for label, data in row] for row in rows
        ]
    )


def inline_markup(reply: Reply) -> InlineKeyboardMarkup | None:
    return _inline([[b.model_dump() for b in row] for row in reply.buttons])


CONTACT_KEYBOARD = ReplyKeyboardMarkup(
    keyboard=[[KeyboardButton(text="📱 分享本机手机号码", request_contact=True)]],
    resize_keyboard=True,
    one_time_keyboard=True,
)


async def send_body(bot: Bot, chat_id: int, body: dict[str, Any], **extra) -> Message:
    markup = CONTACT_KEYBOARD if body.get("contact") else _inline(body.get("buttons"))
    if body.get("protect_content"):
        extra.setdefault("protect_content", True)
    return await bot.send_message(chat_id, body.get("text", ""), reply_markup=markup, **extra)


async def send_replies(bot: Bot, chat_id: int, replies: list[Reply], **extra) -> None:
    for reply in replies:
        for body in bodies(reply):
            await send_body(bot, chat_id, body, **extra)
