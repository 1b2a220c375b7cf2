"""Per-user flood limits in front of every router: excess updates are dropped, with one warning a minute."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update
from limits import RateLimitItem, parse

from storage.ratelimit import Limits

log = logging.getLogger(__name__)
WARNING = "您发送得太快了，部分消息未被处理。请稍等一分钟后再继续；已填写的内容不会丢失。"


class FloodGuard(BaseMiddleware):
    """An outer middleware on updates: a moving window per Telegram user (storage.ratelimit: this process's,
    or the whole bot's over Redis). Updates over the limit never reach a router or the database.

    Per process it decides without an await and runs before ChatOrder; over Redis it awaits, so it runs
    just after ChatOrder has taken the update's place in its chat's line (`shared`)."""

    def __init__(self, rate: str = "30/minute", warn: str = "1/minute", limits: Limits | None = None) -> None:
        self.limiter = limits or Limits()
        self.shared = self.limiter.shared is not None
        self.rate: RateLimitItem = parse(rate)
        self.warn: RateLimitItem = parse(warn)
        self.dropped = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        if user is None or await self.limiter.hit(self.rate, "updates", str(user.id)):
            return await handler(event, data)
        self.dropped += 1
        log.info("flood limit: an update was dropped")
        warn = await self.limiter.hit(self.warn, "warned", str(user.id))
        await self._tell(data.get("bot"), event, data, warn)
        return None

    async def _tell(self, bot: Bot | None, event: TelegramObject, data: dict[str, Any], warn: bool) -> None:
        if bot is None:
            return
        try:
            if isinstance(event, Update) and event.callback_query is not None:  # a press is always answered
                await bot.answer_callback_query(
                    event.callback_query.id, text=WARNING if warn else None, show_alert=warn
                )
            elif warn and (chat := data.get("event_chat")) is not None and chat.type == "private":
                await bot.send_message(chat.id, WARNING)
        except TelegramAPIError:
            log.warning("could not tell a flooding user to slow down")
