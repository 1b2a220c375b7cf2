"""Benchmark of the FAQ answer engine on held-out applicant questions; prints figures only."""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogs.faq import FaqIndex, FaqResult, load_bank  # noqa: E402


def evaluate(index: FaqIndex, rows: list[dict]) -> tuple[dict, list[tuple[dict, FaqResult]]]:
    results = [(row, index.answer(row["q"])) for row in rows]
    ins = [(r, res) for r, res in results if r["expect"] != "handoff"]
    oos = [(r, res) for r, res in results if r["expect"] == "handoff"]
    top1 = sum(res.entry is not None and res.entry.id == r["expect"] for r, res in ins)
    answered = [(r, res) for r, res in ins if res.confident]
    right = sum(res.entry.id == r["expect"] for r, res in answered)
    figures = {
        "in-scope questions": len(ins),
        "in-scope top-1 accuracy": f"{top1 / len(ins):.1%} ({top1}/{len(ins)})",
        "in-scope answered rate": f"{len(answered) / len(ins):.1%} ({len(answered)}/{len(ins)})",
        "in-scope answered and right": f"{right}/{len(answered)}",
        "out-of-scope questions": len(oos),
        "out-of-scope confident answers": sum(res.confident for _, res in oos),
        "hand-off rate (all)": f"{sum(not res.confident for _, res in results) / len(results):.1%}",
    }
    return figures, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and hand-offs")
    parser.add_argument("--compare", action="store_true", help="also score with answer text weighted")
    args = parser.parse_args()
    rows = json.loads((ROOT / "bench" / "faq_questions.json").read_text(encoding="utf-8"))

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
    figures["mean ms / question"] = f"{statistics.fmean(timings):.2f}"
    figures["p99 ms / question"] = f"{timings[int(len(timings) * 0.99) - 1]:.2f}"
    figures["start-up s (jieba init + index)"] = f"{startup:.2f}"
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")

    if args.compare:
        for weight in (0.2, 0.5):
            alt, _ = evaluate(FaqIndex(load_bank(), answer_weight=weight), rows)
            print(f"\nwith answer text weighted {weight}:")
            for name in ("in-scope top-1 accuracy", "in-scope answered rate", "out-of-scope confident answers"):
                print(f"  {name:<{width}}  {alt[name]}")

    if args.verbose:
        print()
        for row, res in results:
            got = res.entry.id if res.entry else "-"
            ok = got == row["expect"] if row["expect"] != "handoff" else not res.confident
            if not ok or not res.confident:
                mark = "ok  " if ok else "MISS"
                print(f"{mark} {row['q']}  expect={row['expect']} got={got} "
                      f"score={res.score:.1f} {res.reason}")


if __name__ == "__main__":
    main()
