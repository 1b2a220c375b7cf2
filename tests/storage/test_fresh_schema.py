"""A fresh database is built from the models (create_all, stamped HEAD) instead of replaying every
migration (storage.migrate.ensure_current): the two schemas must be the same, on SQLite and on
PostgreSQL, and a database built this way must take the next migration like any other."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import inspect

from storage import migrate
from storage.db import make_engine
from storage.models import Base
from tests.conftest import DB_KINDS, PG_URL, _pg_fresh_url


@pytest.fixture(params=DB_KINDS)
def two_empty(request, tmp_path) -> tuple[str, str]:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
        return _pg_fresh_url(PG_URL), _pg_fresh_url(PG_URL)
    return (f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}", f"sqlite+aiosqlite:///{tmp_path / 'created.db'}")


def _schema(conn) -> dict:
    """Everything the inspector reports of every table (alembic_version included), by name."""
    ins = inspect(conn)
    out = {}
    for table in sorted(ins.get_table_names()):
        columns = {
            c["name"]: (str(c["type"]), c["nullable"], str(c.get("default")), c.get("autoincrement"))
            for c in ins.get_columns(table)
        }
        pk = ins.get_pk_constraint(table)
        fks = sorted(
            (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in ins.get_foreign_keys(table)
        )
        indexes = sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in ins.get_indexes(table))
        uniques = sorted((uq["name"], tuple(uq["column_names"])) for uq in ins.get_unique_constraints(table))
        checks = sorted((ck["name"], ck["sqltext"]) for ck in ins.get_check_constraints(table))
        out[table] = {
            "columns": columns,
            "pk": (pk["name"], tuple(pk["constrained_columns"])),
            "fks": fks,
            "indexes": indexes,
            "uniques": uniques,
            "checks": checks,
        }
    return out


def _model_diffs(conn) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, Base.metadata)


async def _inspect(url: str, fn):
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _sealed_json_columns() -> set[tuple[str, str]]:
    """The columns migration 0004 turned from JSON into sealed text. On PostgreSQL it retypes them;
    on SQLite, which stores JSON as text already, it leaves their declared type JSON, where the
    models (create_all) declare TEXT. SQLite keeps both as the same text (a sealed value,
    `e1.<kid>.<token>`, is never a number, so JSON's NUMERIC affinity converts nothing); it is the
    one difference the two schemas may have, and only on SQLite."""
    import importlib.util

    import sqlalchemy as sa

    path = migrate.MIGRATIONS / "versions" / "0004_personal_data.py"
    spec = importlib.util.spec_from_file_location("migration_0004", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {(table, column) for table, column, before in module.SEALED if isinstance(before, sa.JSON)}


async def test_a_fresh_database_built_from_the_models_is_the_migrated_schema(two_empty):
    migrated, created = two_empty
    migrate.upgrade(migrated)  # every migration, as Alembic replays them
    assert migrate.ensure_current(created) == "created"  # the start-up's fast path
    assert migrate.current_revisions(created) == {migrate.HEAD}
    sqlite = migrated.startswith("sqlite")
    allowed = _sealed_json_columns() if sqlite else set()
    assert len(_sealed_json_columns()) == 7

    # What the models declare, by Alembic's own comparison (tables, columns, types, nullability,
    # server defaults, indexes, unique constraints, foreign keys): the built database has exactly
    # it; the migrated one too, but for the declared type of the sealed JSON columns on SQLite.
    assert await _inspect(created, _model_diffs) == []
    diffs = await _inspect(migrated, _model_diffs)
    retyped = {(d[2], d[3]) for (d,) in diffs if d[0] == "modify_type" and str(d[5]) == "JSON"}
    assert len(diffs) == len(allowed) and retyped == allowed, diffs
    # Reflected side by side, every table, name, column, key, index and constraint is the same.
    want, got = await _inspect(migrated, _schema), await _inspect(created, _schema)
    assert sorted(got) == sorted(want)
    for table, column in allowed:
        assert want[table]["columns"][column][0] == "JSON" and got[table]["columns"][column][0] == "TEXT"
        got[table]["columns"][column] = want[table]["columns"][column]
    for table in want:
        assert got[table] == want[table], table


async def test_a_database_built_from_the_models_takes_the_next_migration(two_empty, tmp_path):
    """Stamped HEAD, it is upgraded by a migration written later, downgraded by it, and the
    existing migrations' downgrades (which name the constraints they drop) work on it too."""
    _, url = two_empty
    assert migrate.ensure_current(url) == "created"
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_next.py").write_text(
        f'''"""a later release's migration"""
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{migrate.HEAD}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.add_column(sa.Column("later", sa.String(length=8), nullable=True))
        batch_op.create_index(batch_op.f("ix_drafts_later"), ["later"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.drop_index(batch_op.f("ix_drafts_later"))
        batch_op.drop_column("later")
''',
        encoding="utf-8",
    )
    from alembic import command

    cfg = migrate.alembic_config(url)
    cfg.set_main_option("script_location", str(scripts))
    migrate._outside_loop(command.upgrade, cfg, "head")
    assert migrate.current_revisions(url) == {"9999"}

    def drafts(conn):
        ins = inspect(conn)
        return {c["name"] for c in ins.get_columns("drafts")}, {i["name"] for i in ins.get_indexes("drafts")}

    columns, indexes = await _inspect(url, drafts)
    assert "later" in columns and "ix_drafts_later" in indexes
    migrate._outside_loop(command.downgrade, cfg, "0002")  # the new one's downgrade, then the real ones' back to 0002
    assert migrate.current_revisions(url) == {"0002"}
    assert migrate.ensure_current(url) == "migrated"
    assert migrate.current_revisions(url) == {migrate.HEAD}


async def test_a_database_with_tables_but_no_stamp_is_left_to_alembic(tmp_path):
    """Only an empty database is built from the models: one with any table is Alembic's to judge
    (here: it replays from 0001, which finds the table and fails, as `upgrade head` always did)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'odd.db'}"
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.tables["applicants"].create(c))
    await engine.dispose()
    with pytest.raises(Exception, match="already exists"):
        migrate.ensure_current(url)
    assert migrate.current_revisions(url) == frozenset()


def test_processes_starting_together_on_a_fresh_database_build_it_once(two_empty):
    """The build looks again under the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
    lock): of starts racing on one empty database, one builds it and the others find it current."""
    from concurrent.futures import ThreadPoolExecutor

    _, url = two_empty
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = sorted(pool.map(lambda _: migrate.ensure_current(url), range(3)))
    assert results == ["created", "current", "current"]
    assert migrate.current_revisions(url) == {migrate.HEAD}
