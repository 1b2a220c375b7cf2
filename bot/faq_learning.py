"""The help desk's learning loop: staff additions into the live bank, and `python -m bot faq report`."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from dialogs.clock import utcnow
from dialogs.faq import FaqIndex
from dialogs.faq_scope import LABELS
from dialogs.helpdesk import learn
from storage.uow import UnitOfWork

NO_ENTRY = "（无相关条目）"
TOPIC = "topic:"  # group key of out-of-scope hand-offs, by their topic


def apply_addition(faq: FaqIndex, row) -> str:
    """A stored staff addition into the live bank (at start-up and right after /faq_add)."""
    return learn(
        faq,
        addition_id=row.id,
        question=row.question,
        answer=row.answer,
        entry_id=row.entry_id,
        section=row.section,
        created=row.created_at.date(),
    )


def group_tickets(faq: FaqIndex, tickets) -> dict[str, list]:
    """Tickets by the entry their question most likely belongs to; the biggest groups first."""
    groups: dict[str, list] = defaultdict(list)
    for t in tickets:
        context = t.context or {}
        if context.get("reason") == "out_of_scope":  # by what the notice does not cover
            topic = context.get("topic")
            groups[f"{TOPIC}{topic}" if topic in LABELS else NO_ENTRY].append(t)
            continue
        entry = faq.candidate(t.question)
        groups[entry.id if entry else NO_ENTRY].append(t)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] == NO_ENTRY, kv[0].startswith(TOPIC), -len(kv[1]), kv[0])))


def render(faq: FaqIndex, groups: dict[str, list], days: int) -> str:
    total = sum(len(g) for g in groups.values())
    if not total:
        return f"近 {days} 天没有转人工的问题。"
    by_id = {e.id: e for e in faq.entries}
    lines = [f"近 {days} 天转人工的问题：{total} 条，按可能相关的知识库条目分组（供客服复核）"]
    for entry_id, tickets in groups.items():
        entry = by_id.get(entry_id)
        if entry_id.startswith(TOPIC):
            title = f"超出办事指南｜{LABELS[entry_id.removeprefix(TOPIC)]}"
        else:
            title = f"{entry_id}｜{entry.section}｜{entry.questions[0]}" if entry else entry_id
        lines.append(f"\n【{title}】{len(tickets)} 条")
        for t in tickets:
            now_answered = faq.answer(t.question).confident
            reason = {"out_of_scope": "超出办事指南", "low_confidence": "把握不足"}.get(
                (t.context or {}).get("reason"), "其他"
            )
            lines.append(
                f"  #{t.id} [{t.status}] {t.created_at:%Y-%m-%d} {t.question}（{reason}"
                f"{'；现已能自动答复' if now_answered else ''}）"
            )
    lines.append("\n在客服群“回复”工单消息发送 /faq_add 条目编号，可把该问法加入条目；不带编号则以客服答复新建条目。")
    return "\n".join(lines)


async def faq_report(services, days: int = 30, now: datetime | None = None) -> str:
    since = (now or utcnow()) - timedelta(days=days)
    async with UnitOfWork(services.sessionmaker) as uow:
        tickets = await uow.tickets.since(since)
    return render(services.faq, group_tickets(services.faq, tickets), days)
