"""Repositories for the dispatch side: department cases, the delivery outbox, notifications, staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, distinct, exists, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from dialogs.clock import utcnow
from storage.models import Applicant, Application, Delivery, DepartmentCase, Notification, Staff
from storage.repos import OPEN_REPLIES, OPEN_REPLY

DUE = ("pending", "retry")
OPEN = ("pending", "sending")  # notifications not yet sent (or being sent)
# A shown reply's DELETE, built once on the Table (a Core statement: no ORM execution layer).
_REMOVE_NOTIFICATION = delete(Notification.__table__).where(Notification.__table__.c.id == bindparam("notification_id"))


class Cases:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def get(self, case_id: int) -> DepartmentCase | None:
        return await self.db.get(DepartmentCase, case_id)

    async def of(self, application_id: int, department: str) -> DepartmentCase | None:
        return await self.db.scalar(
            select(DepartmentCase).where(
                DepartmentCase.application_id == application_id, DepartmentCase.department == department
            )
        )

    async def for_application(self, application_id: int) -> list[DepartmentCase]:
        return list(
            await self.db.scalars(
                select(DepartmentCase)
                .where(DepartmentCase.application_id == application_id)
                .order_by(DepartmentCase.id)
            )
        )

    def add(self, case: DepartmentCase) -> None:
        self.db.add(case)

    async def swap(
        self, case: DepartmentCase, expected_state: str, expected_claimer: int | None, /, **values: Any
    ) -> bool:
        """Compare-and-set: write `values` only if state and claimer are still what was read."""
        claimer = (
            DepartmentCase.claimed_by.is_(None)
            if expected_claimer is None
            else DepartmentCase.claimed_by == expected_claimer
        )
        result = await self.db.execute(
            update(DepartmentCase)
            .where(DepartmentCase.id == case.id, DepartmentCase.state == expected_state, claimer)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return False
        for k, v in values.items():
            set_committed_value(case, k, v)
        return True

    async def open_of_accepted(self, open_states: list[str]) -> list[tuple[DepartmentCase, Application]]:
        rows = await self.db.execute(
            select(DepartmentCase, Application)
            .join(Application, Application.id == DepartmentCase.application_id)
            .where(Application.status == "accepted", DepartmentCase.state.in_(open_states))
            .order_by(DepartmentCase.id)
        )
        return [(c, a) for c, a in rows.all()]

    async def of_department(self, department: str) -> list[tuple[DepartmentCase, Application]]:
        rows = await self.db.execute(
            select(DepartmentCase, Application)
            .join(Application, Application.id == DepartmentCase.application_id)
            .where(DepartmentCase.department == department)
            .order_by(DepartmentCase.id)
        )
        return [(c, a) for c, a in rows.all()]


class Deliveries:
    def __init__(self, db: AsyncSession):
        self.db = db

    def add(self, application_id: int, department: str, version: int, now: datetime) -> Delivery:
        row = Delivery(
            application_id=application_id,
            department=department,
            version=version,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        self.db.add(row)
        return row

    async def get(self, delivery_id: int) -> Delivery | None:
        return await self.db.get(Delivery, delivery_id)

    async def with_case(self, delivery_id: int) -> tuple[Delivery, Application, DepartmentCase | None]:
        """The delivery, its application and its department's case (None if there is none), in one read."""
        case = and_(
            DepartmentCase.application_id == Delivery.application_id, DepartmentCase.department == Delivery.department
        )
        row = (
            await self.db.execute(
                select(Delivery, Application, DepartmentCase)
                .join(Application, Application.id == Delivery.application_id)
                .outerjoin(DepartmentCase, case)
                .where(Delivery.id == delivery_id)
            )
        ).one()
        return row[0], row[1], row[2]

    async def for_application(self, application_id: int) -> list[Delivery]:
        return list(
            await self.db.scalars(
                select(Delivery).where(Delivery.application_id == application_id).order_by(Delivery.id)
            )
        )

    def _due(self, now: datetime):
        return and_(
            Delivery.status.in_(DUE),
            Delivery.next_attempt_at <= now,
            or_(Delivery.locked_until.is_(None), Delivery.locked_until < now),
        )

    async def lease_due(self, now: datetime, until: datetime, limit: int, skip_locked: bool) -> list[int]:
        """Claim up to `limit` due rows, oldest due first, in two statements whatever the batch: the
        UPDATE's own check that a row is still due and unleased is the claim, so two workers never
        both get a row. On PostgreSQL rows another worker has locked are skipped, not waited on. (Not
        one UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED): PostgreSQL may run that
        subquery once per row it updates, each time finding the next row still due, and lease them
        all.) A lease is no attempt: a worker killed while holding it made none that counts (see
        `finish`)."""
        query = select(Delivery.id).where(self._due(now)).order_by(Delivery.next_attempt_at, Delivery.id)
        if skip_locked:
            query = query.with_for_update(skip_locked=True)
        ids = list(await self.db.scalars(query.limit(limit)))
        if not ids:
            return []
        result = await self.db.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), self._due(now))
            .values(locked_until=until)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        leased = set(result.scalars())
        return [i for i in ids if i in leased]

    async def finish(self, delivery_id: int, *, attempted: bool = False, **values: Any) -> bool:
        """Record an outcome unless another worker already recorded delivery; `attempted` counts a real
        attempt (the channel answered, or failed), the only kind that brings a dead letter nearer."""
        if attempted:
            values["attempts"] = Delivery.attempts + 1
        result = await self.db.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status != "delivered")
            .values(locked_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def cancel_undelivered(self, application_id: int) -> None:
        """A withdrawn application: packets not yet sent are never sent."""
        await self.db.execute(
            update(Delivery)
            .where(Delivery.application_id == application_id, Delivery.status.in_(DUE))
            .values(status="cancelled", locked_until=None)
        )


class Notifications:
    """The one writer of notification rows: every message to a chat is queued here, de-duplicated by key."""

    def __init__(self, db: AsyncSession):
        self.db = db

    async def add(
        self,
        channel: str,
        chat_id: int | str,
        body: dict[str, Any],
        dedup_key: str | None = None,
        bot_id: int | None = None,
    ) -> Notification:
        if dedup_key is not None and (row := await self.by_key(dedup_key)) is not None:
            return row
        row = Notification(
            channel=channel,
            chat_id=str(chat_id),
            body=body,
            dedup_key=dedup_key,
            status="pending",
            attempts=0,
            bot_id=bot_id,
        )
        self.db.add(row)
        await self.db.flush()
        return row

    async def to_applicant(
        self, app: Application, body: dict[str, Any], dedup_key: str | None = None
    ) -> Notification | None:
        """Queue a message to the applicant of `app`, on the channel they wrote from."""
        applicant = await self.db.get(Applicant, app.applicant_id)
        return None if applicant is None else await self.to_person(applicant, body, dedup_key)

    async def to_person(self, applicant: Applicant, body: dict[str, Any], dedup_key: str | None = None) -> Notification:
        chat = applicant.chat_id if applicant.chat_id is not None else applicant.external_id
        return await self.add(applicant.channel, chat, body, dedup_key=dedup_key, bot_id=applicant.bot_id)

    async def to_chat(self, chat_id: int | None, body: dict[str, Any], dedup_key: str | None = None) -> bool:
        """Queue a message to a staff chat; False when no chat is configured."""
        if not chat_id:
            return False
        await self.add("telegram", chat_id, body, dedup_key=dedup_key)
        return True

    async def by_key(self, key: str) -> Notification | None:
        return await self.db.scalar(select(Notification).where(Notification.dedup_key == key))

    async def pending(
        self, limit: int = 50, *, channel: str | None = None, chat_id: str | None = None
    ) -> list[Notification]:
        query = select(Notification).where(Notification.status == "pending")
        if channel is not None:
            query = query.where(Notification.channel == channel)
        if chat_id is not None:
            query = query.where(Notification.chat_id == chat_id)
        return list(await self.db.scalars(query.order_by(Notification.id).limit(limit)))

    async def mark_sent(self, notification_id: int, now: datetime) -> None:
        await self.db.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(status="sent", sent_at=now, attempts=Notification.attempts + 1, claimed_by=None, claimed_until=None)
        )

    async def mark_failed(self, notification_id: int, give_up: bool, retry_at: datetime | None = None) -> None:
        await self.db.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(
                status="failed" if give_up else "pending",
                attempts=Notification.attempts + 1,
                claimed_by=None,
                claimed_until=None,
                next_attempt_at=retry_at,
            )
        )

    # ---- claims: one sender per row ---------------------------------------------------------------
    # pending (claimed_by/claimed_until: who may send it) -> sending (committed just before the call to
    # Telegram) -> sent, or removed for a reply. A claim lapses at claimed_until, or at once when its
    # owner is known dead (`dead`). A row left in "sending" by a dead sender is not sent again: Telegram
    # has no idempotency key, so an interrupted call may or may not have been delivered.
    def queue(
        self,
        chat_id: int | str,
        body: dict[str, Any],
        owner: str,
        until: datetime,
        bot_id: int | None = None,
        now: datetime | None = None,
    ) -> Notification:
        """A message written in the caller's transaction, already claimed by its writer (who sends it
        right after the commit); if the writer dies, the claim lapses and another sender (of the same
        bot, when `bot_id` is given) takes it."""
        row = Notification(
            created_at=now or utcnow(),
            channel="telegram",
            chat_id=str(chat_id),
            body=body,
            status="pending",
            attempts=0,
            kind=body.get("kind"),
            bot_id=bot_id,
            claimed_by=owner,
            claimed_until=until,
        )
        self.db.add(row)
        return row

    @staticmethod
    def _lapsed(now: datetime, dead: frozenset[str]):
        return or_(
            Notification.claimed_until.is_(None),
            Notification.claimed_until < now,
            Notification.claimed_by.in_(sorted(dead)) if dead else False,
        )

    def _claimable(self, now: datetime, dead: frozenset[str] = frozenset()):
        return and_(
            Notification.status == "pending",
            self._lapsed(now, dead),
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        )

    def _takeable(self, now: datetime, dead: frozenset[str], owner: str, busy: frozenset[int]):
        """Claimable, or claimed by `owner` itself but in none of its sends (`busy`: the rows its
        senders hold in memory), e.g. left by a send of that process that failed half-way."""
        idle_mine = and_(
            Notification.claimed_by == owner,
            Notification.id.not_in(sorted(busy)) if busy else true(),
            Notification.status == "pending",
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        )
        return or_(self._claimable(now, dead), idle_mine)

    async def owners(self, now: datetime) -> list[str]:
        """Owners holding live claims (the caller tells which of them are dead)."""
        return list(
            await self.db.scalars(
                select(Notification.claimed_by)
                .distinct()
                .where(
                    Notification.status.in_(OPEN),
                    Notification.claimed_by.is_not(None),
                    Notification.claimed_until >= now,
                )
            )
        )

    async def settle_interrupted(self, now: datetime, dead: frozenset[str]) -> tuple[int, int]:
        """Rows a dead or lapsed sender was sending, as (replies open again, notifications counted sent).
        A reply (the applicant's next question) is sent again: shown twice at worst, where not sending
        it could leave the applicant waiting for a question that never came (#16). Any other
        notification (acceptance notices, staff messages) counts as sent and is not sent twice (#12)."""
        cond = and_(Notification.status == "sending", self._lapsed(now, dead))
        replies = await self.db.execute(
            update(Notification)
            .where(cond, Notification.kind == "reply")
            .values(status="pending", claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        others = await self.db.execute(
            update(Notification)
            .where(cond)
            .values(status="sent", sent_at=now, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return replies.rowcount or 0, others.rowcount or 0

    async def claim_heads(
        self,
        owner: str,
        now: datetime,
        until: datetime,
        limit: int,
        *,
        channel: str = "telegram",
        skip_chats: frozenset[str] = frozenset(),
        dead: frozenset[str] = frozenset(),
        bot_id: int | None = None,
    ) -> list[Notification]:
        """Claim the oldest open message of each chat (so a chat's messages go out in order, one at a
        time, whichever sender takes them), among those any bot may send and those of `bot_id`.
        PostgreSQL skips rows another sender is claiming (FOR UPDATE SKIP LOCKED); SQLite's BEGIN
        IMMEDIATE makes the claim exclusive."""
        older = aliased(Notification)
        same_bot = or_(and_(older.bot_id.is_(None), Notification.bot_id.is_(None)), older.bot_id == Notification.bot_id)
        head = ~exists().where(
            older.chat_id == Notification.chat_id,
            older.channel == Notification.channel,
            same_bot,
            older.status.in_(OPEN),
            older.id < Notification.id,
        )
        mine = (
            Notification.bot_id.is_(None)
            if bot_id is None
            else or_(Notification.bot_id.is_(None), Notification.bot_id == bot_id)
        )
        query = select(Notification.id).where(Notification.channel == channel, mine, self._claimable(now, dead), head)
        if skip_chats:
            query = query.where(Notification.chat_id.not_in(sorted(skip_chats)))
        ids = list(
            await self.db.scalars(
                query.order_by(Notification.id).limit(limit).with_for_update(skip_locked=True, of=Notification)
            )
        )
        return await self._claim(ids, owner, now, until, dead)

    async def _claim(
        self, ids: list[int], owner: str, now: datetime, until: datetime, dead: frozenset[str], takeable=None
    ) -> list[Notification]:
        if not ids:
            return []
        claimed = list(
            await self.db.scalars(
                update(Notification)
                .where(Notification.id.in_(ids), self._claimable(now, dead) if takeable is None else takeable)
                .values(claimed_by=owner, claimed_until=until)
                .returning(Notification.id)
                .execution_options(synchronize_session=False)
            )
        )
        rows = await self.db.scalars(
            select(Notification)
            .where(Notification.id.in_(claimed))
            .order_by(Notification.id)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def claimed(self, ids: list[int], owner: str) -> list[Notification]:
        return list(
            await self.db.scalars(
                select(Notification)
                .where(Notification.id.in_(ids), Notification.claimed_by == owner, Notification.status == "pending")
                .order_by(Notification.id)
                .execution_options(populate_existing=True)
            )
        )

    async def take_over_replies(
        self,
        chat_id: str,
        before_id: int,
        owner: str,
        now: datetime,
        until: datetime,
        dead: frozenset[str],
        bot_id: int | None = None,
        busy: frozenset[int] = frozenset(),
    ) -> list[Notification] | None:
        """The chat's earlier replies still open, claimed for `owner` to send first; None, and none of
        them claimed, if one is not to be sent now: held by another live sender or by one of `owner`'s
        own sends (`busy`), or due later (then the later replies wait behind it, and whoever holds it
        goes on with the chat's next row at once, not after a lease). The rows are locked while
        checked, skipping (and so giving way to) any another sender is locking (SQLite: BEGIN
        IMMEDIATE), so a claim in between cannot make the take-over partial."""
        await self.settle_interrupted(now, dead)
        earlier = and_(
            Notification.channel == "telegram",
            Notification.chat_id == chat_id,
            Notification.kind == "reply",
            Notification.bot_id.is_(None) if bot_id is None else Notification.bot_id == bot_id,
            Notification.status.in_(OPEN),
            Notification.id < before_id,
        )
        locked = select(Notification.id).where(earlier).order_by(Notification.id)
        ids = list(await self.db.scalars(locked.with_for_update(skip_locked=True)))
        takeable = self._takeable(now, dead, owner, busy)
        blockers = select(func.count()).select_from(Notification).where(earlier, ~takeable)
        if len(ids) < (await self.db.scalar(select(func.count()).select_from(Notification).where(earlier)) or 0):
            return None  # another sender is claiming one of them right now
        if not ids:
            return []
        if await self.db.scalar(blockers):
            return None
        return await self._claim(ids, owner, now, until, dead, takeable)

    async def overdue_replies(
        self, now: datetime, since: datetime, dead: frozenset[str], busy: frozenset[int] = frozenset()
    ) -> tuple[int, int, int | None, str | None]:
        """Replies open since before `since`, due now, and claimed by a sender that is alive (not in
        `dead`) yet not sending them (not in `busy`, the rows the caller's own process is sending):
        (rows, chats, the oldest's id, who holds it)."""
        due = and_(
            Notification.kind == "reply",
            Notification.status.in_(OPEN),
            Notification.created_at < since,
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
            ~self._lapsed(now, dead),
            Notification.id.not_in(sorted(busy)) if busy else true(),
        )
        rows, chats = (
            await self.db.execute(select(func.count(), func.count(distinct(Notification.chat_id))).where(due))
        ).one()
        if not rows:
            return 0, 0, None, None
        oldest = (
            await self.db.execute(
                select(Notification.id, Notification.claimed_by).where(due).order_by(Notification.id).limit(1)
            )
        ).one()
        return rows, chats, oldest[0], oldest[1]

    async def sending(self, notification_id: int, owner: str) -> bool:
        """Committed just before the call to Telegram; False if the claim was lost meanwhile."""
        result = await self.db.execute(
            update(Notification)
            .where(
                Notification.id == notification_id, Notification.status == "pending", Notification.claimed_by == owner
            )
            .values(status="sending")
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def unsend(self, notification_id: int, owner: str, until: datetime) -> None:
        """The call to Telegram failed (nothing was shown): pending again, still claimed by `owner`."""
        await self.db.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.claimed_by == owner)
            .values(status="pending", claimed_until=until)
        )

    async def release(self, notification_id: int, retry_at: datetime | None = None) -> None:
        await self.db.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(status="pending", claimed_by=None, claimed_until=None, next_attempt_at=retry_at)
        )

    # ---- the reply fast path (bot.telegram.replies.ReplySender.deliver) ---------------------------
    async def has_open_replies(self, chat_id: int | str, bot_id: int | None = None) -> bool:
        """Whether a reply of the chat is still open (pending or being sent), whoever holds it: read in
        the answer's transaction before its replies are queued (with the applicant's row when
        Applicants.get_or_create was told `replies_to`). None open: the answer's replies are the
        chat's first, and its writer sends them with no take-over and no re-read."""
        known = self.db.info.get(OPEN_REPLIES, {}).pop((str(chat_id), bot_id), None)
        if known is not None:
            return known
        found = await self.db.scalar(OPEN_REPLY, {"reply_chat": str(chat_id), "reply_bot": bot_id})
        return found is not None

    async def remove(self, notification_id: int) -> None:
        """A reply, once shown, is not kept (it may quote what the applicant entered)."""
        await self.db.execute(_REMOVE_NOTIFICATION, {"notification_id": notification_id})


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
            update(Application)
            .where(Application.id == app.id, Application.status == expected_status)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return False
        for k, v in values.items():
            set_committed_value(app, k, v)
        return True
