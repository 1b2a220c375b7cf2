"""Repositories of the workbench: staff passwords, web sessions, attempts, binding codes, audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Audit, BindingCode, DeskCredential, DeskSession, Draft, LoginAttempt, Staff


class Credentials:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def of(self, staff_id: int) -> DeskCredential | None:
        return await self.db.scalar(select(DeskCredential).where(DeskCredential.staff_id == staff_id))

    async def set(self, staff_id: int, password_hash: str, now: datetime) -> None:
        row = await self.of(staff_id)
        if row is None:
            self.db.add(DeskCredential(staff_id=staff_id, password_hash=password_hash, updated_at=now))
        else:
            row.password_hash, row.updated_at = password_hash, now
        await self.db.flush()


class WalkIns:
    """Drafts of walk-in applications, addressed by id in the workbench's URLs."""

    def __init__(self, db: AsyncSession):
        self.db = db

    async def draft(self, draft_id: int) -> Draft | None:
        return await self.db.get(Draft, draft_id)


class DeskSessions:
    def __init__(self, db: AsyncSession):
        self.db = db

    def add(self, token_hash: str, staff_id: int, csrf: str, now: datetime) -> None:
        self.db.add(DeskSession(token_hash=token_hash, staff_id=staff_id, csrf=csrf, created_at=now, last_seen_at=now))

    async def with_staff(self, token_hash: str) -> tuple[DeskSession, Staff] | None:
        row = (
            await self.db.execute(
                select(DeskSession, Staff)
                .join(Staff, Staff.id == DeskSession.staff_id)
                .where(DeskSession.token_hash == token_hash)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def touch(self, session_id: int, now: datetime) -> None:
        await self.db.execute(
            update(DeskSession)
            .where(DeskSession.id == session_id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )

    async def drop(self, session_id: int) -> None:
        await self.db.execute(delete(DeskSession).where(DeskSession.id == session_id))

    async def drop_of_staff(self, staff_id: int) -> None:
        await self.db.execute(delete(DeskSession).where(DeskSession.staff_id == staff_id))


class Attempts:
    def __init__(self, db: AsyncSession):
        self.db = db

    def add(self, kind: str, subject: str, ok: bool, now: datetime) -> None:
        self.db.add(LoginAttempt(kind=kind, subject=subject, ok=ok, created_at=now))

    async def failures_since(self, kind: str, subject: str, since: datetime) -> list[datetime]:
        """Times of failed attempts after `since` and after the last success, oldest first."""
        last_ok = await self.db.scalar(
            select(func.max(LoginAttempt.created_at)).where(
                LoginAttempt.kind == kind, LoginAttempt.subject == subject, LoginAttempt.ok.is_(True)
            )
        )
        query = select(LoginAttempt.created_at).where(
            LoginAttempt.kind == kind,
            LoginAttempt.subject == subject,
            LoginAttempt.ok.is_(False),
            LoginAttempt.created_at > since,
        )
        if last_ok is not None:
            query = query.where(LoginAttempt.created_at > last_ok)
        return list(await self.db.scalars(query.order_by(LoginAttempt.created_at)))


class BindingCodes:
    def __init__(self, db: AsyncSession):
        self.db = db

    def add(self, row: BindingCode) -> None:
        self.db.add(row)

    async def by_hash(self, code_hash: str) -> BindingCode | None:
        return await self.db.scalar(select(BindingCode).where(BindingCode.code_hash == code_hash))

    async def revoke_open(self, application_id: int, now: datetime) -> None:
        await self.db.execute(
            update(BindingCode)
            .where(
                BindingCode.application_id == application_id,
                BindingCode.used_at.is_(None),
                BindingCode.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    async def used_of(self, application_id: int) -> BindingCode | None:
        return await self.db.scalar(
            select(BindingCode)
            .where(BindingCode.application_id == application_id, BindingCode.used_at.is_not(None))
            .limit(1)
        )

    async def use(self, row: BindingCode, who: str, now: datetime) -> bool:
        """Compare-and-set: only one of two simultaneous uses of a code wins."""
        result = await self.db.execute(
            update(BindingCode)
            .where(BindingCode.id == row.id, BindingCode.used_at.is_(None), BindingCode.revoked_at.is_(None))
            .values(used_at=now, used_by=who)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


class AuditTrail:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def for_ref(self, ref: str, limit: int = 200) -> list[Audit]:
        """Staff actions on an application and its department cases (targets `REF` and `REF:dept`)."""
        rows = await self.db.scalars(
            select(Audit).where(or_(Audit.target == ref, Audit.target.like(f"{ref}:%"))).order_by(Audit.id).limit(limit)
        )
        return list(rows)
