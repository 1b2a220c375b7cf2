"""bench/bench_faq.py reports every split in its question file, an unknown name as a fresh one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.bench_faq import split_names

ROOT = Path(__file__).resolve().parent.parent


def test_unknown_split_names_are_fresh() -> None:
    rows = [{"split": s} for s in ("locked-d", "tune", "locked-c", "locked-d", "mine")]
    assert split_names(rows) == (["tune", "locked-c"], ["locked-d", "mine"])


def test_a_fresh_split_gets_its_own_figures_and_no_misses(tmp_path: Path) -> None:
    rows = [
        {"q": "办理需要多长时间", "expect": ["deadline"], "split": "tune"},
        {"q": "多久能办下来啊", "expect": ["deadline"], "split": "locked-d"},
        {"q": "办这个收费不", "expect": ["matters"], "split": "locked-d"},  # a miss, not listed
        {"q": "公积金怎么提取", "expect": "out_of_scope", "split": "locked-d"},
    ]
    path = tmp_path / "eval.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    command = [sys.executable, "bench/bench_faq.py", "--eval", str(path)]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    fresh = out.split('split "locked-d" (3 questions, fresh)')[1].split("\nbank:")[0]
    assert "right answer, over all in scope      50.0% (1/2)" in fresh
    assert "out-of-scope confident (false)       0.0% (0/1)" in fresh
    assert "worst misses" not in fresh and "办这个收费不" not in out
