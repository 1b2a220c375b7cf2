"""Staff buttons and replies: the window's 受理/退回/不予受理, clerks' 认领/办结/补正/不予受理, packets."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.telegram.callbacks import Cb, Stale
from dialogs.callbacks import CaseCb, WindowCb
from dialogs.form import BY_KEY
from dialogs.materials import SLOTS
from dialogs.workdays import WorkCalendar
from office import access, decisions, window
from dispatch.routing import FIELDS_BY_DEPARTMENT, MATERIALS
from office.staff import Actor, authorize
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class Pending:
    """A staff action waiting for its reason, typed in the private chat with the bot."""

    kind: str  # "k" (department case) or "w" (window)
    action: str
    target: str
    fields: set[str] = field(default_factory=set)
    materials: set[str] = field(default_factory=set)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_router(sessionmaker, blobs, calendar: WorkCalendar, clock=None) -> Router:
    router = Router(name="staff")
    waiting: dict[int, Pending] = {}
    now = clock or utcnow

    async def ask_privately(bot: Bot, user_id: int, text: str, markup=None) -> bool:
        try:
            await bot.send_message(user_id, text, reply_markup=markup)
            return True
        except TelegramAPIError:
            return False

    async def send_packet(bot: Bot, user_id: int, packet) -> None:
        for name, data in packet.files.items():
            await bot.send_document(user_id, BufferedInputFile(data, filename=f"{packet.ref}-{name}"),
                                    protect_content=True)

    def toggles(case_id: int, dept: str, p: Pending) -> InlineKeyboardMarkup:
        rows = []
        for key in FIELDS_BY_DEPARTMENT[dept]:
            if key in BY_KEY:
                mark = "■" if key in p.fields else "□"
                rows.append(InlineKeyboardButton(text=f"{mark}{BY_KEY[key].label}", callback_data=CaseCb("tf", case_id, key).pack()))
        for key in MATERIALS[dept]:
            mark = "■" if key in p.materials else "□"
            rows.append(InlineKeyboardButton(text=f"{mark}{SLOTS[key].title[:10]}", callback_data=CaseCb("tm", case_id, key).pack()))
        grid = [rows[i:i + 3] for i in range(0, len(rows), 3)]
        grid.append([InlineKeyboardButton(text="选好了，填写原因", callback_data=CaseCb("cc", case_id).pack())])
        return InlineKeyboardMarkup(inline_keyboard=grid)

    @router.callback_query(Cb(CaseCb, WindowCb, stale=True), F.message.sender_chat)
    async def on_anonymous(cb: CallbackQuery) -> None:
        await cb.answer("请以个人账号操作。", show_alert=True)

    @router.message(F.chat.type == "private", F.text, F.sender_chat)
    async def on_anonymous_text(message: Message) -> None:
        await message.answer("请以个人账号操作。")

    @router.callback_query(Stale(CaseCb, WindowCb))
    async def on_stale(cb: CallbackQuery) -> None:
        await cb.answer("该按钮已失效。")

    @router.callback_query(Cb(CaseCb))
    async def on_case_button(cb: CallbackQuery, bot: Bot, callback_data: CaseCb) -> None:
        action, case_id = callback_data.action, callback_data.case_id
        uid = cb.from_user.id
        actor = Actor.staff(uid)
        async with UnitOfWork(sessionmaker) as uow:
            case = await uow.cases.get(case_id)
            if action in ("claim", "done"):
                result = await decisions.decide(uow, case_id, action, actor, now())
            elif action == "open":
                result, packet = await access.case_packet(uow, blobs, case_id, actor)
            elif case is None or await authorize(uow, uid, "view", case.department,
                                                 target=f"case:{case_id}") is None:
                result, packet = None, None
            else:
                result, packet = True, None
        if action in ("claim", "done"):  # told only after the decision and its audit row committed
            await cb.answer(result.message or "已处理", show_alert=not result.ok)
            return
        if action == "open":
            if packet is None:
                await cb.answer(result.message, show_alert=True)
                return
            await cb.answer("材料已发送到您与机器人的私聊。")
            try:
                await send_packet(bot, uid, packet)
            except TelegramAPIError:
                await cb.answer("请先私聊机器人发送 /start，再点“查看材料”。", show_alert=True)
            return
        if result is None:
            await cb.answer("您没有权限办理该部门的件。", show_alert=True)
            return
        if action in ("reject", "correct"):
            p = waiting[uid] = Pending("k", action, str(case_id))
            if action == "reject":
                ok = await ask_privately(bot, uid, f"请输入不予受理的原因（件号 {case_id}）：")
            else:
                ok = await ask_privately(bot, uid, "请选择需要补正的项目：", toggles(case_id, case.department, p))
            await cb.answer("请在与机器人的私聊中继续。" if ok else "请先私聊机器人发送 /start。", show_alert=not ok)
        elif action in ("tf", "tm") and uid in waiting and callback_data.key:
            p = waiting[uid]
            chosen = p.fields if action == "tf" else p.materials
            chosen.symmetric_difference_update({callback_data.key})
            await cb.message.edit_reply_markup(reply_markup=toggles(case_id, case.department, p))
            await cb.answer()
        elif action == "cc" and uid in waiting:
            await cb.answer()
            await ask_privately(bot, uid, "请输入补正原因（将告知申请人）：")
        else:
            await cb.answer("该按钮已失效。")

    @router.callback_query(Cb(WindowCb))
    async def on_window_button(cb: CallbackQuery, bot: Bot, callback_data: WindowCb) -> None:
        action, ref = callback_data.action, callback_data.ref
        uid = cb.from_user.id
        perm = {"accept": "accept", "open": "view", "return": "return", "refuse": "refuse"}.get(action, "unknown")
        async with UnitOfWork(sessionmaker) as uow:
            staff = await authorize(uow, uid, perm, None, target=ref)
            if staff is None:
                pass
            elif action == "accept":
                result = await window.accept(uow, ref, f"tg:{uid}", now(), calendar)
            elif action == "open":
                packet = await access.full_packet(uow, blobs, ref, f"tg:{uid}")
        if staff is None:
            await cb.answer("您没有窗口受理的权限。", show_alert=True)
        elif action == "accept":
            await cb.answer(result.message, show_alert=not result.ok)
        elif action == "open":
            if packet is None:
                await cb.answer("未找到该申请。", show_alert=True)
                return
            await cb.answer("材料已发送到您与机器人的私聊。")
            try:
                await send_packet(bot, uid, packet)
            except TelegramAPIError:
                await cb.answer("请先私聊机器人发送 /start。", show_alert=True)
        elif action in ("return", "refuse"):
            waiting[uid] = Pending("w", action, ref)
            ok = await ask_privately(bot, uid, f"请输入{'退回补正' if action == 'return' else '不予受理'}的原因（{ref}）：")
            await cb.answer("请在与机器人的私聊中继续。" if ok else "请先私聊机器人发送 /start。", show_alert=not ok)
        else:
            await cb.answer("该按钮已失效。")

    @router.message(F.chat.type == "private", F.text, F.from_user.id.func(lambda uid: uid in waiting))
    async def on_reason(message: Message) -> None:
        p = waiting.pop(message.from_user.id)
        reason = message.text.strip()[:300]
        async with UnitOfWork(sessionmaker) as uow:
            if p.kind == "w" and p.action == "return":
                result = await window.return_for_correction(uow, p.target, f"tg:{message.from_user.id}", reason)
            elif p.kind == "w":
                result = await window.refuse(uow, p.target, f"tg:{message.from_user.id}", reason)
            else:
                result = await decisions.decide(uow, int(p.target), p.action, Actor.staff(message.from_user.id),
                                                now(), reason=reason, fields=sorted(p.fields),
                                                materials=sorted(p.materials))
        await message.answer(result.message)

    return router
