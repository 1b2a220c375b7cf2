"""`/bind CODE`: the applicant links this Telegram account to a case accepted at the window."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message

from bot.telegram.filters import When
from dialogs.clock import utcnow
from office import binding
from storage.uow import UnitOfWork


def make_router(sessionmaker, clock=None) -> Router:
    router = Router(name="binding")
    now = clock or utcnow

    async def bind(message: Message, code: str) -> None:
        if not code:
            await message.answer(binding.HOW)
            return
        async with UnitOfWork(sessionmaker) as uow:
            result = await binding.bind(uow, code, "telegram", str(message.from_user.id), message.chat.id, now())
        await message.answer(result.message)

    @router.message(Command("bind"), When((F.chat.type == "private") & F.from_user))
    async def on_bind(message: Message, command: CommandObject) -> None:
        await bind(message, (command.args or "").strip())

    # The receipt's QR code opens t.me/<bot>?start=bind_CODE.
    @router.message(
        CommandStart(deep_link=True, magic=F.args.startswith("bind_")), When((F.chat.type == "private") & F.from_user)
    )
    async def on_start_bind(message: Message, command: CommandObject) -> None:
        await bind(message, command.args.removeprefix("bind_"))

    return router
