"""Sends queued notifications (decisions, tickets, reminders) to Telegram chats at a safe rate."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from dialogs.clock import utcnow
from storage.cases import Notifications
from storage.helpdesk import Tickets
from storage.models import Notification

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
SEND_INTERVAL = 0.05  # about 20 messages per second, under Telegram's 30/s


def markup(body: dict) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(text=b["label"], callback_data=b["data"][:64]) for b in row]
            for row in body.get("buttons") or [] if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def pending(sessionmaker, channel: str, chat_id: str | None = None, limit: int = 20) -> list[Notification]:
    async with sessionmaker() as db:
        return await Notifications(db).pending(limit, channel=channel, chat_id=chat_id)


async def mark_sent(sessionmaker, row: Notification, message_id: int | None = None) -> None:
    async with sessionmaker() as db, db.begin():
        await Notifications(db).mark_sent(row.id, utcnow())
        ticket_id = (row.body or {}).get("ticket_id")
        if ticket_id and message_id is not None:  # staff reply to this message to answer the ticket
            await Tickets(db).attach_staff_message(ticket_id, int(row.chat_id), message_id)


async def mark_failed(sessionmaker, row: Notification) -> None:
    async with sessionmaker() as db, db.begin():
        await Notifications(db).mark_failed(row.id, give_up=row.attempts + 1 >= MAX_ATTEMPTS)


async def send_pending(bot: Bot, sessionmaker) -> int:
    sent = 0
    for row in await pending(sessionmaker, "telegram"):
        body = row.body or {}
        try:
            msg = await bot.send_message(int(row.chat_id), body.get("text", ""), reply_markup=markup(body),
                                         protect_content=bool(body.get("protect_content")))
        except TelegramRetryAfter as e:
            await asyncio.sleep(e.retry_after)
            return sent
        except (TelegramAPIError, ValueError) as e:
            log.warning("notification %s failed: %s", row.id, type(e).__name__)
            await mark_failed(sessionmaker, row)
            continue
        await mark_sent(sessionmaker, row, msg.message_id)
        sent += 1
        await asyncio.sleep(SEND_INTERVAL)
    return sent


async def run_notifier(bot: Bot, sessionmaker, stop: asyncio.Event, interval: float = 1.0) -> None:
    while not stop.is_set():
        try:
            await send_pending(bot, sessionmaker)
        except Exception:  # noqa: BLE001 - keep the loop alive; the row stays pending
            log.exception("notifier pass failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except asyncio.TimeoutError:
            pass
