"""dispatch/ never imports aiogram nor the back office; states/application.py imports neither dialogs nor storage."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_dispatch_does_not_import_aiogram_bot_or_office():
    for path in (ROOT / "dispatch").glob("*.py"):
        assert not imports(path) & {"aiogram", "bot", "office"}, path.name
    assert not imports(ROOT / "storage" / "cases.py") & {"aiogram", "bot", "dispatch"}


def test_lifecycle_machine_is_pure():
    assert not imports(ROOT / "states" / "application.py") & {"aiogram", "sqlalchemy", "dialogs", "storage"}
