"""The applicant's router: every kind of input becomes a UserInput for the runner."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.runner import Runner, Who
from bot.telegram.dedup import RECORDS_UPDATE, current_scope
from bot.telegram.downloads import DownloadFailed, NoSpace, fetch
from bot.telegram.filters import When
from bot.telegram.render import send_replies
from bot.telegram.replies import ReplySender
from dialogs import texts
from dialogs.clock import utcnow
from dialogs.intake import MAX_UPLOAD_BYTES
from dialogs.model import Upload, UserInput

log = logging.getLogger(__name__)
COMMANDS = tuple(name for name, _ in texts.COMMANDS)
# The handlers that reach the runner before any other effect: its turn records the update id (a
# re-delivery is refused there), so the dedup middleware reads nothing first (bot.telegram.dedup).
RECORDED = {RECORDS_UPDATE: True}


def who(message_or_cb) -> Who:
    user = message_or_cb.from_user
    chat = message_or_cb.message.chat if isinstance(message_or_cb, CallbackQuery) else message_or_cb.chat
    scope = current_scope()
    return Who(
        channel="telegram",
        external_id=str(user.id),
        chat_id=chat.id,
        username=user.username,
        update=(scope.bot_id, scope.update_id) if scope is not None else None,
        outbox=True,
        arrival=scope.arrival if scope is not None else None,
    )


async def acknowledge(cb: CallbackQuery) -> None:
    """Stops the button's spinner; the press counts whatever becomes of this call (a stale query)."""
    try:
        await cb.answer()
    except Exception as e:  # noqa: BLE001 - the press was handled; only the spinner is left
        log.info("callback acknowledgement failed: %s", type(e).__name__)


def account(user) -> str:
    return f"telegram:{user.id}" + (f"(@{user.username})" if user.username else "")


def make_router(runner: Runner, clock=utcnow, replies: ReplySender | None = None) -> Router:
    """Updates of one chat arrive here one at a time (bot.telegram.ordering), so no lock is taken here."""
    router = Router(name="applicant")
    router.message.filter(When(F.chat.type == "private"))
    router.callback_query.filter(When(F.message.chat.type == "private"))
    sender = replies or ReplySender(runner.sessionmaker, runner.owner, writer=runner.writer)

    async def run(bot: Bot, source, inp: UserInput) -> None:
        chat_id = source.message.chat.id if isinstance(source, CallbackQuery) else source.chat.id
        w = who(source)
        shown = await runner.handle(w, inp)
        scope = current_scope()
        if scope is not None:
            scope.recorded |= w.update is not None and (w.kept or w.duplicate)
            scope.kept = w.kept
            scope.duplicate = w.duplicate
        if isinstance(source, CallbackQuery):
            await acknowledge(source)
        if w.queued is not None:
            await sender.deliver(bot, chat_id, w.queued, w.fresh)
        else:
            await send_replies(bot, chat_id, shown)

    def base(user, **kw) -> UserInput:
        return UserInput(now=clock(), account=account(user), **kw)

    # One filter for every command (CommandStart() is Command("start")): each message goes through the
    # filters of the handlers above the one it reaches, so the common ones come first (a text message
    # never carries a contact, photo or document, so their order among these three changes nothing).
    @router.message(Command(*COMMANDS), flags=RECORDED)
    async def on_command(message: Message, bot: Bot, command: CommandObject) -> None:
        await run(bot, message, base(message.from_user, kind="command", command=command.command))

    @router.callback_query(flags=RECORDED)
    async def on_button(cb: CallbackQuery, bot: Bot) -> None:
        if cb.message is None or cb.data is None:
            await acknowledge(cb)
            return
        await run(bot, cb, base(cb.from_user, kind="choose", payload=cb.data))

    @router.message(When(F.text), flags=RECORDED)
    async def on_text(message: Message, bot: Bot) -> None:
        await run(bot, message, base(message.from_user, kind="text", text=message.text))

    @router.message(When(F.contact))
    async def on_contact(message: Message, bot: Bot) -> None:
        contact = message.contact
        if contact.user_id and contact.user_id != message.from_user.id:
            await message.answer("请分享您本人的手机号码，或直接输入手机号码。")
            return
        await run(bot, message, base(message.from_user, kind="contact", text=contact.phone_number))

    @router.message(When(F.photo | F.document))
    async def on_file(message: Message, bot: Bot, album: list[Message] | None = None) -> None:
        batch = album or [message]  # an album's photos come together (bot.telegram.ordering)
        try:
            files = [await download(bot, m, runner.intake.spool) for m in batch]
        except NoSpace:
            await send_replies(bot, message.chat.id, [texts.no_space_for_upload(len(batch))])
            return
        except DownloadFailed:
            await send_replies(bot, message.chat.id, [texts.download_failed(len(batch))])
            return
        await run(bot, message, base(message.from_user, kind="upload", files=files))

    @router.message(flags=RECORDED)
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
    path = await fetch(bot, item.file_id, spool)  # retried; the limit holds on bytes received
    if path is None:
        return Upload(data=None, filename=name, size=MAX_UPLOAD_BYTES + 1, group=message.media_group_id)
    return Upload(path=path, filename=name, size=os.path.getsize(path), group=message.media_group_id)
