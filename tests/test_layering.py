"""The layering rule, `states <- dialogs <- storage <- dispatch <- office`, bot wires them all: dialogs/
and states/ import neither aiogram nor SQLAlchemy; storage/, dispatch/ and office/ never import aiogram;
delivery (dispatch/) never reaches into the back office (office/); SQL stays in storage/; nothing but
composition roots builds settings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "states": {"aiogram", "sqlalchemy", "dialogs", "storage", "dispatch", "bot"},
    "dialogs": {"aiogram", "sqlalchemy", "storage", "dispatch", "bot"},
    "storage": {"aiogram", "dispatch", "office", "bot"},
    "dispatch": {"aiogram", "office", "bot"},
    "office": {"aiogram", "bot"},
}
# Only storage/ speaks SQL; dispatch/channels.py catches the IntegrityError of a racing insert.
SQL_ALLOWED = {"dispatch/channels.py"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_layering(package):
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        bad = imports(path) & FORBIDDEN[package]
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


@pytest.mark.parametrize("package", ["bot", "dispatch", "office", "dialogs", "states"])
def test_no_sql_outside_storage(package):
    users = [
        str(p.relative_to(ROOT))
        for p in (ROOT / package).rglob("*.py")
        if "sqlalchemy" in imports(p) and str(p.relative_to(ROOT)) not in SQL_ALLOWED
    ]
    assert users == []


def sources():
    for package in ("bot", "dialogs", "dispatch", "office", "states", "storage"):
        yield from (ROOT / package).rglob("*.py")


def test_payloads_are_never_split_by_hand():
    """Button payloads are read through dialogs.callbacks only."""
    hand = [
        str(p.relative_to(ROOT))
        for p in sources()
        if p.name != "callbacks.py"
        and any(f'{op}("|"' in p.read_text(encoding="utf-8") for op in ("split", "rsplit", "partition"))
    ]
    assert hand == []


def test_notification_rows_have_one_writer():
    """Every queued message goes through storage.cases.Notifications (and its de-duplication)."""
    writers = [
        str(p.relative_to(ROOT))
        for p in sources()
        if "Notification(" in p.read_text(encoding="utf-8") and p.name not in ("cases.py", "models.py")
    ]
    assert writers == []


def test_settings_are_built_only_by_composition_roots():
    users = [
        p
        for p in ROOT.glob("*/**/*.py")
        if "Settings()" in p.read_text(encoding="utf-8") and ".venv" not in p.parts and "tests" not in p.parts
    ]
    assert all(p.name == "__main__.py" for p in users), users
