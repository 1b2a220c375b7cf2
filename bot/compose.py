"""Composition: builds the engine, database, blob store, calendar, runner and worker from settings."""

from __future__ import annotations

from dataclasses import dataclass

from bot.intake import IntakeLimits, IntakePool
from bot.runner import Runner
from bot.settings import Settings
from dialogs.engine import Engine
from dialogs.faq import FaqIndex, load_bank
from dialogs.workdays import WorkCalendar
from dialogs.clock import utcnow
from dispatch.config import DispatchConfig, build_channels
from dispatch.worker import Worker
from office.deadlines import watch
from office.window import on_submitted_hook
from storage.blobs import BlobStore
from storage.db import file_watch, make_engine, make_sessionmaker
from storage.health import DbHealth
from storage.migrate import upgrade


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

    def health(self) -> DbHealth:
        """The database check of this process (start, periodic; `readiness()` for a /readyz)."""
        return DbHealth(self.sessionmaker, self.settings.db_url, self.runner.owner, file_watch(self.db_engine))

    def worker(self) -> Worker:
        channels = build_channels(self.dispatch, self.settings.data_dir, self.sessionmaker)
        return Worker(self.sessionmaker, self.blobs, channels, self.dispatch)

    async def watch_deadlines(self) -> dict[str, int]:
        """The back office's deadline pass, run by the worker every `remind_every` seconds."""
        return await watch(self.sessionmaker, self.dispatch, utcnow(), self.calendar)

    async def load_faq_additions(self) -> int:
        from bot.telegram.helpdesk import faq_entry
        from office.helpdesk import faq_additions
        from storage.uow import UnitOfWork
        async with UnitOfWork(self.sessionmaker) as uow:
            rows = await faq_additions(uow)
        for row in rows:
            self.faq.add(faq_entry(row))
        return len(rows)


def build(settings: Settings, migrate: bool = True) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        upgrade(settings.db_url)
    db_engine = make_engine(settings.db_url)
    sessionmaker = make_sessionmaker(db_engine)
    blobs = BlobStore(settings.blob_dir)
    blobs.sweep()  # temp files of a process killed mid-write
    calendar = WorkCalendar.load()
    faq = FaqIndex(load_bank())
    engine = Engine(faq=faq)
    dispatch = settings.dispatch_config()
    hook = on_submitted_hook(calendar, auto_accept=settings.auto_accept,
                             window_chat_id=dispatch.window_chat_id)
    intake = IntakePool(IntakeLimits(workers=settings.intake_workers, memory_mb=settings.intake_memory_mb,
                                     seconds=settings.intake_seconds), spool=settings.data_dir / "spool")
    runner = Runner(engine, sessionmaker, blobs, calendar, on_submitted=hook,
                    helpdesk_chat=settings.helpdesk_chat_id or None, intake=intake,
                    uploads_per_day=settings.uploads_per_day)
    return Services(settings, engine, faq, db_engine, sessionmaker, blobs, calendar, dispatch, runner, intake)
