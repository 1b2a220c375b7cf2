"""Composition: builds the engine, database, blob store, calendar, runner and worker from settings."""

from __future__ import annotations

from dataclasses import dataclass

from bot.intake import IntakeLimits, IntakePool
from bot.keys import load_keyring
from bot.runner import Runner
from bot.settings import Settings
from dialogs import options
from dialogs.clock import utcnow
from dialogs.engine import Engine
from dialogs.faq import FaqIndex, load_bank
from dialogs.privacy import Retention
from dialogs.workdays import WorkCalendar
from dispatch.config import DispatchConfig, build_channels
from dispatch.worker import Worker
from office.deadlines import watch
from office.privacy import Policy, purge
from office.window import on_submitted_hook
from storage.blobs import BlobStore
from storage.db import file_watch, make_engine, make_sessionmaker, secure_sqlite_file
from storage.health import DbHealth
from storage.keyring import KeyRing
from storage.migrate import ensure_current
from storage.ratelimit import Limits
from storage.writer import GroupWriter


@dataclass
class Services:
    settings: Settings
    engine: Engine
    faq: FaqIndex
    db_engine: object
    sessionmaker: object
    blobs: BlobStore
    calendar: WorkCalendar
    dispatch: DispatchConfig
    runner: Runner
    intake: IntakePool
    keyring: KeyRing | None = None
    limits: Limits | None = None  # the windows of every limit: over Redis with REDIS_URL, else this process's

    def health(self) -> DbHealth:
        """The database check of this process (start, periodic; `readiness()` for a /readyz)."""
        return DbHealth(self.sessionmaker, self.settings.db_url, self.runner.owner, file_watch(self.db_engine))

    def worker(self) -> Worker:
        channels = build_channels(self.dispatch, self.settings.data_dir, self.sessionmaker)
        return Worker(self.sessionmaker, self.blobs, channels, self.dispatch)

    async def watch_deadlines(self) -> dict[str, int]:
        """The back office's deadline pass, run by the worker every `remind_every` seconds."""
        return await watch(self.sessionmaker, self.dispatch, utcnow(), self.calendar)

    def retention_policy(self) -> Policy:
        s = self.settings
        return Policy(
            draft_days=s.draft_retention_days,
            case_days=s.case_retention_days,
            warning_days=s.draft_warning_days,
            packet_days=s.packet_retention_days,
        )

    async def housekeeping(self) -> dict[str, int]:
        """The worker's periodic pass: the deadline watch, then retention (purges are audited)."""
        counts = dict(await self.watch_deadlines())
        done = await purge(
            self.sessionmaker, self.blobs, self.settings.data_dir / "outbox", self.retention_policy(), utcnow()
        )
        return counts | {f"purged_{k}": v for k, v in vars(done).items() if isinstance(v, int)}

    async def load_faq_additions(self) -> int:
        from bot.faq_learning import apply_addition
        from office.helpdesk import faq_additions
        from storage.uow import UnitOfWork

        async with UnitOfWork(self.sessionmaker) as uow:
            rows = await faq_additions(uow)
        for row in rows:
            apply_addition(self.faq, row)
        return len(rows)


def build(settings: Settings, migrate: bool = True) -> Services:
    options.install(options.load(settings.options_dir))  # OptionsError names the bad file
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    keyring = load_keyring(settings)
    secure_sqlite_file(settings.db_url)
    if migrate:
        ensure_current(settings.db_url)
    db_engine = make_engine(settings.db_url, keyring)
    sessionmaker = make_sessionmaker(db_engine)
    blobs = BlobStore(settings.blob_dir, keyring)
    blobs.sweep()  # temp files of a process killed mid-write
    calendar = WorkCalendar.load()
    faq = FaqIndex(load_bank())
    engine = Engine(faq=faq, retention=Retention(settings.draft_retention_days, settings.case_retention_days))
    dispatch = settings.dispatch_config()
    hook = on_submitted_hook(calendar, auto_accept=settings.auto_accept, window_chat_id=dispatch.window_chat_id)
    intake = IntakePool(
        IntakeLimits(
            workers=settings.intake_workers, memory_mb=settings.intake_memory_mb, seconds=settings.intake_seconds
        ),
        spool=settings.data_dir / "spool",
    )
    runner = Runner(
        engine,
        sessionmaker,
        blobs,
        calendar,
        on_submitted=hook,
        helpdesk_chat=settings.helpdesk_chat_id or None,
        intake=intake,
        uploads_per_day=settings.uploads_per_day,
        writer=GroupWriter(db_engine) if settings.group_commit else None,
    )
    return Services(
        settings,
        engine,
        faq,
        db_engine,
        sessionmaker,
        blobs,
        calendar,
        dispatch,
        runner,
        intake,
        keyring=keyring,
        limits=Limits(settings.redis_url, settings.redis_prefix),
    )
