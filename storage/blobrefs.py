"""Reference counting of stored files through the database: which drafts and applications hold a file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Blob, BlobRef


def shas_of(data: dict[str, Any] | None) -> set[str]:
    """The files a session or frozen application refers to."""
    slots = ((data or {}).get("materials") or {}).values()  # a draft's lists, or an application's {title, files}
    return {
        f["sha256"]
        for slot in slots
        for f in (slot.get("files") if isinstance(slot, dict) else slot) or []
        if isinstance(f, dict) and f.get("sha256")
    }


class BlobRefs:
    def __init__(self, db: AsyncSession):
        self.db = db

    async def held_by(self, holder: str) -> set[str]:
        return set(await self.db.scalars(select(BlobRef.sha256).where(BlobRef.holder == holder)))

    async def add(self, holder: str, shas: Iterable[str]) -> None:
        missing = set(shas) - await self.held_by(holder)
        self.db.add_all(BlobRef(sha256=sha, holder=holder) for sha in sorted(missing))
        await self.db.flush()

    async def sync(self, holder: str, shas: Iterable[str]) -> list[str]:
        """Make `holder` hold exactly `shas`; return the files no one holds any more (their rows removed)."""
        wanted, held = set(shas), await self.held_by(holder)
        if wanted == held:
            return []
        dropped = held - wanted
        if dropped:
            await self.db.execute(delete(BlobRef).where(BlobRef.holder == holder, BlobRef.sha256.in_(dropped)))
        self.db.add_all(BlobRef(sha256=sha, holder=holder) for sha in sorted(wanted - held))
        await self.db.flush()
        orphans = [sha for sha in sorted(dropped) if not await self.count(sha)]
        if orphans:
            await self.db.execute(delete(Blob).where(Blob.sha256.in_(orphans)))
        return orphans

    async def count(self, sha: str) -> int:
        return int(await self.db.scalar(select(func.count()).select_from(BlobRef).where(BlobRef.sha256 == sha)) or 0)
