"""Is the database ready to serve: reachable, and migrated to the code's head revision."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import alembic_config


def head_revisions(url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


async def problems(engine: AsyncEngine, heads: set[str]) -> list[str]:
    """Empty when ready; otherwise what is wrong, in words an operator can act on."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            current = await conn.run_sync(lambda c: set(MigrationContext.configure(c).get_current_heads()))
    except Exception as e:  # noqa: BLE001 - any failure means not ready
        return [f"database unreachable: {type(e).__name__}"]
    if current != heads:
        return [f"migrations not current: database at {sorted(current) or 'none'}, code at {sorted(heads)}"]
    return []
