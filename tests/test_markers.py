"""The inner loop's `-m "not e2e"` leaves out exactly the end-to-end tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def collect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_e2e_test_is_marked_and_nothing_else():
    marked = collect("-m", "e2e", "tests/e2e", "tests/states")
    ids = [line for line in marked.stdout.splitlines() if "::" in line]
    assert ids and all(i.startswith("tests/e2e/") for i in ids), marked.stdout
    assert len(ids) == len([line for line in collect("tests/e2e").stdout.splitlines() if "::" in line])
