"""Marks every test under tests/e2e `e2e`: the inner loop runs `pytest -m "not e2e"`, CI runs all."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.driver import Database

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest's collection hook sees the whole session's items, so select ours by path.
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Database:
    """The bot's database for a test that runs it on both: a SQLite file in DATA_DIR, or a fresh
    PostgreSQL database (TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        return Database(tmp_path / "data")
    from tests.conftest import PG_URL, _pg_fresh_url

    if not PG_URL:
        pytest.skip(
            "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres)"
        )
    return Database(tmp_path / "data", _pg_fresh_url(PG_URL))
