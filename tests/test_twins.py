"""Small helpers are stated once: the clock, durable writes, Luhn, masks and rating labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "dialogs", "dispatch", "office", "states", "storage")


def sources() -> dict[str, str]:
    return {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for package in PACKAGES
        for p in sorted((ROOT / package).rglob("*.py"))
    }


@pytest.mark.parametrize(
    "pattern,home",
    [
        (r"datetime\.now\(", "dialogs/clock.py"),  # utcnow
        (r"timezone\(timedelta\(hours=8\)", "dialogs/clock.py"),  # BEIJING
        (r"os\.fsync\(", "storage/files.py"),  # write_synced, fsync_dir
        (r"(\w+) - 9 if \1 > 9", "dialogs/values.py"),  # the Luhn doubling step
        (r"def mask_\w+\(", "dialogs/masks.py"),
        (r"非常满意", "dialogs/rating.py"),  # rating labels
    ],
    ids=["utcnow", "beijing", "fsync", "luhn", "masks", "rating-labels"],
)
def test_stated_once(pattern, home):
    found = sorted(path for path, text in sources().items() if re.search(pattern, text))
    assert found == [home]


@pytest.mark.parametrize(
    "pattern,home",
    [
        (r"Upload\(data=v, size=len\(v\)\) for v in value", "tests/scripts.py"),  # as_input
        (r"pdf_nested_flate\(128\),\s+(hostile\.)?png_bomb\(\)", "tests/hostile.py"),  # heaviest_album
    ],
    ids=["scripted-input", "hostile-album"],
)
def test_test_helpers_stated_once(pattern, home):
    """The tests and benchmarks drive the engine and build hostile albums through one helper each."""
    files = [p for d in ("tests", "bench") for p in sorted((ROOT / d).rglob("*.py"))]
    found = sorted(str(p.relative_to(ROOT)) for p in files if re.search(pattern, p.read_text(encoding="utf-8")))
    assert found == [home]
