"""A recording Bot API session: every request is kept, and plausible results are returned."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetFile,
    SendDocument,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import Chat, File, InlineKeyboardMarkup, Message


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod] = []
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(1000)

    async def close(self) -> None:
        pass

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None) -> Any:
        self.requests.append(method)
        now = datetime.now(UTC)
        if isinstance(method, (SendMessage, SendDocument)):
            chat = Chat(id=int(method.chat_id), type="private" if int(method.chat_id) > 0 else "supergroup")
            markup = method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
            return Message(
                message_id=next(self._ids), date=now, chat=chat, text=getattr(method, "text", None), reply_markup=markup
            )
        if isinstance(method, EditMessageText):
            return True
        if isinstance(method, (AnswerCallbackQuery, SetMyCommands)):
            return True
        if isinstance(method, GetFile):
            return File(file_id=method.file_id, file_unique_id=method.file_id, file_path=f"files/{method.file_id}")
        return True

    async def stream_content(
        self, url: str, headers=None, timeout: int = 30, chunk_size: int = 65536, raise_for_status: bool = True
    ) -> AsyncGenerator[bytes, None]:
        file_id = url.rsplit("/", 1)[-1]
        yield self.files[file_id]

    # What the user saw
    def sent(self, chat_id: int | None = None) -> list[SendMessage]:
        return [
            r for r in self.requests if isinstance(r, SendMessage) and (chat_id is None or int(r.chat_id) == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [r.text for r in self.sent(chat_id)]

    def buttons(self, chat_id: int | None = None) -> list[str]:
        last = [r for r in self.sent(chat_id) if r.reply_markup is not None]
        if not last or not hasattr(last[-1].reply_markup, "inline_keyboard"):
            return []
        return [b.callback_data for row in last[-1].reply_markup.inline_keyboard for b in row]

    def clear(self) -> None:
        self.requests.clear()


class FlakySession(RecordingSession):
    """A recording session whose next calls of a method fail as Telegram fails (429, 5xx, 400...)."""

    def __init__(self) -> None:
        super().__init__()
        self._failures: dict[type, list] = {}
        self.failed: list[TelegramMethod] = []  # calls that failed: not in `requests`, the user saw nothing
        self.download_failures = 0

    def fail_next(self, method: type, make_error, times: int = 1) -> None:
        """`make_error(method)` builds the exception raised instead of the next `times` calls."""
        self._failures.setdefault(method, []).extend([make_error] * times)

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None) -> Any:
        pending = self._failures.get(type(method))
        if pending:
            self.failed.append(method)
            raise pending.pop(0)(method)
        return await super().make_request(bot, method, timeout)

    async def stream_content(
        self, url: str, headers=None, timeout: int = 30, chunk_size: int = 65536, raise_for_status: bool = True
    ) -> AsyncGenerator[bytes, None]:
        if self.download_failures:
            self.download_failures -= 1
            from aiogram.exceptions import TelegramNetworkError

            raise TelegramNetworkError(method=GetFile(file_id="x"), message="connection reset")
        async for chunk in super().stream_content(url, headers, timeout, chunk_size, raise_for_status):
            yield chunk
