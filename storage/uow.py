"""Unit of work: one session and one transaction per update or job, with every repository."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.blobrefs import BlobRefs
from storage.cases import ApplicationStates, Cases, Deliveries, Notifications, StaffMembers
from storage.desk import Attempts, AuditTrail, BindingCodes, Credentials, DeskSessions, WalkIns
from storage.helpdesk import FaqAdditions, Ratings, Tickets
from storage.inbox import HandledUpdates
from storage.nonces import CallbackNonces, PendingActions
from storage.repos import Applicants, Applications, Audits, Blobs, Drafts, Events
from storage.retention import Retention


class _Repo:
    """A repository of the unit of work, built on first use (a turn touches 3-5 of the 25): building
    all of them for every unit of work was ~3 % of an update's CPU under group commit."""

    def __init__(self, cls):
        self.cls = cls

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, uow, owner=None):
        if uow is None:
            return self
        repo = uow.__dict__[self.name] = self.cls(uow.db)  # later reads find the instance attribute
        return repo


class UnitOfWork:
    """`async with UnitOfWork(sm) as uow`: commits on a clean exit, rolls back on an exception."""

    applicants = _Repo(Applicants)
    drafts = _Repo(Drafts)
    events = _Repo(Events)
    applications = _Repo(Applications)
    application_states = _Repo(ApplicationStates)
    blobs = _Repo(Blobs)
    audits = _Repo(Audits)
    cases = _Repo(Cases)
    deliveries = _Repo(Deliveries)
    notifications = _Repo(Notifications)
    staff = _Repo(StaffMembers)
    tickets = _Repo(Tickets)
    faq_additions = _Repo(FaqAdditions)
    ratings = _Repo(Ratings)
    credentials = _Repo(Credentials)
    desk_sessions = _Repo(DeskSessions)
    attempts = _Repo(Attempts)
    binding_codes = _Repo(BindingCodes)
    audit_trail = _Repo(AuditTrail)
    walkins = _Repo(WalkIns)
    blob_refs = _Repo(BlobRefs)
    callback_nonces = _Repo(CallbackNonces)
    pending_actions = _Repo(PendingActions)
    retention = _Repo(Retention)
    handled_updates = _Repo(HandledUpdates)

    def __init__(self, sessionmaker: async_sessionmaker):
        self._sessionmaker = sessionmaker
        self.db: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        for name in [n for n in vars(self) if isinstance(getattr(type(self), n, None), _Repo)]:
            del self.__dict__[name]  # entered again: the repositories of the new session
        self.db = db = self._sessionmaker()
        await db.begin()
        return self

    async def flush(self) -> None:
        await self.db.flush()

    async def dialect(self) -> str:
        return (await self.db.connection()).dialect.name

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                await self.db.commit()
            else:
                await self.db.rollback()
        finally:
            await self.db.close()
