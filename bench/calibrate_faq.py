"""Choose the FAQ's reranking weights and confidence bars on tuning data only, and say how well the
choice holds on data it was not chosen on.

Tuning data: the splits in bench_faq.SEEN (the "tune" split and the locked splits after their one
run each). Any other split in the file (fresh, e.g. "locked-d") is filtered out before anything is
scored, so the chosen values cannot depend on it.
Objective: right answers over all in-scope questions, a wrong answer counting three times against
and a confident answer to an out-of-scope question five times; also printed: the best point that
answers no seen out-of-scope question confidently (the one to prefer when it costs little).
Cross-validation: leave one seen split out, choose on the others, score the one left out; the
pooled left-out figures are the held-out estimate (each grid point is scored once, per row).
Run: python bench/calibrate_faq.py   (then copy the printed values into dialogs/faq.py)
     python bench/calibrate_faq.py --quick   (16 points around the chosen values, ~6 min on a
     shared machine: the bars and the family prior; the weights kept as chosen)
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_faq import SEEN, TODAY, judge  # noqa: E402
from dialogs.faq import FaqIndex, load_bank  # noqa: E402
from dialogs.helpdesk import respond  # noqa: E402

NAMES = (
    "W_BM25",
    "W_UNKNOWN",
    "W_INTENT",
    "MIN_SCORE",
    "MIN_GAP",
    "PAIR_MIN",
    "WIDE_GAP",
    "AGREE_SCORE",
    "W_FAMILY",
)
GRID = (
    (0.8, 1.2),
    (0.6,),
    (0.5, 1.0),
    (1.0, 1.1, 1.2),
    (0.06, 0.1),
    (1.1, 1.4),
    (0.5, 0.8, 99.0),
    (0.7, 99.0),
    (0.0, 0.3),
)
# the bars and the family prior only, the weights as dialogs/faq.py has them (W_BM25 1.2,
# W_UNKNOWN 0.6, W_INTENT 0.5, PAIR_MIN 1.1, WIDE_GAP 0.5)
QUICK = (
    (1.2,),
    (0.6,),
    (0.5,),
    (1.0, 1.1),
    (0.06, 0.1),
    (1.1,),
    (0.5,),
    (0.7, 99.0),
    (0.0, 0.3),
)


def tally(marks: list[tuple[str, bool, bool, bool]], splits: set[str]) -> tuple[int, int, int, int, int]:
    """(objective, right, wrong, false-confident, in-scope) over the rows of `splits`."""
    right = wrong = false_conf = n = 0
    for split, oos, answered, ok in marks:
        if split not in splits:
            continue
        if oos:
            false_conf += answered
        else:
            n += 1
            right += ok
            wrong += answered and not ok
    return right - 3 * wrong - 5 * false_conf, right, wrong, false_conf, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the 16-point grid of the bars (QUICK)")
    grid = QUICK if ap.parse_args().quick else GRID
    rows = [
        r for r in json.loads((ROOT / "bench" / "faq_eval.json").read_text(encoding="utf-8")) if r["split"] in SEEN
    ]  # a fresh split is never scored here
    index = FaqIndex(load_bank())
    index.warm_up()
    scored: dict[tuple[float, ...], list[tuple[str, bool, bool, bool]]] = {}
    for point in itertools.product(*grid):
        w_bm, w_unk, w_intent, min_score, min_gap, pair_min, wide_gap, agree_score, w_family = point
        index.agree_score, index.w_family = agree_score, w_family
        index.weights, index.min_score, index.min_gap = (1.0, w_bm, index.weights[2]), min_score, min_gap
        index.w_unknown, index.w_intent, index.pair_min, index.wide_gap = w_unk, w_intent, pair_min, wide_gap
        scored[point] = [
            (r["split"], r["expect"] == "out_of_scope", *judge(r, respond(index, r["q"], TODAY))) for r in rows
        ]
    splits = sorted({r["split"] for r in rows}, key=SEEN.index)
    pooled = [0, 0, 0, 0]
    print("leave-one-split-out (chosen on the other splits, scored on the one left out):")
    for held in splits:
        others = set(splits) - {held}
        point = max(scored, key=lambda p: tally(scored[p], others)[0])
        _, right, wrong, false_conf, n = tally(scored[point], {held})
        oos = sum(r["split"] == held and r["expect"] == "out_of_scope" for r in rows)
        pooled = [pooled[0] + right, pooled[1] + n, pooled[2] + false_conf, pooled[3] + oos]
        print(
            f"  {held:<9} right {right}/{n} ({right / n:.1%}), wrong {wrong}, out-of-scope confident "
            f"{false_conf}/{oos}; chosen {dict(zip(NAMES, point, strict=True))}"
        )
    print(
        f"  pooled held-out: right {pooled[0]}/{pooled[1]} ({pooled[0] / pooled[1]:.1%}), "
        f"out-of-scope confident {pooled[2]}/{pooled[3]}"
    )
    point = max(scored, key=lambda p: tally(scored[p], set(splits))[0])
    _, right, wrong, false_conf, n = tally(scored[point], set(splits))
    print(
        f"all seen splits: right {right}/{n}, wrong {wrong}, out-of-scope confident {false_conf}; "
        + " ".join(f"{k}={v}" for k, v in zip(NAMES, point, strict=True))
    )
    # a confident wrong answer to an out-of-scope question is worse than a hand-off: the best point
    # with none on any seen split, when there is one (prefer it when it differs little)
    safe = [p for p in scored if tally(scored[p], set(splits))[3] == 0]
    if safe:
        point = max(safe, key=lambda p: tally(scored[p], set(splits))[0])
        _, right, wrong, false_conf, n = tally(scored[point], set(splits))
        print(
            f"best with 0 out-of-scope confident: right {right}/{n}, wrong {wrong}; "
            + " ".join(f"{k}={v}" for k, v in zip(NAMES, point, strict=True))
        )
    else:
        print("no grid point keeps every seen out-of-scope question handed off")


if __name__ == "__main__":
    main()
