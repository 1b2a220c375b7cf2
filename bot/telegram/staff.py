"""Staff buttons and replies: the window's 受理/退回/不予受理, clerks' 认领/办结/补正/不予办理, packets."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.telegram.callbacks import Cb, Prefixed, Stale
from bot.telegram.filters import When
from dialogs.callbacks import CaseCb, WindowCb
from dialogs.clock import utcnow
from dialogs.form import BY_KEY
from dialogs.materials import SLOTS
from dialogs.workdays import WorkCalendar
from dispatch.routing import FIELDS_BY_DEPARTMENT, MATERIALS
from office import access, decisions, pending, window
from office.staff import Actor, authorize
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def make_router(sessionmaker, blobs, calendar: WorkCalendar, clock=None) -> Router:
    router = Router(name="staff")
    router.callback_query.filter(Prefixed(CaseCb, WindowCb))  # every button below is one of these
    waiting: set[int] = set()  # who has a pending action (a hint; the pending_actions row is the truth)
    loaded = False
    now = clock or utcnow

    async def is_waiting(message: Message) -> bool:
        nonlocal loaded
        if not loaded:  # after a restart, the actions pending before it are found again
            async with UnitOfWork(sessionmaker) as uow:
                waiting.update(await uow.pending_actions.ids())
            loaded = True
        return message.from_user is not None and message.from_user.id in waiting

    async def ask_privately(bot: Bot, user_id: int, text: str, markup=None) -> bool:
        try:
            await bot.send_message(user_id, text, reply_markup=markup)
            return True
        except TelegramAPIError:
            return False

    async def send_packet(bot: Bot, user_id: int, packet) -> None:
        for name, data in packet.files.items():
            await bot.send_document(
                user_id, BufferedInputFile(data, filename=f"{packet.ref}-{name}"), protect_content=True
            )

    def toggles(case_id: int, dept: str, p) -> InlineKeyboardMarkup:
        rows = []
        for key in FIELDS_BY_DEPARTMENT[dept]:
            if key in BY_KEY:
                mark = "■" if key in p.fields else "□"
                rows.append(
                    InlineKeyboardButton(
                        text=f"{mark}{BY_KEY[key].label}", callback_data=CaseCb("tf", case_id, key).pack()
                    )
                )
        for key in MATERIALS[dept]:
            mark = "■" if key in p.materials else "□"
            rows.append(
                InlineKeyboardButton(
                    text=f"{mark}{SLOTS[key].title[:10]}", callback_data=CaseCb("tm", case_id, key).pack()
                )
            )
        grid = [rows[i : i + 3] for i in range(0, len(rows), 3)]
        grid.append([InlineKeyboardButton(text="选好了，填写原因", callback_data=CaseCb("cc", case_id).pack())])
        return InlineKeyboardMarkup(inline_keyboard=grid)

    async def deliver_packet(cb: CallbackQuery, bot: Bot, packet, no_chat: str, note: str = "") -> None:
        await cb.answer("材料已发送到您与机器人的私聊。")
        try:
            await send_packet(bot, cb.from_user.id, packet)
            if note:  # which material could not be shown
                await bot.send_message(cb.from_user.id, note)
        except TelegramAPIError:
            await cb.answer(no_chat, show_alert=True)

    async def viewable_department(uid: int, case_id: int, perm: str = "view") -> str | None:
        """The case's department if this clerk may work on it (audited as `perm`), else None."""
        async with UnitOfWork(sessionmaker) as uow:
            case = await uow.cases.get(case_id)
            if case is None or await authorize(uow, uid, perm, case.department, target=f"case:{case_id}") is None:
                return None
            return case.department

    @router.callback_query(Cb(CaseCb, WindowCb, stale=True), When(F.message.sender_chat))
    async def on_anonymous(cb: CallbackQuery) -> None:
        await cb.answer("请以个人账号操作。", show_alert=True)

    @router.message(When((F.chat.type == "private") & F.text & F.sender_chat))
    async def on_anonymous_text(message: Message) -> None:
        await message.answer("请以个人账号操作。")

    @router.callback_query(Stale(CaseCb, WindowCb))
    async def on_stale(cb: CallbackQuery) -> None:
        await cb.answer("该按钮已失效。")

    # ---- a department case: k|<action>|<case id>[|key] --------------------------------------
    @router.callback_query(Cb(CaseCb, rule=F.action.in_({"claim", "done"})))
    async def on_case_decide(cb: CallbackQuery, callback_data: CaseCb) -> None:
        """认领 / 办结: told only after the decision and its audit row committed."""
        async with UnitOfWork(sessionmaker) as uow:
            result = await decisions.decide(
                uow, callback_data.case_id, callback_data.action, Actor.staff(cb.from_user.id), now()
            )
        await cb.answer(result.message or "已处理", show_alert=not result.ok)

    @router.callback_query(Cb(CaseCb, rule=F.action == "open"))
    async def on_case_open(cb: CallbackQuery, bot: Bot, callback_data: CaseCb) -> None:
        """查看材料: the department's packet, sent privately to an authorised clerk."""
        async with UnitOfWork(sessionmaker) as uow:
            result, packet = await access.case_packet(uow, blobs, callback_data.case_id, Actor.staff(cb.from_user.id))
        if packet is None:
            await cb.answer(result.message, show_alert=True)
            return
        await deliver_packet(cb, bot, packet, "请先私聊机器人发送 /start，再点“查看材料”。", result.message)

    @router.callback_query(Cb(CaseCb, rule=F.action.in_({"reject", "correct"})))
    async def on_case_reason(cb: CallbackQuery, bot: Bot, callback_data: CaseCb) -> None:
        """不予受理 / 要求补正: ask privately for the reason (and, for a correction, the items)."""
        uid, case_id = cb.from_user.id, callback_data.case_id
        department = await viewable_department(uid, case_id, callback_data.action)
        if department is None:
            await cb.answer("您没有权限办理该部门的件。", show_alert=True)
            return
        async with UnitOfWork(sessionmaker) as uow:  # stored: survives a restart, expires, re-checked at the end
            p = await pending.begin(uow, uid, "k", callback_data.action, str(case_id), now())
        waiting.add(uid)
        if callback_data.action == "reject":
            ok = await ask_privately(bot, uid, f"请输入不予办理的原因（件号 {case_id}）：")
        else:
            ok = await ask_privately(bot, uid, "请选择需要补正的项目：", toggles(case_id, department, p))
        await cb.answer("请在与机器人的私聊中继续。" if ok else "请先私聊机器人发送 /start。", show_alert=not ok)

    @router.callback_query(Cb(CaseCb, rule=F.action.in_({"tf", "tm"}) & F.key))
    async def on_case_toggle(cb: CallbackQuery, callback_data: CaseCb) -> None:
        """Tick or untick one field (tf) or material (tm) to be corrected."""
        uid = cb.from_user.id
        department = await viewable_department(uid, callback_data.case_id)
        if department is None:
            await cb.answer("您没有权限办理该部门的件。", show_alert=True)
            return
        async with UnitOfWork(sessionmaker) as uow:
            p = await pending.toggle(
                uow,
                uid,
                callback_data.case_id,
                "field" if callback_data.action == "tf" else "material",
                callback_data.key,
                now(),
            )
        if p is None:
            await cb.answer("该按钮已失效。")
            return
        await cb.message.edit_reply_markup(reply_markup=toggles(callback_data.case_id, department, p))
        await cb.answer()

    @router.callback_query(Cb(CaseCb, rule=F.action == "cc"))
    async def on_case_chosen(cb: CallbackQuery, bot: Bot, callback_data: CaseCb) -> None:
        """The items are chosen: ask for the reason."""
        uid = cb.from_user.id
        if await viewable_department(uid, callback_data.case_id) is None:
            await cb.answer("您没有权限办理该部门的件。", show_alert=True)
            return
        async with UnitOfWork(sessionmaker) as uow:
            p = await pending.current(uow, uid, now())
        if p is None or p.target != str(callback_data.case_id):
            await cb.answer("该按钮已失效。")
            return
        await cb.answer()
        await ask_privately(bot, uid, "请输入补正原因（将告知申请人）：")

    @router.callback_query(Cb(CaseCb))
    async def on_case_unknown(cb: CallbackQuery, callback_data: CaseCb) -> None:
        if await viewable_department(cb.from_user.id, callback_data.case_id) is None:
            await cb.answer("您没有权限办理该部门的件。", show_alert=True)
            return
        await cb.answer("该按钮已失效。")

    # ---- the window: w|<action>|<ref> ------------------------------------------------------------
    @router.callback_query(Cb(WindowCb, rule=F.action == "accept"))
    async def on_window_accept(cb: CallbackQuery, callback_data: WindowCb) -> None:
        uid, ref = cb.from_user.id, callback_data.ref
        async with UnitOfWork(sessionmaker) as uow:
            if await authorize(uow, uid, "accept", None, target=ref) is None:
                result = None
            else:
                result = await window.accept(uow, ref, f"tg:{uid}", now(), calendar)
        if result is None:
            await cb.answer("您没有窗口受理的权限。", show_alert=True)
            return
        await cb.answer(result.message, show_alert=not result.ok)

    @router.callback_query(Cb(WindowCb, rule=F.action == "open"))
    async def on_window_open(cb: CallbackQuery, bot: Bot, callback_data: WindowCb) -> None:
        uid, ref = cb.from_user.id, callback_data.ref
        async with UnitOfWork(sessionmaker) as uow:
            staff = await authorize(uow, uid, "view", None, target=ref)
            result, packet = await access.window_packet(uow, blobs, ref, staff) if staff else (None, None)
        if staff is None:
            await cb.answer("您没有窗口受理的权限。", show_alert=True)
        elif packet is None:
            await cb.answer(result.message, show_alert=True)
        else:
            await deliver_packet(cb, bot, packet, "请先私聊机器人发送 /start。", result.message)

    @router.callback_query(Cb(WindowCb, rule=F.action.in_({"return", "refuse"})))
    async def on_window_reason(cb: CallbackQuery, bot: Bot, callback_data: WindowCb) -> None:
        uid, ref, action = cb.from_user.id, callback_data.ref, callback_data.action
        async with UnitOfWork(sessionmaker) as uow:
            allowed = await authorize(uow, uid, action, None, target=ref) is not None
            if allowed:
                await pending.begin(uow, uid, "w", action, ref, now())
        if not allowed:
            await cb.answer("您没有窗口受理的权限。", show_alert=True)
            return
        waiting.add(uid)
        ok = await ask_privately(bot, uid, f"请输入{'退回补正' if action == 'return' else '不予受理'}的原因（{ref}）：")
        await cb.answer("请在与机器人的私聊中继续。" if ok else "请先私聊机器人发送 /start。", show_alert=not ok)

    @router.callback_query(Cb(WindowCb))
    async def on_window_unknown(cb: CallbackQuery, callback_data: WindowCb) -> None:
        async with UnitOfWork(sessionmaker) as uow:
            allowed = await authorize(uow, cb.from_user.id, "unknown", None, target=callback_data.ref) is not None
        await cb.answer("该按钮已失效。" if allowed else "您没有窗口受理的权限。", show_alert=not allowed)

    # ---- the reason, typed in the private chat --------------------------------------------------
    @router.message(When((F.chat.type == "private") & F.text), is_waiting)
    async def on_reason(message: Message) -> None:
        """The typed reason completes the stored action; the person is authorised again (office.pending)."""
        waiting.discard(message.from_user.id)
        async with UnitOfWork(sessionmaker) as uow:
            result = await pending.complete(uow, message.from_user.id, message.text.strip()[:300], now())
        await message.answer(result.message)

    return router
