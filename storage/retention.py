"""Retention queries and purges: untouched drafts, finished cases, delivered packets, blob references."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.clock import utc
from storage.models import Application, Delivery, DepartmentCase, Draft, Notification, Rating, Ticket

FINAL = ("completed", "refused", "partly_rejected", "withdrawn")
PURGED_TEXT = "（已按保存期限删除）"


def material_refs(data: dict[str, Any] | None) -> set[str]:
    """Blob references in a draft's or an application's materials (either shape)."""
    refs: set[str] = set()
    for slot in ((data or {}).get("materials") or {}).values():
        files = slot.get("files") if isinstance(slot, dict) else slot
        for f in files or []:
            if isinstance(f, dict) and f.get("sha256"):
                refs.add(f["sha256"])
    return refs


class Retention:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def drafts_untouched_since(self, before: datetime) -> list[Draft]:
        return list(
            await self.db.scalars(
                select(Draft)
                .where(Draft.updated_at < before, Draft.state.not_in(("idle", "submitted")))
                .order_by(Draft.id)
            )
        )

    async def mark_warned(self, draft: Draft, now: datetime) -> None:
        await self.db.execute(
            update(Draft)
            .where(Draft.id == draft.id, Draft.version == draft.version)
            .values(purge_warned_at=now)
            .execution_options(synchronize_session=False)
        )

    async def wipe_draft(self, draft: Draft, now: datetime) -> bool:
        """Back to an empty draft unless the applicant wrote meanwhile (optimistic on the version)."""
        result = await self.db.execute(
            update(Draft)
            .where(Draft.id == draft.id, Draft.version == draft.version)
            .values(
                state="idle",
                data={},
                epoch=draft.epoch + 1,
                version=draft.version + 1,
                updated_at=now,
                purge_warned_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def finished_before(self, before: datetime) -> list[Application]:
        """Finished, unpurged applications whose last department action is older than `before`."""
        last = func.max(DepartmentCase.updated_at)
        rows = await self.db.execute(
            select(Application, last)
            .outerjoin(DepartmentCase, DepartmentCase.application_id == Application.id)
            .where(Application.status.in_(FINAL), Application.purged_at.is_(None))
            .group_by(Application.id)
            .order_by(Application.id)
        )
        out = []
        for app, finished in rows.all():
            when = finished or app.accepted_at or app.submitted_at
            if when is not None and utc(when) < before:
                out.append(app)
        return out

    async def purge_application(self, app: Application, now: datetime, record: dict[str, Any]) -> None:
        """Leave the minimal, non-personal record; drop notes, corrections, comments and drafts' copies."""
        app.data, app.purged_at = record, now  # the mapper event clears the blind index
        await self.db.execute(
            update(DepartmentCase).where(DepartmentCase.application_id == app.id).values(note=None, correction=None)
        )
        await self.db.execute(update(Rating).where(Rating.application_id == app.id).values(comment=None))
        await self.db.execute(
            update(Ticket)
            .where(Ticket.applicant_id == app.applicant_id, Ticket.updated_at < now)
            .values(question=PURGED_TEXT, answer=None, context={})
        )
        await self.db.flush()

    async def submitted_draft_of(self, applicant_id: int) -> Draft | None:
        return await self.db.scalar(select(Draft).where(Draft.applicant_id == applicant_id, Draft.state == "submitted"))

    async def delivered_before(self, before: datetime) -> list[Delivery]:
        return list(
            await self.db.scalars(
                select(Delivery)
                .where(Delivery.status == "delivered", Delivery.delivered_at < before)
                .order_by(Delivery.id)
            )
        )

    async def clear_sent_notifications(self, before: datetime) -> int:
        result = await self.db.execute(
            update(Notification)
            .where(Notification.status == "sent", Notification.sent_at < before)
            .values(body={"kind": "purged", "text": ""})
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0
