"""Repositories: queries and writes per aggregate. They never commit; the unit of work does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.clock import utcnow
from storage.db import insert_for
from storage.models import Applicant, Application, Audit, Blob, Draft, Event, Notification
from storage.sealed import keyring_of

# Statements of the per-update path, built once: building one costs ~0.1 ms, as much as running it.
_APPLICANT_AND_DRAFT = (
    select(Applicant, Draft)
    .outerjoin(Draft, Draft.applicant_id == Applicant.id)
    .where(Applicant.channel == bindparam("channel"), Applicant.external_id == bindparam("external_id"))
)
# Whether the chat still has an open reply (storage.cases.Notifications.has_open_replies), read in the
# same statement when the caller is about to queue replies: one statement fewer per answer.
OPEN_REPLY = (
    select(Notification.id)
    .where(
        Notification.status.in_(("pending", "sending")),
        Notification.channel == "telegram",
        Notification.chat_id == bindparam("reply_chat"),
        Notification.kind == "reply",
        Notification.bot_id.is_not_distinct_from(bindparam("reply_bot")),
    )
    .limit(1)
)
_APPLICANT_DRAFT_AND_OPEN_REPLY = _APPLICANT_AND_DRAFT.add_columns(OPEN_REPLY.scalar_subquery().label("open_reply"))
OPEN_REPLIES = "open_replies_by_chat"  # session.info key: (chat, bot) -> whether a reply of it is open
_DRAFT_OF = select(Draft).where(Draft.applicant_id == bindparam("applicant_id"))
# Core statements on the Table (not the mapped class): the session runs them without its ORM
# execution layer (no bulk-update plumbing, no autoflush first): ~0.1 ms less per statement.
_DRAFTS = Draft.__table__
_SAVE_DRAFT = (
    update(_DRAFTS)
    .where(_DRAFTS.c.id == bindparam("draft_id"), _DRAFTS.c.version == bindparam("seen_version"))
    .values(
        state=bindparam("new_state"),
        data=bindparam("new_data", type_=_DRAFTS.c.data.type),
        epoch=bindparam("new_epoch"),
        version=bindparam("new_version"),
        updated_at=bindparam("now"),
    )
)
_PREFETCHED = "drafts_by_applicant"  # session.info key: drafts loaded with their applicant


class VersionConflict(Exception):
    """The draft changed in another process since it was read."""


class Applicants:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def get_or_create(
        self,
        channel: str,
        external_id: str,
        chat_id: int | None = None,
        username: str | None = None,
        bot_id: int | None = None,
        replies_to: int | None = None,
    ) -> Applicant:
        """`replies_to`: a chat the caller will queue replies to; whether it still has an open reply
        is read in the same statement (for Notifications.has_open_replies)."""
        params = {"channel": channel, "external_id": external_id}
        if replies_to is None:
            found = (await self.db.execute(_APPLICANT_AND_DRAFT, params)).first()
        else:
            params |= {"reply_chat": str(replies_to), "reply_bot": bot_id}
            found = (await self.db.execute(_APPLICANT_DRAFT_AND_OPEN_REPLY, params)).first()
            if found is not None:
                self.db.info.setdefault(OPEN_REPLIES, {})[(str(replies_to), bot_id)] = found[2] is not None
                found = found[:2]
        if found is None:
            row = Applicant(channel=channel, external_id=external_id, chat_id=chat_id, username=username, bot_id=bot_id)
            self.db.add(row)
            await self.db.flush()
            return row
        row, draft = found
        if bot_id is not None and row.bot_id != bot_id:  # their notices go out through this bot now
            row.bot_id = bot_id
        if draft is not None:  # the runner asks for it next: one query instead of two
            self.db.info.setdefault(_PREFETCHED, {})[row.id] = draft
        return row

    async def get(self, applicant_id: int) -> Applicant | None:
        return await self.db.get(Applicant, applicant_id)


class Drafts:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def for_applicant(self, applicant_id: int) -> Draft:
        row = self.db.info.get(_PREFETCHED, {}).pop(applicant_id, None)
        if row is None or row not in self.db:
            row = await self.db.scalar(_DRAFT_OF, {"applicant_id": applicant_id})
        if row is None:
            row = Draft(applicant_id=applicant_id, state="idle", data={}, version=0, epoch=0)
            self.db.add(row)
            await self.db.flush()
        return row

    async def save(self, draft: Draft, state: str, data: dict[str, Any], epoch: int) -> None:
        """Optimistic write: fails if another process saved this draft first. The loaded `draft` is
        left as read (a Core UPDATE); rows added before are flushed at the commit, not first."""
        result = await self.db.execute(
            _SAVE_DRAFT,
            {
                "draft_id": draft.id,
                "seen_version": draft.version,
                "new_state": state,
                "new_data": data,
                "new_epoch": epoch,
                "new_version": draft.version + 1,
                "now": utcnow(),
            },
        )
        if result.rowcount != 1:
            raise VersionConflict(draft.id)


class Events:
    def __init__(self, db: AsyncSession):
        self.db = db

    def add(
        self,
        kind: str,
        actor: str,
        payload: dict[str, Any] | None = None,
        *,
        applicant_id: int | None = None,
        application_id: int | None = None,
    ) -> None:
        self.db.add(
            Event(
                kind=kind, actor=actor, payload=payload or {}, applicant_id=applicant_id, application_id=application_id
            )
        )

    async def count_since(self, kind: str, applicant_id: int, since: datetime) -> int:
        return int(
            await self.db.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.kind == kind, Event.applicant_id == applicant_id, Event.created_at >= since)
            )
            or 0
        )

    async def for_application(self, application_id: int) -> list[Event]:
        rows = await self.db.scalars(select(Event).where(Event.application_id == application_id).order_by(Event.id))
        return list(rows)


class Applications:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def get(self, application_id: int) -> Application | None:
        return await self.db.get(Application, application_id)

    async def by_submission_key(self, key: str) -> Application | None:
        return await self.db.scalar(select(Application).where(Application.submission_key == key))

    async def by_ref(self, ref: str) -> Application | None:
        return await self.db.scalar(select(Application).where(Application.ref == ref))

    async def for_applicant(self, applicant_id: int) -> list[Application]:
        return list(
            await self.db.scalars(
                select(Application).where(Application.applicant_id == applicant_id).order_by(Application.id)
            )
        )

    async def latest_for(self, applicant_id: int) -> Application | None:
        return await self.db.scalar(
            select(Application).where(Application.applicant_id == applicant_id).order_by(Application.id.desc()).limit(1)
        )

    async def by_status(self, status: str) -> list[Application]:
        return list(
            await self.db.scalars(select(Application).where(Application.status == status).order_by(Application.id))
        )

    async def provisionally_due(self) -> list[Application]:
        """Accepted applications whose deadline is still 预计 (no holiday schedule for that year yet)."""
        return list(
            await self.db.scalars(
                select(Application).where(
                    Application.deadline_provisional.is_(True), Application.accepted_at.is_not(None)
                )
            )
        )

    async def by_id_number(self, number: str) -> list[Application]:
        """Applications of an ID number, through its blind index (no row is decrypted to search)."""
        index = keyring_of(self.db.get_bind().dialect).blind(number)
        return list(
            await self.db.scalars(select(Application).where(Application.id_index == index).order_by(Application.id))
        )

    def add(self, app: Application) -> None:
        self.db.add(app)

    async def add_unique(self, app: Application) -> bool:
        """Insert under a savepoint; False (and nothing written) when a unique key is already taken."""
        try:
            async with self.db.begin_nested():
                self.db.add(app)
                await self.db.flush()
            return True
        except IntegrityError:
            return False


class Blobs:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def record(self, sha256: str, kind: str, mime: str, size: int, pages: int) -> None:
        """Idempotent, also when two transactions record the same content at once."""
        if await self.db.get(Blob, sha256) is not None:
            return
        await self.db.execute(
            insert_for(self.db)(Blob)
            .values(sha256=sha256, kind=kind, mime=mime, size=size, pages=pages, created_at=utcnow())
            .on_conflict_do_nothing()
        )


class Audits:
    def __init__(self, db: AsyncSession):
        self.db = db

    def add(
        self, actor: str, action: str, target: str | None, allowed: bool, detail: dict[str, Any] | None = None
    ) -> None:
        self.db.add(
            Audit(actor=actor, action=action, target=target, allowed=allowed, detail=detail or {}, created_at=utcnow())
        )
