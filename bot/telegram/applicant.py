"""The applicant's router: every kind of input becomes a UserInput for the runner."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.runner import Runner, Who
from bot.telegram.files import fetch
from bot.telegram.filters import When
from bot.telegram.render import send_replies
from dialogs import texts
from dialogs.clock import utcnow
from dialogs.intake import MAX_UPLOAD_BYTES
from dialogs.model import Upload, UserInput

log = logging.getLogger(__name__)
COMMANDS = tuple(name for name, _ in texts.COMMANDS)
ALBUM_WAIT = 0.8


class ChatLocks:
    """Serialises one chat's updates inside this process (the draft version guards across processes).
    A chat's lock lives only while an update of that chat is in hand, so idle chats cost nothing."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}  # chat -> (lock, updates holding or waiting)

    @contextlib.asynccontextmanager
    async def __call__(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id) or (asyncio.Lock(), 0)
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users == 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


class Albums:
    """Collects the photos of one album (same media_group_id) into one batch."""

    def __init__(self) -> None:
        self._pending: dict[str, list[Message]] = {}

    def add(self, message: Message) -> bool:
        """True for the first message of a group: that handler waits and takes the batch."""
        key = message.media_group_id or ""
        first = key not in self._pending
        self._pending.setdefault(key, []).append(message)
        return first

    def take(self, key: str) -> list[Message]:
        return sorted(self._pending.pop(key, []), key=lambda m: m.message_id)


def who(message_or_cb) -> Who:
    user = message_or_cb.from_user
    chat = message_or_cb.message.chat if isinstance(message_or_cb, CallbackQuery) else message_or_cb.chat
    return Who(channel="telegram", external_id=str(user.id), chat_id=chat.id, username=user.username)


def account(user) -> str:
    return f"telegram:{user.id}" + (f"(@{user.username})" if user.username else "")


def make_router(runner: Runner, clock=utcnow) -> Router:
    router = Router(name="applicant")
    router.message.filter(When(F.chat.type == "private"))
    router.callback_query.filter(When(F.message.chat.type == "private"))
    locks, albums = ChatLocks(), Albums()

    async def run(bot: Bot, source, inp: UserInput) -> None:
        chat_id = source.message.chat.id if isinstance(source, CallbackQuery) else source.chat.id
        async with locks(chat_id):
            replies = await runner.handle(who(source), inp)
            await send_replies(bot, chat_id, replies)

    def base(user, **kw) -> UserInput:
        return UserInput(now=clock(), account=account(user), **kw)

    @router.message(CommandStart())
    @router.message(Command(*(c for c in COMMANDS if c != "start")))
    async def on_command(message: Message, bot: Bot, command: CommandObject) -> None:
        await run(bot, message, base(message.from_user, kind="command", command=command.command))

    @router.callback_query()
    async def on_button(cb: CallbackQuery, bot: Bot) -> None:
        await cb.answer()
        if cb.message is None or cb.data is None:
            return
        await run(bot, cb, base(cb.from_user, kind="choose", payload=cb.data))

    @router.message(When(F.contact))
    async def on_contact(message: Message, bot: Bot) -> None:
        contact = message.contact
        if contact.user_id and contact.user_id != message.from_user.id:
            await message.answer("请分享您本人的手机号码，或直接输入手机号码。")
            return
        await run(bot, message, base(message.from_user, kind="contact", text=contact.phone_number))

    @router.message(When(F.photo | F.document))
    async def on_file(message: Message, bot: Bot) -> None:
        if message.media_group_id:
            if not albums.add(message):
                return
            await asyncio.sleep(ALBUM_WAIT)
            batch = albums.take(message.media_group_id)
        else:
            batch = [message]
        files = [await download(bot, m, runner.intake.spool) for m in batch]
        await run(bot, message, base(message.from_user, kind="upload", files=files))

    @router.message(When(F.text))
    async def on_text(message: Message, bot: Bot) -> None:
        await run(bot, message, base(message.from_user, kind="text", text=message.text))

    @router.message()
    async def on_other(message: Message, bot: Bot) -> None:
        kind = getattr(message.content_type, "value", message.content_type)
        await run(bot, message, base(message.from_user, kind="other", other=str(kind)))

    return router


async def download(bot: Bot, message: Message, spool: Path) -> Upload:
    if message.photo:
        item, name = message.photo[-1], None
    else:
        item, name = message.document, message.document.file_name
    size = item.file_size or 0
    if size > MAX_UPLOAD_BYTES:  # declared too big: refused without a download
        return Upload(data=None, filename=name, size=size, group=message.media_group_id)
    path = await fetch(bot, item.file_id, spool)  # the limit holds on bytes received, not on file_size
    if path is None:
        return Upload(data=None, filename=name, size=MAX_UPLOAD_BYTES + 1, group=message.media_group_id)
    return Upload(path=path, filename=name, size=os.path.getsize(path), group=message.media_group_id)
