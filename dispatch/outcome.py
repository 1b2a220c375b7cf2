"""What a staff action returns: refusals are values (so their audit rows commit), not exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.cases import Notifications
from storage.models import Applicant, Application

OK, UNCHANGED, NOT_FOUND, FORBIDDEN, CONFLICT, INVALID = (
    "ok", "unchanged", "not_found", "forbidden", "conflict", "invalid")


@dataclass
class Result:
    ok: bool
    code: str
    message: str  # Chinese, for the staff member who acted
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def session_of(uow_or_session: Any) -> AsyncSession:
    return getattr(uow_or_session, "db", uow_or_session)


async def notify_applicant(db: AsyncSession, app: Application, body: dict[str, Any],
                           dedup_key: str | None = None) -> None:
    applicant = await db.get(Applicant, app.applicant_id)
    if applicant is None:
        return
    chat = applicant.chat_id if applicant.chat_id is not None else applicant.external_id
    await Notifications(db).add(applicant.channel, chat, body, dedup_key=dedup_key)


async def notify_chat(db: AsyncSession, chat_id: int | None, body: dict[str, Any],
                      dedup_key: str | None = None) -> bool:
    """Queue a message to a staff chat; False when no chat is configured."""
    if not chat_id:
        return False
    await Notifications(db).add("telegram", chat_id, body, dedup_key=dedup_key)
    return True
