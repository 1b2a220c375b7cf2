"""FAQ answer time: start-up (bank load, jieba, index) and per-question time after warm-up.

Accuracy figures live in bench/bench_faq.py; this script times only, on the same question set.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, emit, pct


def main() -> None:
    if importlib.util.find_spec("dialogs.faq") is None:
        emit({"scenario": "faq", "pending": "dialogs/faq.py not built yet"})
        return
    t0 = time.perf_counter()
    from datetime import date

    from dialogs import faq_text
    from dialogs.faq import FaqIndex, load_bank
    from dialogs.helpdesk import respond

    imported = time.perf_counter() - t0
    index = FaqIndex(load_bank())
    index.warm_up()
    startup = time.perf_counter() - t0
    rows = json.loads((ROOT / "bench" / "faq_eval.json").read_text(encoding="utf-8"))
    today = date(2026, 12, 1)
    t = time.perf_counter()
    respond(index, rows[0]["q"], today)
    first = time.perf_counter() - t
    times = []
    for _ in range(5):
        for row in rows:
            faq_text.tokenize.cache_clear()  # every question timed as if never seen
            faq_text.content_runs.cache_clear()
            t = time.perf_counter()
            respond(index, row["q"], today)
            times.append((time.perf_counter() - t) * 1000)
    emit(
        {
            "scenario": "faq",
            "questions": len(rows),
            "rounds": 5,
            "import_s": imported,
            "startup_s": startup,
            "first_answer_ms": first * 1000,
            "mean_ms": statistics.fmean(times),
            "p50_ms": pct(times, 50),
            "p99_ms": pct(times, 99),
            "max_ms": max(times),
        }
    )


if __name__ == "__main__":
    main()
