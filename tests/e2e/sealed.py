"""The end-to-end tests' look at sealed columns: opened with the key ring the bot generated under
DATA_DIR on its first start (bot/keys.py), so a check reads what the bot wrote, never plain JSON."""

from __future__ import annotations

import json
from pathlib import Path

from storage.keyring import KeyRing


def unseal(data_dir: Path, column: str, stored: str):
    """The JSON value of `table.column` (e.g. "notifications.body") as the bot sealed it."""
    assert KeyRing.is_sealed(stored), f"{column} is stored plain"
    return json.loads(KeyRing.load(Path(data_dir) / "keys.json").open(stored, column.encode()))
