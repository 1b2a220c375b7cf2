"""Help desk on the seen splits' questions with one homophone typo each, as a pinyin input method makes.

A fresh split's writers type some questions with typos (时现 for 时限); how often a typo costs the
right answer is measured here on every seen question instead, so that it does not rest on the few
typos one split happens to have. Each in-scope question that is answered right as written gets one
typo: a character of a word the bank uses (the words the help desk knows, where a typo hurts) is
replaced by another common character (GB2312 level 1, what input methods offer first) of the same
toneless reading, chosen with a fixed seed. Out-of-scope questions get the same kind of typo, and
must still not be answered.
Only the splits in bench_faq.SEEN are read. Reported per split: right with the typo, over the
questions right without it; out-of-scope questions answered with a typo.
Run: python bench/bench_faq_typos.py [--seed N] [--show N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_faq import SEEN, TODAY, judge  # noqa: E402


def _level_one(char: str) -> bool:
    try:
        code = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and 0xB0 <= code[0] <= 0xD7


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--show", type=int, default=10, help="how many typo questions that lost their answer to list")
    args = ap.parse_args()

    from dialogs.faq import FaqIndex, load_bank
    from dialogs.faq_sound import readings
    from dialogs.faq_text import bank_words
    from dialogs.helpdesk import respond

    index = FaqIndex(load_bank())
    index.warm_up()
    table = readings()
    by_sound: dict[str, list[str]] = defaultdict(list)
    for o in range(0x4E00, 0xA000):
        c = chr(o)
        if (s := table.get(c)) is not None and _level_one(c):
            by_sound[s].append(c)
    words = bank_words([t for e in index.entries for t in (*e.questions, e.answer)], (2, 3, 4))
    rng = random.Random(args.seed)

    def typo(q: str) -> str | None:
        starts = [(s, n) for n in (4, 3, 2) for s in range(len(q) - n + 1) if q[s : s + n] in words]
        spots = sorted({i for s, n in starts for i in range(s, s + n)})  # the characters of bank words
        rng.shuffle(spots)
        for i in spots:
            others = [c for c in by_sound.get(table.get(q[i]) or "", []) if c != q[i]]
            if others:
                return q[:i] + rng.choice(sorted(others)) + q[i + 1 :]
        return None

    rows = [r for r in json.loads((ROOT / "bench" / "faq_eval.json").read_text(encoding="utf-8")) if r["split"] in SEEN]
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # kept, right as written, oos answered, oos
    lost: list[str] = []
    for r in rows:
        t = typo(r["q"])
        if t is None:
            continue
        d = per[r["split"]]
        if r["expect"] == "out_of_scope":
            d[3] += 1
            answered = respond(index, t, TODAY).confident
            d[2] += answered
            if answered:
                lost.append(f"  OUT OF SCOPE ANSWERED {t}  (written {r['q']})")
            continue
        if not judge(r, respond(index, r["q"], TODAY))[1]:
            continue
        d[1] += 1
        ok = judge(r, respond(index, t, TODAY))[1]
        d[0] += ok
        if not ok:
            lost.append(f"  {t}  (written {r['q']}, expect {r['expect']})")
    total = [sum(d[k] for d in per.values()) for k in range(4)]
    for split in [s for s in SEEN if s in per] + ["all"]:
        kept, right, oos_conf, oos = total if split == "all" else per[split]
        print(
            f"  {split:<9} right with one typo {kept}/{right} ({kept / right:.1%}); "
            f"out-of-scope answered with one typo {oos_conf}/{oos}"
        )
    print("\n".join(["typo questions that lost their answer:", *lost[: args.show]]))


if __name__ == "__main__":
    main()
