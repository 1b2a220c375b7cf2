"""Repositories for the dispatch side: department cases, the delivery outbox, notifications, staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Applicant, Application, DepartmentCase, Delivery, Notification, Staff

DUE = ("pending", "retry")


class Cases:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def get(self, case_id: int) -> DepartmentCase | None:
        return await self.db.get(DepartmentCase, case_id)

    async def of(self, application_id: int, department: str) -> DepartmentCase | None:
        return await self.db.scalar(select(DepartmentCase).where(
            DepartmentCase.application_id == application_id, DepartmentCase.department == department))

    async def for_application(self, application_id: int) -> list[DepartmentCase]:
        return list(await self.db.scalars(select(DepartmentCase).where(
            DepartmentCase.application_id == application_id).order_by(DepartmentCase.id)))

    def add(self, case: DepartmentCase) -> None:
        self.db.add(case)

    async def swap(self, case: DepartmentCase, expected_state: str, expected_claimer: int | None, /,
                   **values: Any) -> bool:
        """Compare-and-set: write `values` only if state and claimer are still what was read."""
        claimer = (DepartmentCase.claimed_by.is_(None) if expected_claimer is None
                   else DepartmentCase.claimed_by == expected_claimer)
        result = await self.db.execute(
            update(DepartmentCase).where(DepartmentCase.id == case.id, DepartmentCase.state == expected_state,
                                         claimer)
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return False
        for k, v in values.items():
            set_committed_value(case, k, v)
        return True

    async def open_of_accepted(self, open_states: list[str]) -> list[tuple[DepartmentCase, Application]]:
        rows = await self.db.execute(
            select(DepartmentCase, Application).join(Application, Application.id == DepartmentCase.application_id)
            .where(Application.status == "accepted", DepartmentCase.state.in_(open_states))
            .order_by(DepartmentCase.id))
        return [(c, a) for c, a in rows.all()]

    async def of_department(self, department: str) -> list[tuple[DepartmentCase, Application]]:
        rows = await self.db.execute(
            select(DepartmentCase, Application).join(Application, Application.id == DepartmentCase.application_id)
            .where(DepartmentCase.department == department).order_by(DepartmentCase.id))
        return [(c, a) for c, a in rows.all()]


class Deliveries:
    def __init__(self, db: AsyncSession):
        self.db = db

    def add(self, application_id: int, department: str, version: int, now: datetime) -> Delivery:
        row = Delivery(application_id=application_id, department=department, version=version,
                       status="pending", attempts=0, next_attempt_at=now, created_at=now)
        self.db.add(row)
        return row

    async def get(self, delivery_id: int) -> Delivery | None:
        return await self.db.get(Delivery, delivery_id)

    async def for_application(self, application_id: int) -> list[Delivery]:
        return list(await self.db.scalars(select(Delivery).where(Delivery.application_id == application_id)
                                          .order_by(Delivery.id)))

    def _due(self, now: datetime):
        return and_(Delivery.status.in_(DUE), Delivery.next_attempt_at <= now,
                    or_(Delivery.locked_until.is_(None), Delivery.locked_until < now))

    async def due_ids(self, now: datetime, limit: int, skip_locked: bool) -> list[int]:
        query = select(Delivery.id).where(self._due(now)).order_by(Delivery.next_attempt_at, Delivery.id)
        if skip_locked:
            query = query.with_for_update(skip_locked=True)
        return list(await self.db.scalars(query.limit(limit)))

    async def lease(self, delivery_id: int, now: datetime, until: datetime) -> bool:
        """Atomic claim: only one worker's UPDATE matches an unleased due row."""
        result = await self.db.execute(
            update(Delivery).where(Delivery.id == delivery_id, self._due(now))
            .values(locked_until=until, attempts=Delivery.attempts + 1)
            .execution_options(synchronize_session=False))
        return result.rowcount == 1

    async def finish(self, delivery_id: int, **values: Any) -> bool:
        """Record an outcome unless another worker already recorded delivery."""
        result = await self.db.execute(
            update(Delivery).where(Delivery.id == delivery_id, Delivery.status != "delivered")
            .values(locked_until=None, **values).execution_options(synchronize_session=False))
        return result.rowcount == 1

    async def cancel_undelivered(self, application_id: int) -> None:
        """A withdrawn application: packets not yet sent are never sent."""
        await self.db.execute(update(Delivery).where(Delivery.application_id == application_id,
                                                     Delivery.status.in_(DUE))
                              .values(status="cancelled", locked_until=None))


class Notifications:
    """The one writer of notification rows: every message to a chat is queued here, de-duplicated by key."""

    def __init__(self, db: AsyncSession):
        self.db = db

    async def add(self, channel: str, chat_id: int | str, body: dict[str, Any],
                  dedup_key: str | None = None) -> Notification:
        if dedup_key is not None and (row := await self.by_key(dedup_key)) is not None:
            return row
        row = Notification(channel=channel, chat_id=str(chat_id), body=body, dedup_key=dedup_key,
                           status="pending", attempts=0)
        self.db.add(row)
        await self.db.flush()
        return row

    async def to_applicant(self, app: Application, body: dict[str, Any],
                           dedup_key: str | None = None) -> Notification | None:
        """Queue a message to the applicant of `app`, on the channel they wrote from."""
        applicant = await self.db.get(Applicant, app.applicant_id)
        return None if applicant is None else await self.to_person(applicant, body, dedup_key)

    async def to_person(self, applicant: Applicant, body: dict[str, Any],
                        dedup_key: str | None = None) -> Notification:
        chat = applicant.chat_id if applicant.chat_id is not None else applicant.external_id
        return await self.add(applicant.channel, chat, body, dedup_key=dedup_key)

    async def to_chat(self, chat_id: int | None, body: dict[str, Any], dedup_key: str | None = None) -> bool:
        """Queue a message to a staff chat; False when no chat is configured."""
        if not chat_id:
            return False
        await self.add("telegram", chat_id, body, dedup_key=dedup_key)
        return True

    async def by_key(self, key: str) -> Notification | None:
        return await self.db.scalar(select(Notification).where(Notification.dedup_key == key))

    async def pending(self, limit: int = 50, *, channel: str | None = None,
                      chat_id: str | None = None) -> list[Notification]:
        query = select(Notification).where(Notification.status == "pending")
        if channel is not None:
            query = query.where(Notification.channel == channel)
        if chat_id is not None:
            query = query.where(Notification.chat_id == chat_id)
        return list(await self.db.scalars(query.order_by(Notification.id).limit(limit)))

    async def mark_sent(self, notification_id: int, now: datetime) -> None:
        await self.db.execute(update(Notification).where(Notification.id == notification_id)
                              .values(status="sent", sent_at=now, attempts=Notification.attempts + 1))

    async def mark_failed(self, notification_id: int, give_up: bool) -> None:
        await self.db.execute(update(Notification).where(Notification.id == notification_id)
                              .values(status="failed" if give_up else "pending",
                                      attempts=Notification.attempts + 1))


class StaffMembers:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def by_telegram_id(self, telegram_id: int) -> Staff | None:
        return await self.db.scalar(select(Staff).where(Staff.telegram_id == telegram_id))

    async def all(self, include_inactive: bool = False) -> list[Staff]:
        query = select(Staff).order_by(Staff.role, Staff.department, Staff.id)
        if not include_inactive:
            query = query.where(Staff.active.is_(True))
        return list(await self.db.scalars(query))

    def add(self, row: Staff) -> None:
        self.db.add(row)


class ApplicationStates:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def swap(self, app: Application, expected_status: str, /, **values: Any) -> bool:
        """Compare-and-set on the status: write `values` only if the status is still as read."""
        result = await self.db.execute(
            update(Application).where(Application.id == app.id, Application.status == expected_status)
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return False
        for k, v in values.items():
            set_committed_value(app, k, v)
        return True
