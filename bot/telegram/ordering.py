"""One chat's updates are handled one at a time, in arrival order; an album arrives as one batch."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, Update

ALBUM_WAIT = 0.8  # the photos of one album arrive as separate updates within a moment


def chat_of(update: Update) -> int | None:
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None:
        cb = update.callback_query
        return cb.message.chat.id if cb.message is not None else cb.from_user.id
    for event in (update.edited_message, update.channel_post, update.my_chat_member, update.chat_member):
        if event is not None and getattr(event, "chat", None) is not None:
            return event.chat.id
    return None


class ChatOrder(BaseMiddleware):
    """Outer middleware on the update observer, registered before any other of ours: the update takes
    its place in its chat's line synchronously, before the first await (filters in threads, database
    look-ups, the callback acknowledgement, downloads), so the line is the order of arrival.

    The first photo of an album waits ALBUM_WAIT and carries the whole album (`data["album"]`); the
    others join it and are not handled on their own."""

    def __init__(self, album_wait: float = ALBUM_WAIT) -> None:
        self.album_wait = album_wait
        self._tails: dict[int, asyncio.Future] = {}
        self._albums: dict[tuple[int, str], list[Message]] = {}

    def busy_chats(self) -> int:
        return len(self._tails)

    async def __call__(
        self, handler: Callable[[Update, dict[str, Any]], Awaitable[Any]], event: Update, data: dict[str, Any]
    ) -> Any:
        chat = chat_of(event)
        if chat is None:
            return await handler(event, data)
        album = None
        if event.message is not None and event.message.media_group_id:
            album = (chat, event.message.media_group_id)
            if album in self._albums:
                self._albums[album].append(event.message)
                return None
            self._albums[album] = [event.message]
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        before, mine = self._tails.get(chat), loop.create_future()
        self._tails[chat] = mine
        try:
            if before is not None:
                await asyncio.shield(before)
            if album is not None:
                await asyncio.sleep(max(0.0, arrived + self.album_wait - loop.time()))
                data["album"] = sorted(self._albums.pop(album), key=lambda m: m.message_id)
            return await handler(event, data)
        finally:
            if album is not None:
                self._albums.pop(album, None)
            if before is None or before.done():
                self._release(chat, mine)
            else:  # cancelled while waiting: the next in line still waits for the one before
                before.add_done_callback(lambda _f: self._release(chat, mine))

    def _release(self, chat: int, mine: asyncio.Future) -> None:
        if not mine.done():
            mine.set_result(None)
        if self._tails.get(chat) is mine:
            del self._tails[chat]
