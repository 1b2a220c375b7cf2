"""Help-desk tickets: opened from the conversation, answered and closed by staff, promoted to FAQ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialogs.callbacks import TicketCb
from dialogs.faq_scope import LABELS
from dialogs.form import BY_STEP
from dialogs.notices import body
from dialogs.redact import redact
from office.staff import authorize
from storage.models import FaqAddition, Ticket
from storage.uow import UnitOfWork

PHASE_LABELS = {
    "idle": "首页",
    "notice_ack": "阅读告知",
    "consent": "个人信息处理同意",
    "id_type": "资格核验：证件类型",
    "id_number": "资格核验：证件号码",
    "id_confirm": "资格核验：确认证件号码",
    "archive": "资格核验：档案",
    "situation": "资格核验：办理情形",
    "eligible": "资格核验通过",
    "ineligible": "资格核验未通过",
    "review": "核对信息",
    "commitment": "承诺提交",
    "submitted": "已提交",
    "m_doc_choice": "上传材料：选择材料1",
    "m_doc": "上传材料1",
    "m_entrusted": "上传材料：档案委托情况",
    "m_letter": "上传材料2",
    "m_id_front": "上传身份证人像面",
    "m_id_back": "上传身份证国徽面",
}


def step_label(step: str) -> str:
    if step in BY_STEP:
        return f"填写表单：{BY_STEP[step].label}"
    return PHASE_LABELS.get(step, step)


def pseudonym(applicant_id: int, ref: str | None) -> str:
    return f"受理编号 {ref}" if ref else f"申请人#{applicant_id:05d}"


def candidate_hint(entry_id: str | None) -> str:
    if not entry_id:
        return ""
    return (
        f"可能相关的知识库条目：{entry_id}（若答复与该条目相同，回复本消息发送 /faq_add {entry_id}，"
        "把这个问法加入该条目）\n"
    )


def topic_hint(topic: str | None) -> str:
    label = LABELS.get(topic or "")
    return f"办事指南不涉及的问题：{label}\n" if label else ""


async def open_ticket(uow: UnitOfWork, applicant_id: int, data: dict[str, Any], helpdesk_chat: int | None) -> Ticket:
    ticket = await uow.tickets.open(
        applicant_id,
        redact(data.get("question", "")),
        {
            "step": data.get("step"),
            "ref": data.get("ref"),
            "reason": data.get("reason"),
            "candidate": data.get("candidate"),
            "topic": data.get("topic"),
        },
    )
    uow.events.add("ticket_opened", f"applicant:{applicant_id}", {"ticket": ticket.id}, applicant_id=applicant_id)
    if helpdesk_chat:
        text = (
            f"💬 工单 #{ticket.id}\n申请人：{pseudonym(applicant_id, data.get('ref'))}\n"
            f"当前步骤：{step_label(data.get('step') or '')}\n问题：{ticket.question}\n\n"
            f"{candidate_hint(data.get('candidate'))}{topic_hint(data.get('topic'))}"
            "请直接“回复”本消息答复申请人；答复后可发送 /faq_add 将问答加入知识库。"
        )
        note = body("helpdesk.ticket", text, [[("关闭工单", TicketCb("close", ticket.id).pack())]], protect=True)
        note["ticket_id"] = ticket.id
        await uow.notifications.to_chat(helpdesk_chat, note)
    return ticket


@dataclass
class TicketResult:
    ok: bool
    message: str
    ticket: Ticket | None = None


async def answer_ticket(
    uow: UnitOfWork, ticket_id: int, staff_telegram_id: int, text: str, now: datetime
) -> TicketResult:
    staff = await authorize(uow, staff_telegram_id, "answer", None, target=f"ticket:{ticket_id}")
    if staff is None:
        return TicketResult(False, "您没有答复工单的权限。")
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None or ticket.status == "closed":
        return TicketResult(False, "工单不存在或已关闭。")
    applicant = await uow.applicants.get(ticket.applicant_id)
    ticket.answer, ticket.status, ticket.updated_at = text, "answered", now
    uow.events.add(
        "ticket_answered", f"tg:{staff_telegram_id}", {"ticket": ticket.id}, applicant_id=ticket.applicant_id
    )
    reply = f"💬 人工客服回复您的问题“{ticket.question[:60]}”：\n{text}"
    await uow.notifications.to_person(applicant, body("applicant.helpdesk", reply))
    return TicketResult(True, "已转达申请人。", ticket)


async def close_ticket(uow: UnitOfWork, ticket_id: int, staff_telegram_id: int, now: datetime) -> TicketResult:
    staff = await authorize(uow, staff_telegram_id, "close_ticket", None, target=f"ticket:{ticket_id}")
    if staff is None:
        return TicketResult(False, "您没有关闭工单的权限。")
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None:
        return TicketResult(False, "工单不存在。")
    ticket.status, ticket.updated_at = "closed", now
    uow.events.add("ticket_closed", f"tg:{staff_telegram_id}", {"ticket": ticket.id}, applicant_id=ticket.applicant_id)
    return TicketResult(True, f"工单 #{ticket.id} 已关闭。", ticket)


async def ticket_by_staff_message(uow: UnitOfWork, chat_id: int, message_id: int) -> Ticket | None:
    return await uow.tickets.by_staff_message(chat_id, message_id)


async def promote_to_faq(
    uow: UnitOfWork, ticket_id: int, staff_telegram_id: int, entry_id: str | None = None
) -> FaqAddition | None:
    """`/faq_add [entry]`: the ticket's question becomes a wording of `entry`, or with the staff
    answer a new bank entry."""
    staff = await authorize(uow, staff_telegram_id, "faq_add", None, target=f"ticket:{ticket_id}")
    ticket = await uow.tickets.get(ticket_id) if staff else None
    if ticket is None or not ticket.answer:
        return None
    return await uow.faq_additions.add(
        redact(ticket.question), redact(ticket.answer), "人工客服答复", staff_telegram_id, entry_id=entry_id
    )


async def faq_additions(uow: UnitOfWork) -> list[FaqAddition]:
    return await uow.faq_additions.all()
