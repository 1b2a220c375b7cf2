"""Key status and rotation: re-seal values and re-wrap blob keys under the current key, in batches.

Each batch is its own transaction and every write is a compare-and-set on the old token, so the
command can run while the assistant serves, be killed at any point, and be run again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import String, Text, and_, func, select, type_coerce, update

from storage.blobs import BlobStore
from storage.keyring import PREFIX, KeyRing
from storage.models import Application, Base
from storage.sealed import keyring_of, sealed_columns

PLAIN = "plain"


@dataclass
class Report:
    columns: dict[str, Counter] = field(default_factory=dict)
    blobs: Counter = field(default_factory=Counter)
    unindexed: int = 0

    def under(self, kid: str | None) -> int:
        return sum(c[kid] for c in self.columns.values()) + self.blobs[kid]

    def stale(self, current: str) -> int:
        """Values and files not yet under the current key (plain ones included)."""
        return sum(n for c in [*self.columns.values(), self.blobs] for k, n in c.items() if k != current)


@dataclass
class Done:
    rows: int = 0
    files: int = 0
    indexed: int = 0


async def status(sessionmaker, blobs: BlobStore) -> Report:
    report = Report()
    async with sessionmaker() as db:
        for table, column, _ in sealed_columns(Base.metadata):
            col = Base.metadata.tables[table].c[column]
            head = func.substr(type_coerce(col, Text), 1, 24, type_=String)
            counts: Counter = Counter()
            for value, n in await db.execute(select(head, func.count()).where(col.is_not(None)).group_by(head)):
                counts[KeyRing.key_id_of(value) or PLAIN] += n
            report.columns[f"{table}.{column}"] = counts
        report.unindexed = (
            await db.scalar(
                select(func.count())
                .select_from(Application)
                .where(Application.id_index.is_(None), Application.purged_at.is_(None))
            )
            or 0
        )
    for path in blobs.files():
        report.blobs[blobs.key_id(path) or PLAIN] += 1
    return report


def render(report: Report, ring: KeyRing | None) -> str:
    current = ring.current if ring else "?"
    lines = [f"当前密钥：{current}；密钥环：{', '.join(ring.keys) if ring else '?'}"]
    for where, counts in report.columns.items():
        if counts:
            lines.append(f"  {where}: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    lines.append("  文件: " + (", ".join(f"{k} {n}" for k, n in sorted(report.blobs.items())) or "无"))
    lines.append(f"  未建盲索引的申请: {report.unindexed}")
    stale = report.stale(current)
    lines.append("全部数据已在当前密钥下。" if stale == 0 else f"尚有 {stale} 项数据待轮换：运行 keys rotate。")
    return "\n".join(lines)


async def rotate(
    sessionmaker, blobs: BlobStore, batch: int = 500, progress: Callable[[str], None] = lambda _line: None
) -> Done:
    done = Done()
    for table, column, kind in sealed_columns(Base.metadata):
        rows = await _rotate_column(sessionmaker, table, column, kind, batch)
        done.rows += rows
        if rows:
            progress(f"{table}.{column}: {rows}")
    done.indexed = await _index(sessionmaker, batch)
    for i, path in enumerate(list(blobs.files()), 1):
        done.files += blobs.rewrap(path)
        if i % batch == 0:
            progress(f"files: {done.files}")
    return done


async def _rotate_column(sessionmaker, table: str, column: str, kind, batch: int) -> int:
    t = Base.metadata.tables[table]
    raw = type_coerce(t.c[column], Text)  # the stored token, past the sealing type
    changed, after = 0, 0
    while True:
        async with sessionmaker() as db, db.begin():
            dialect = db.get_bind().dialect
            current = keyring_of(dialect).current
            rows = (
                await db.execute(
                    select(t.c.id, raw)
                    .where(t.c.id > after, t.c[column].is_not(None), ~raw.startswith(f"{PREFIX}.{current}."))
                    .order_by(t.c.id)
                    .limit(batch)
                )
            ).all()
            for row_id, token in rows:
                fresh = kind.process_bind_param(kind.process_result_value(token, dialect), dialect)
                result = await db.execute(
                    update(t).where(and_(t.c.id == row_id, raw == token)).values({column: type_coerce(fresh, Text)})
                )
                changed += result.rowcount
        if len(rows) < batch:
            return changed
        after = rows[-1][0]


async def _index(sessionmaker, batch: int) -> int:
    """Blind index for applications stored before migration 0004."""
    count, after = 0, 0
    while True:
        async with sessionmaker() as db, db.begin():
            ring = keyring_of(db.get_bind().dialect)
            apps = list(
                await db.scalars(
                    select(Application)
                    .where(Application.id > after, Application.id_index.is_(None), Application.purged_at.is_(None))
                    .order_by(Application.id)
                    .limit(batch)
                )
            )
            for app in apps:
                number = ((app.data or {}).get("answers") or {}).get("id_number")
                if number:
                    await db.execute(
                        update(Application).where(Application.id == app.id).values(id_index=ring.blind(number))
                    )
                    count += 1
        if len(apps) < batch:
            return count
        after = apps[-1].id
