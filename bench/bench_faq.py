"""Benchmark of the FAQ answer engine on held-out applicant questions; prints figures only.

Sets in bench/faq_questions.json: "dev" (synonyms were tuned on its misses), "dev2" (used to
choose the scoring variant and thresholds), "test" (written last, never tuned on).
Run: python bench/bench_faq.py [-v] [--compare]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogs import faq  # noqa: E402
from dialogs.faq import FaqIndex, FaqResult, load_bank  # noqa: E402

Row = dict[str, str]


def evaluate(index: FaqIndex, rows: list[Row]) -> tuple[dict[str, object], list[tuple[Row, FaqResult]]]:
    results = [(row, index.answer(row["q"])) for row in rows]
    ins = [(r, res) for r, res in results if r["expect"] != "handoff"]
    oos = [res for r, res in results if r["expect"] == "handoff"]
    top1 = sum(res.entry is not None and res.entry.id == r["expect"] for r, res in ins)
    answered = [(r, res) for r, res in ins if res.confident]
    wrong = sum(res.entry is None or res.entry.id != r["expect"] for r, res in answered)
    n = max(len(ins), 1)
    return {
        "in-scope questions": len(ins),
        "in-scope top-1 accuracy": f"{top1 / n:.1%} ({top1}/{len(ins)})",
        "in-scope answered rate": f"{len(answered) / n:.1%} ({len(answered)}/{len(ins)})",
        "in-scope answered but wrong": wrong,
        "out-of-scope questions": len(oos),
        "out-of-scope confident answers": sum(res.confident for res in oos),
        "out-of-scope caught by the guard": sum(res.reason == "out_of_scope" for res in oos),
        "hand-off rate (all)": f"{sum(not res.confident for _, res in results) / max(len(results), 1):.1%}",
    }, results


def print_table(title: str, figures: dict[str, object]) -> None:
    print(f"\n{title}")
    for name, value in figures.items():
        print(f"  {name:<34} {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and hand-offs")
    parser.add_argument("--compare", action="store_true", help="scoring variants side by side")
    args = parser.parse_args()
    rows: list[Row] = json.loads((ROOT / "bench" / "faq_questions.json").read_text(encoding="utf-8"))

    t0 = time.perf_counter()
    index = FaqIndex(load_bank())
    index.warm_up()
    startup = time.perf_counter() - t0

    figures, results = evaluate(index, rows)
    timings = []
    for _ in range(5):
        for row in rows:
            t = time.perf_counter()
            index.answer(row["q"])
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    figures["mean ms / question (warm)"] = f"{statistics.fmean(timings):.2f}"
    figures["p99 ms / question (warm)"] = f"{timings[int(len(timings) * 0.99) - 1]:.2f}"
    figures["start-up s (jieba init + index)"] = f"{startup:.2f}"
    print_table(f"all {len(rows)} questions", figures)
    for name in sorted({r.get("set", "") for r in rows} - {""}):
        print_table(f'set "{name}"', evaluate(index, [r for r in rows if r.get("set") == name])[0])

    with mock.patch.object(faq, "is_out_of_scope", lambda text: False):
        no_guard, _ = evaluate(index, rows)
    print(f"\nwithout the topic guard, out-of-scope confident answers: {no_guard['out-of-scope confident answers']}")

    if args.compare:
        print("\nvariant: in-scope top-1                         all            test")
        for per_question in (True, False):
            for weight in (0.0, 0.5, 1.0):
                alt = FaqIndex(load_bank(), per_question=per_question, answer_weight=weight)
                a, _ = evaluate(alt, rows)
                t, _ = evaluate(alt, [r for r in rows if r.get("set") == "test"])
                label = f"{'max over questions' if per_question else 'one doc per entry'}, answer x{weight}"
                print(f"  {label:<44} {a['in-scope top-1 accuracy']:<14} {t['in-scope top-1 accuracy']}")

    if args.verbose:
        print()
        for row, res in results:
            got = res.entry.id if res.entry else "-"
            ok = got == row["expect"] if row["expect"] != "handoff" else not res.confident
            if not ok or not res.confident:
                print(f"{'ok  ' if ok else 'MISS'} [{row.get('set', '')}] {row['q']}  "
                      f"expect={row['expect']} got={got} score={res.score:.1f} {res.reason}")


if __name__ == "__main__":
    main()
