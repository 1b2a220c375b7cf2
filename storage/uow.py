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


class UnitOfWork:
    """`async with UnitOfWork(sm) as uow`: commits on a clean exit, rolls back on an exception."""

    applicants: Applicants
    drafts: Drafts
    events: Events
    applications: Applications
    application_states: ApplicationStates
    blobs: Blobs
    audits: Audits
    cases: Cases
    deliveries: Deliveries
    notifications: Notifications
    staff: StaffMembers
    tickets: Tickets
    faq_additions: FaqAdditions
    ratings: Ratings
    credentials: Credentials
    desk_sessions: DeskSessions
    attempts: Attempts
    binding_codes: BindingCodes
    audit_trail: AuditTrail
    walkins: WalkIns
    blob_refs: BlobRefs
    callback_nonces: CallbackNonces
    pending_actions: PendingActions
    retention: Retention
    handled_updates: HandledUpdates

    def __init__(self, sessionmaker: async_sessionmaker):
        self._sessionmaker = sessionmaker
        self.db: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        self.db = db = self._sessionmaker()
        await db.begin()
        self.applicants = Applicants(db)
        self.drafts = Drafts(db)
        self.events = Events(db)
        self.applications = Applications(db)
        self.application_states = ApplicationStates(db)
        self.blobs = Blobs(db)
        self.audits = Audits(db)
        self.cases = Cases(db)
        self.deliveries = Deliveries(db)
        self.notifications = Notifications(db)
        self.staff = StaffMembers(db)
        self.tickets = Tickets(db)
        self.faq_additions = FaqAdditions(db)
        self.ratings = Ratings(db)
        self.credentials = Credentials(db)
        self.desk_sessions = DeskSessions(db)
        self.attempts = Attempts(db)
        self.binding_codes = BindingCodes(db)
        self.audit_trail = AuditTrail(db)
        self.walkins = WalkIns(db)
        self.blob_refs = BlobRefs(db)
        self.callback_nonces = CallbackNonces(db)
        self.pending_actions = PendingActions(db)
        self.retention = Retention(db)
        self.handled_updates = HandledUpdates(db)
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
