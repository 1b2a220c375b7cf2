"""Unit of work: one session and one transaction per update or job, with its repositories."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repos import Applicants, Applications, Audits, Blobs, Drafts, Events


class UnitOfWork:
    def __init__(self, sessionmaker: async_sessionmaker):
        self._sessionmaker = sessionmaker
        self.db: AsyncSession

    async def __aenter__(self) -> "UnitOfWork":
        self.db = self._sessionmaker()
        await self.db.begin()
        self.applicants = Applicants(self.db)
        self.drafts = Drafts(self.db)
        self.events = Events(self.db)
        self.applications = Applications(self.db)
        self.blobs = Blobs(self.db)
        self.audits = Audits(self.db)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                await self.db.commit()
            else:
                await self.db.rollback()
        finally:
            await self.db.close()
