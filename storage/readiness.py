"""Is the database ready to serve: reachable, and migrated to the code's head revision."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import HEAD, stamped_revisions


def head_revisions() -> set[str]:
    """The code's head (storage.migrate.HEAD, checked against Alembic's scripts by the tests)."""
    return {HEAD}


async def problems(engine: AsyncEngine, heads: set[str]) -> list[str]:
    """Empty when ready; otherwise what is wrong, in words an operator can act on."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            current = set(await stamped_revisions(conn))
    except Exception as e:  # noqa: BLE001 - any failure means not ready
        return [f"database unreachable: {type(e).__name__}"]
    if current != heads:
        return [f"migrations not current: database at {sorted(current) or 'none'}, code at {sorted(heads)}"]
    return []
