"""Composition: builds the engine, database, blob store, calendar and runner from settings."""

from __future__ import annotations

from dataclasses import dataclass

from bot.runner import Runner
from bot.settings import Settings
from dialogs.engine import Engine
from dialogs.workdays import WorkCalendar
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade


@dataclass
class Services:
    settings: Settings
    engine: Engine
    db_engine: object
    sessionmaker: object
    blobs: BlobStore
    calendar: WorkCalendar
    runner: Runner


def build(settings: Settings, migrate: bool = True) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        upgrade(settings.db_url)
    db_engine = make_engine(settings.db_url)
    sessionmaker = make_sessionmaker(db_engine)
    blobs = BlobStore(settings.blob_dir)
    calendar = WorkCalendar.load()
    engine = Engine()
    runner = Runner(engine, sessionmaker, blobs, calendar)
    return Services(settings, engine, db_engine, sessionmaker, blobs, calendar, runner)
