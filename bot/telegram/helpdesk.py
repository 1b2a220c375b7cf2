"""Help-desk staff chat: reply to a ticket to answer the applicant, close tickets, /faq_add."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.faq_learning import apply_addition
from bot.telegram.callbacks import Cb
from bot.telegram.filters import When
from dialogs.callbacks import TicketCb, Unknown
from dialogs.clock import utcnow
from dialogs.faq import FaqIndex
from office import helpdesk
from storage.uow import UnitOfWork


def make_router(sessionmaker, chat_id: int, faq: FaqIndex | None, clock=None) -> Router:
    router = Router(name="helpdesk")
    router.message.filter(When(F.chat.id == chat_id))
    router.callback_query.filter(When(F.message.chat.id == chat_id))
    now = clock or utcnow

    async def ticket_of(uow: UnitOfWork, message: Message):
        target = message.reply_to_message
        if target is None:
            return None
        ticket = await helpdesk.ticket_by_staff_message(uow, message.chat.id, target.message_id)
        if ticket is None and target.reply_to_message is not None:
            ticket = await helpdesk.ticket_by_staff_message(uow, message.chat.id, target.reply_to_message.message_id)
        return ticket

    @router.message(Command("faq_add"))
    async def on_faq_add(message: Message, command: CommandObject) -> None:
        if message.sender_chat is not None:
            await message.reply("请以个人账号操作。")
            return
        entry_id = (command.args or "").strip() or None
        if entry_id and faq is not None and all(e.id != entry_id for e in faq.entries):
            await message.reply(f"知识库中没有条目“{entry_id[:40]}”。不带参数发送 /faq_add 则新建条目。")
            return
        async with UnitOfWork(sessionmaker) as uow:
            ticket = await ticket_of(uow, message)
            row = await helpdesk.promote_to_faq(uow, ticket.id, message.from_user.id, entry_id) if ticket else None
        if row is None:
            await message.reply("请回复一条已答复的工单消息发送 /faq_add（需要客服权限）。")
            return
        if faq is not None:
            apply_addition(faq, row)
        how = f"作为条目 {entry_id} 的新问法" if entry_id else "作为新条目"
        await message.reply(f"已加入知识库（{how}）：下次有人问“{row.question[:40]}”，助手将直接答复。")

    @router.message(When(F.reply_to_message & F.text))
    async def on_reply(message: Message) -> None:
        if message.sender_chat is not None:
            await message.reply("请以个人账号答复工单。")
            return
        async with UnitOfWork(sessionmaker) as uow:
            ticket = await ticket_of(uow, message)
            if ticket is None:
                if message.reply_to_message.from_user and message.reply_to_message.from_user.is_bot:
                    await message.reply("未找到这条消息对应的工单，请稍候几秒再回复该工单消息。")
                return
            result = await helpdesk.answer_ticket(uow, ticket.id, message.from_user.id, message.text, now())
        await message.reply(result.message)

    @router.callback_query(Cb(TicketCb, stale=True))
    async def on_close(cb: CallbackQuery, callback_data: TicketCb | Unknown) -> None:
        ticket_id = callback_data.ticket_id if isinstance(callback_data, TicketCb) else 0
        async with UnitOfWork(sessionmaker) as uow:
            result = await helpdesk.close_ticket(uow, ticket_id, cb.from_user.id, now())
        await cb.answer(result.message, show_alert=not result.ok)

    return router
