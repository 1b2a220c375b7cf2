"""Choose the FAQ's reranking weights and confidence bars on the tuning data only; prints the best.

Tuning data: bench_faq.SEEN (the "tune" split and the locked splits after their one run each).
The fresh split (bench_faq.FRESH) is filtered out before anything is scored, so the chosen values
cannot depend on it. Objective: right answers over all in-scope questions, a wrong answer
counting three times against and a confident answer to an out-of-scope question five times.
Run: python bench/calibrate_faq.py   (then copy the printed values into dialogs/faq.py)
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_faq import SEEN, TODAY, judge  # noqa: E402
from dialogs import faq as faq_module  # noqa: E402
from dialogs.faq import FaqIndex, load_bank  # noqa: E402
from dialogs.helpdesk import respond  # noqa: E402


def main() -> None:
    rows = [
        r for r in json.loads((ROOT / "bench" / "faq_eval.json").read_text(encoding="utf-8")) if r["split"] in SEEN
    ]  # the fresh split is never scored here
    index = FaqIndex(load_bank())
    index.warm_up()
    best = None
    grid = itertools.product(
        (0.8, 1.2), (0.7,), (0.6, 1.0), (0.0,), (0.9, 1.0, 1.1), (0.06, 0.1), (1.0,), (1.1, 1.3, 1.5, 99.0)
    )
    for w_bm, w_cov, w_unk, w_agree, min_score, min_gap, clause_min, pair_min in grid:
        index.weights, index.min_score, index.min_gap = (1.0, w_bm, w_cov), min_score, min_gap
        index.w_unknown, index.w_agree, index.pair_min = w_unk, w_agree, pair_min
        faq_module.CLAUSE_MIN = clause_min
        right = wrong = false_conf = 0
        for row in rows:
            answered, ok = judge(row, respond(index, row["q"], TODAY))
            if row["expect"] == "out_of_scope":
                false_conf += answered
            else:
                right += ok
                wrong += answered and not ok
        objective = right - 3 * wrong - 5 * false_conf
        if best is None or objective > best[0]:
            best = (
                objective,
                right,
                wrong,
                false_conf,
                (w_bm, w_cov, w_unk, w_agree, min_score, min_gap, clause_min, pair_min),
            )
    n = sum(r["expect"] != "out_of_scope" for r in rows)
    assert best is not None
    _, right, wrong, false_conf, (w_bm, w_cov, w_unk, w_agree, min_score, min_gap, clause_min, pair_min) = best
    print(
        f"tuning split: right {right}/{n}, wrong {wrong}, out-of-scope confident {false_conf}; "
        f"W_BM25={w_bm} W_COV={w_cov} W_UNKNOWN={w_unk} W_AGREE={w_agree} MIN_SCORE={min_score} MIN_GAP={min_gap} "
        f"CLAUSE_MIN={clause_min} PAIR_MIN={pair_min}"
    )


if __name__ == "__main__":
    main()
