"""Runs every benchmark (each in a fresh process), prints one table and writes bench/RESULTS.md.

    bash scripts/bench.sh                 # everything, sized to finish in ~5 minutes on 2 cores
    bash scripts/bench.sh --quick         # a smoke run (~1-2 minutes)
    bash scripts/bench.sh --only updates,memory --applicants 400

Sizes come from flags or BENCH_* environment variables (flag wins). PostgreSQL runs when
TEST_DATABASE_URL is set (a fresh database is created per scenario and dropped after).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PG_ENV, ROOT, machine

BENCH = ROOT / "bench"
SCENARIOS = ("updates", "e2e", "submit", "packets", "faq", "startup", "memory")
ROUNDS = 2  # each headline figure is measured twice in one invocation, the spread shown


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(f"BENCH_{name.upper()}", default))


def run(script: str, *args: str, timeout: float = 900) -> dict:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if proc.returncode or line is None:
        return {"error": f"{script} exited {proc.returncode}: {(proc.stderr or proc.stdout)[-1500:]}"}
    out = json.loads(line.split(" ", 1)[1])
    out["_seconds"] = time.perf_counter() - t
    print(f"  {script} {' '.join(args)}: {out['_seconds']:.0f} s", flush=True)
    return out


def f(x, digits: int = 1) -> str:
    if x is None or x == "":
        return "–"
    if isinstance(x, str):
        return x
    return f"{x:,.{digits}f}"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def table(results: dict, args) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    notes: list[str] = []
    ups = results.get("updates", {})
    floors, sqs, pgs = ups.get("floor") or [], ups.get("sqlite") or [], ups.get("postgresql") or []
    floor, sq, pg = (runs[0] if runs else None for runs in (floors, sqs, pgs))

    def col1(r, get, digits=1):
        if r is None:
            return "–"
        if "error" in r:
            return "error"
        try:
            return f(get(r), digits)
        except (KeyError, TypeError):
            return "–"

    def col(r, get, digits=1):
        """Run 1 / run 2 (spread) when `r` is the first run of a repeated scenario, else run 1."""
        runs = next((rs for rs in (floors, sqs, pgs) if rs and rs[0] is r), None)
        if not runs or len(runs) < 2:
            return col1(r, get, digits)
        return two([col1(x, get, digits) for x in runs], runs, get)

    def row(label, get, target="", ok=None, digits=1, floor_too=True):
        rows.append(
            [
                label,
                col(floor, get, digits) if floor_too else "",
                col(sq, get, digits),
                col(pg, get, digits),
                target,
                verdict(ok),
            ]
        )

    if ups:
        load = f"{args.concurrency} in flight"
        row(
            f"updates/s, {args.applicants} applicants interleaved, {load}",
            lambda r: r["load"]["updates_per_s"],
            "≥ 1,000",
            sq and "load" in sq and sq["load"]["updates_per_s"] >= 1000,
            0,
        )
        row("CPU ms per update under load (process, all threads)", lambda r: r["load"]["cpu_ms_per_update"], digits=2)
        row(
            "service time per update p50 ms (1 in flight, no uploads)",
            lambda r: r["service"]["latency"]["p50_ms"],
            digits=2,
        )
        row(
            "service time per update p99 ms (1 in flight, no uploads)",
            lambda r: r["service"]["latency"]["p99_ms"],
            "< 5",
            sq and "service" in sq and sq["service"]["latency"]["p99_ms"] < 5,
            2,
        )
        row(
            f"latency p50 / p99 ms under load ({load})",
            lambda r: f"{r['load']['latency']['p50_ms']:,.1f} / {r['load']['latency']['p99_ms']:,.1f}",
        )
        row(
            "photo upload p50 / p99 ms (1 in flight; excluded above)",
            lambda r: (
                f"{r['service']['upload_latency']['p50_ms']:,.1f} / {r['service']['upload_latency']['p99_ms']:,.1f}"
            ),
        )
        if floor and sq and "service" in floor and "service" in sq:

            def ratios(runs, get):  # each run against the floor measured in the same round
                return [
                    get(r) / get(fl)
                    for r, fl in zip(runs, floors, strict=False)
                    if "error" not in r and "error" not in fl
                ]

            svc = lambda r: r["service"]["latency"]["mean_ms"]  # noqa: E731
            cpu = lambda r: r["load"]["cpu_ms_per_update"]  # noqa: E731
            for label, get in (("mean service time", svc), ("CPU under load", cpu)):
                rsq, rpg = ratios(sqs, get), ratios(pgs, get)
                worst = max(rsq + rpg) if rsq + rpg else None
                rows.append(
                    [
                        f"cost per update ÷ floor ({label}), run 1 / run 2",
                        "1",
                        spread(rsq),
                        spread(rpg),
                        "≤ 3×",
                        verdict(worst <= 3 if worst else None),
                    ]
                )
        for name, r in (("SQLite", sq), ("PostgreSQL", pg)):
            if r and "applications" in r:
                errs = "; ".join(f"{v}× {k}" for k, v in r.get("errors", {}).items())
                notes.append(
                    f"{name}: {r['applications']}/{r['expected_applications']} applications submitted, "
                    f"{r['sorry']} '系统繁忙' answers, {r['sent']:,} Bot API calls"
                    + (f"; failed updates: {errs}" if errs else "")
                    + "."
                )

    sub = results.get("submit", {})
    for kind, label in (
        ("submit", "submissions/s (application + events + window notice)"),
        ("submit+accept", "submissions/s with acceptance (+3 cases, +3 deliveries)"),
    ):
        vals = []
        for db in ("sqlite", "postgresql"):
            r = sub.get(db)
            run_ = next((x for x in (r or {}).get("runs", []) if x["kind"] == kind), None)
            vals.append(
                f"{run_['per_s']:,.0f} (p99 {run_['latency']['p99_ms']:,.0f} ms)"
                if run_
                else ("error" if r and "error" in r else "–")
            )
        rows.append([label, "", *vals, "", "–"])
        for db in ("sqlite", "postgresql"):
            run_ = next((x for x in (sub.get(db) or {}).get("runs", []) if x["kind"] == kind), None)
            if run_ and run_.get("errors"):
                notes.append(
                    f"{kind} on {db}: {run_['ok']}/{run_['n']} confirmed; failed: "
                    + "; ".join(f"{v}× {k}" for k, v in run_["errors"].items())
                )

    e2e = results.get("e2e")
    if e2e and "error" not in e2e:
        for mode, label in (("echo", "bare aiogram echo bot"), ("bot", "`python -m bot run`")):
            vals = [r["cpu_ms_per_update"] for r in e2e["runs"][mode]]
            rows.append(
                [
                    f"end to end: CPU ms per update, {label} (fake Bot API, {e2e['users']} users × "
                    f"{e2e['steps']} steps), run 1 / run 2",
                    "",
                    spread(vals, 2),
                    "",
                    "",
                    "–",
                ]
            )
        rows.append(
            [
                "end to end: bot ÷ echo bot (CPU per update), run 1 / run 2",
                "1",
                spread(e2e["ratios"]),
                "",
                "≤ 2×",
                verdict(max(e2e["ratios"]) <= 2),
            ]
        )
        sorry = sum(r.get("sorry", 0) for r in e2e["runs"]["bot"])
        notes.append(
            f"End to end: {sum(r['updates'] for r in e2e['runs']['bot'])} scripted updates to the bot, "
            f"{sorry} '系统繁忙' answers; the embedded worker off (EMBEDDED_WORKER=false) in both rounds."
        )
    elif e2e:
        rows.append(["end to end: bot ÷ echo bot", "", "error", "", "≤ 2×", "–"])

    pk_runs = results.get("packets", {})
    pk = {db: runs[0] for db, runs in pk_runs.items() if runs}

    def pk_col(get, digits=1):
        return [
            two([col1(x, get, digits) for x in runs], runs, get) if len(runs) > 1 else col1(runs[0], get, digits)
            for runs in (pk_runs.get("sqlite") or [None], pk_runs.get("postgresql") or [None])
        ]

    if pk:
        rows.append(
            [
                "form PDF (表2) first render in a process, ms",
                "",
                *pk_col(lambda r: r["pdf"]["form_pdf_first_s"] * 1000, 0),
                "",
                "–",
            ]
        )
        rows.append(
            ["form PDF next renders, mean ms", "", *pk_col(lambda r: r["pdf"]["form_pdf_next"]["mean_ms"], 0), "", "–"]
        )
        rows.append(
            [
                "packet build, one application's 3 packets from a cold cache, mean ms",
                "",
                *pk_col(lambda r: r["pdf"]["packet"]["mean_ms"], 0),
                "",
                "–",
            ]
        )
        if pk.get("sqlite", {}).get("pdf", {}).get("steps"):
            for step, label in (
                ("form_ms", "form PDF, its own subsets made (cold cache)"),
                ("form_reused_ms", "form PDF, subsets reused (same glyphs)"),
                ("materials_ms", "materials PDF (cold cache)"),
                ("materials_reused_ms", "materials PDF, the application's photos already rendered"),
                ("data_ms", "data.json + routing"),
            ):
                if step not in pk["sqlite"]["pdf"]["steps"]:  # a run from before the step was measured
                    continue
                rows.append(
                    [
                        f"· packet step: {label}, mean ms per department",
                        "",
                        *pk_col(lambda r, s_=step: r["pdf"]["steps"].get(s_), 1),
                        "",
                        "–",
                    ]
                )
        if "worker" in pk.get("sqlite", {}):
            rows.append(["worker deliveries/s (folder channel)", "", pk["sqlite"]["worker"], "", "", "–"])
        else:
            rows.append(
                [
                    "worker deliveries/s with PDFs (folder channel), wall",
                    "",
                    *pk_col(lambda r: r["worker_pdf"]["per_s"], 2),
                    "",
                    "–",
                ]
            )
            cores = [1000 / r["worker_pdf"]["cpu_ms_each"] for r in pk_runs.get("sqlite") or [] if "worker_pdf" in r]
            rows.append(
                [
                    "worker packets per CPU-second (= per core) with PDFs, run 1 / run 2",
                    "",
                    spread(cores),
                    "–",
                    "≥ 20/s/core",
                    verdict(min(cores) >= 20 if cores else None),
                ]
            )
            rows.append(
                ["worker deliveries/s without PDFs", "", *pk_col(lambda r: r["worker_nopdf"]["per_s"], 1), "", "–"]
            )
            own = results.get("packets_distinct") or []
            distinct = [1000 / r["worker_pdf"]["cpu_ms_each"] for r in own if "worker_pdf" in r]
            if distinct:
                rows.append(
                    [
                        "· the same, each applicant a name of their own (bench_packets --distinct), run 1 / run 2",
                        "",
                        spread(distinct),
                        "–",
                        "≥ 20/s/core",
                        verdict(min(distinct) >= 20),
                    ]
                )

    fq = results.get("faq")
    if fq:
        if "pending" in fq:
            rows.append(["FAQ answer", "", fq["pending"], "", "", "–"])
        elif "error" not in fq:
            rows.append(["FAQ start-up s (bank, jieba, index)", "", f(fq["startup_s"], 2), "", "", "–"])
            rows.append(
                [
                    f"FAQ answer mean / p99 ms ({fq['questions']} questions × {fq['rounds']})",
                    "",
                    f"{fq['mean_ms']:.2f} / {fq['p99_ms']:.2f}",
                    "",
                    "",
                    "–",
                ]
            )

    st = results.get("startup")
    if st and "error" not in st:
        p = st.get("process", {})
        if "pending" in p:
            rows.append(["start-up: `python -m bot run` to first reply", "", p["pending"], "", "", "–"])
        else:
            echo = p.get("echo_bot_floor") or {}
            worst = max(p["fresh"]["first_reply_s"], p["restart"]["first_reply_s"])
            rows.append(
                [
                    "start-up: `python -m bot run` to first reply, s (fresh DB / restart)",
                    f"{echo['first_reply_s']:.1f}" if echo else "",
                    f"{p['fresh']['first_reply_s']:.1f} / {p['restart']['first_reply_s']:.1f}",
                    "",
                    "< 2 s",
                    verdict(worst < 2),
                ]
            )
            if "cpu_s" in p["fresh"]:
                rows.append(
                    [
                        "· its CPU s / RSS MB at the first reply (fresh / restart)",
                        f"{echo['cpu_s']:.2f} / {echo['rss_mb']:.0f}" if echo else "",
                        f"{p['fresh']['cpu_s']:.2f} / {p['restart']['cpu_s']:.2f} s; "
                        f"{p['fresh']['rss_mb']:.0f} / {p['restart']['rss_mb']:.0f} MB",
                        "",
                        "",
                        "–",
                    ]
                )
        i = st.get("inprocess", {})
        if "imports_s" in i:
            rows.append(
                [
                    "start-up in-process: imports / migrate / build / first update, s",
                    "",
                    f"{i['imports_s']:.1f} / {i['migrate_s']:.2f} / {i['build_s']:.2f} / {i['first_update_s']:.3f}",
                    "",
                    "",
                    "–",
                ]
            )

    mem = results.get("memory")
    if mem and "error" not in mem:
        s = mem["serve"]
        peak = max(s["peak_rss_mb"], mem["sampled_peak_rss_mb"])
        rows.append(
            [
                f"peak RSS MB: {mem['load']['drafts']:,} stored drafts + {s['conversations']:,} conversations",
                "",
                f"{peak:,.0f}",
                "",
                "< 250",
                verdict(peak < 250),
            ]
        )
        rows.append(
            [
                "RSS MB: after start-up / after one conversation (FAQ, jieba loaded) / end",
                "",
                f"{s['rss_after_startup_mb']:,.0f} / {s['rss_after_first_conversation_mb']:,.0f} / "
                f"{s['rss_end_mb']:,.0f}",
                "",
                "",
                "–",
            ]
        )
        per = (s["rss_end_mb"] - s["rss_after_first_conversation_mb"]) * 1024 / max(1, s["conversations"])
        rows.append(
            [
                "RSS growth over the run ÷ conversations, KB (includes pool and cache warm-up)",
                "",
                f"{per:,.0f}",
                "",
                "",
                "–",
            ]
        )
        notes.append(
            f"Memory: drafts of {mem['load']['draft_json_bytes']} bytes of JSON each (state "
            f"{mem['load']['draft_state']}), database {mem['load']['db_mb']:.0f} MB, loaded in "
            f"{mem['load']['load_s']:.0f} s; {s['updates']:,} updates at {s['updates_per_s']:.0f}/s."
        )
    return rows, notes


def spread(values: list[float], digits: int = 1) -> str:
    """`a / b (±s %)`: both runs and their half-range over the mean."""
    if not values:
        return "–"
    text = " / ".join(f(v, digits) for v in values)
    if len(values) > 1 and sum(values):
        text += f" (±{(max(values) - min(values)) / 2 / (sum(values) / len(values)) * 100:.0f} %)"
    return text


def two(texts: list[str], runs: list, get) -> str:
    """Formatted values of each run, with the spread when the figure is a number."""
    try:
        values = [float(get(r)) for r in runs]
    except (KeyError, TypeError, ValueError):
        return (" ; " if any("/" in t for t in texts) else " / ").join(texts)
    sep = " ; " if any("/" in t for t in texts) else " / "
    return sep.join(texts) + (
        f" (±{(max(values) - min(values)) / 2 / (sum(values) / len(values)) * 100:.0f} %)" if sum(values) else ""
    )


def render(rows: list[list[str]]) -> str:
    head = ["figure", "floor", "assistant, SQLite", "assistant, PostgreSQL", "target", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ",".join(SCENARIOS)),
        help=f"comma-separated subset of {','.join(SCENARIOS)}",
    )
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--applicants", type=int, default=env_int("applicants", 100))
    ap.add_argument("--pg-applicants", type=int, default=env_int("pg_applicants", 60))
    ap.add_argument("--concurrency", type=int, default=env_int("concurrency", 50))
    ap.add_argument("--sequential", type=int, default=env_int("sequential", 5))
    ap.add_argument("--submissions", type=int, default=env_int("submissions", 200))
    ap.add_argument("--drafts", type=int, default=env_int("drafts", 100_000))
    ap.add_argument("--conversations", type=int, default=env_int("conversations", 1000))
    ap.add_argument("--deliveries", type=int, default=env_int("deliveries", 12))
    ap.add_argument("--e2e-users", type=int, default=env_int("e2e_users", 10))
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL even if TEST_DATABASE_URL is set")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    ap.add_argument(
        "--rerender",
        action="store_true",
        help="no new run: rewrite --out from its own raw results with the current findings.md",
    )
    args = ap.parse_args()
    if args.quick:
        args.applicants, args.pg_applicants, args.sequential = 30, 20, 3
        args.submissions, args.drafts, args.conversations, args.deliveries = 60, 10_000, 100, 6
        args.e2e_users = 4
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    dbs = ["sqlite"] + (["postgresql"] if os.environ.get(PG_ENV) and not args.no_pg else [])
    results: dict = {}
    t0 = time.perf_counter()
    machine_lines = None
    if args.rerender:  # the figures of the last run, with the findings as they are now
        old = args.out.read_text(encoding="utf-8")
        results = json.loads(old.split("## Raw results\n\n```json\n", 1)[1].rsplit("\n```", 1)[0])
        machine_lines = old.split("## Machine\n\n", 1)[1].split("\n\n## Figures", 1)[0].splitlines()
        only = set()
    print(f"benchmarks: {', '.join(s for s in SCENARIOS if s in only)} on {', '.join(dbs)}", flush=True)
    if "updates" in only:
        common = ["--concurrency", str(args.concurrency), "--sequential", str(args.sequential)]
        results["updates"] = {"floor": [], **{db: [] for db in dbs}}
        for _ in range(ROUNDS):  # floor and assistant alternate, so both runs of a ratio share the machine
            results["updates"]["floor"].append(
                run("bench_updates.py", "--mode", "floor", "--applicants", str(args.applicants), *common)
            )
            for db in dbs:
                n = args.applicants if db == "sqlite" else args.pg_applicants
                results["updates"][db].append(
                    run("bench_updates.py", "--mode", "assistant", "--db", db, "--applicants", str(n), *common)
                )
    if "e2e" in only:
        results["e2e"] = run("bench_e2e.py", "--rounds", str(ROUNDS), "--users", str(args.e2e_users))
    if "submit" in only:
        results["submit"] = {
            db: run("bench_submit.py", "--db", db, "-n", str(args.submissions), "--concurrency", str(args.concurrency))
            for db in dbs
        }
    if "packets" in only:
        results["packets"] = {
            db: [
                run(
                    "bench_packets.py",
                    "--db",
                    db,
                    "--deliveries",
                    str(args.deliveries),
                    "--deliveries-nopdf",
                    str(args.deliveries * 5),
                )
                for _ in range(ROUNDS)
            ]
            for db in dbs[:1]
        }
        # Real applicants differ: each application's forms then need a font subset of their own.
        results["packets_distinct"] = [
            run("bench_packets.py", "--distinct", "--deliveries", str(args.deliveries), "--deliveries-nopdf", "3")
            for _ in range(ROUNDS)
        ]
    if "faq" in only:
        results["faq"] = run("bench_faq_speed.py")
    if "startup" in only:
        results["startup"] = run("bench_startup.py")
    if "memory" in only:
        results["memory"] = run(
            "bench_memory.py",
            "--drafts",
            str(args.drafts),
            "--conversations",
            str(args.conversations),
            "--steps",
            "3",
            "--concurrency",
            str(args.concurrency),
        )
    total = time.perf_counter() - t0

    rows, notes = table(results, args)
    errors = [f"{k}: {v['error']}" for k, v in results.items() if isinstance(v, dict) and "error" in v]
    errors += [
        f"{k}/{db}: {x['error']}"
        for k, sub in results.items()
        if isinstance(sub, dict)
        for db, v in sub.items()
        for x in (v if isinstance(v, list) else [v])
        if isinstance(x, dict) and "error" in x
    ]
    text = render(rows)
    print()
    print(text)
    for n in notes:
        print("- " + n)
    for e in errors:
        print("ERROR " + e)
    print(f"\ntotal {total:.0f} s")

    m = machine() if machine_lines is None else {}
    md = [
        "# Benchmark results",
        "",
        "Generated by `bash scripts/bench.sh` (bench/run.py); do not edit by hand: the findings come from "
        "bench/findings.md.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in m.items()],
    ]
    if machine_lines is not None:
        md += machine_lines
    else:
        md += [
            f"- run: {total:.0f} s; sizes: {args.applicants} applicants ({args.pg_applicants} on PostgreSQL), "
            f"{args.concurrency} in flight, {args.sequential} applicants for service times, {args.submissions} "
            f"submissions, {args.drafts:,} stored drafts, {args.conversations:,} conversations, "
            f"{args.deliveries} deliveries with PDFs",
            "- databases: SQLite file (WAL, default synchronous=FULL), "
            + ("PostgreSQL " + pg_version() if "postgresql" in dbs else "PostgreSQL not run (TEST_DATABASE_URL unset)"),
        ]
    md += [
        "",
        "## Figures",
        "",
        text,
        "",
        *[f"- {n}" for n in notes],
        *[f"- ERROR {e}" for e in errors],
        "",
        "How measured: the floor is a bare aiogram Dispatcher with one handler answering every message "
        "(and every button), fed the same updates with `feed_update` through the same recording Bot session. "
        "The assistant is wired as `python -m bot run` wires it (compose.build, staff and applicant routers), "
        "every update committed before its reply (group commit, GROUP_COMMIT=true, unless the run says "
        "otherwise). Service time: one update in flight, so latency is cost; "
        "under load, latency includes the queue of updates in flight (Little's law: "
        f"{args.concurrency} in flight ÷ throughput). End to end (bench_e2e.py): `python -m bot run` and a bare "
        "aiogram echo bot (bench/echo_bot.py) each long-poll the fake Bot API (tests/e2e/fakebot.py) in their own "
        "process and get the same scripted conversation; CPU per update is the process's own (psutil). Figures "
        "marked run 1 / run 2 were measured twice in this invocation (floor and assistant alternating); ± is "
        "half the range over the mean.",
        "",
    ]
    findings = BENCH / "findings.md"
    if findings.is_file():
        md += [findings.read_text(encoding="utf-8").strip(), ""]
    md += ["## Raw results", "", "```json", json.dumps(results, ensure_ascii=False, indent=1, default=str), "```", ""]
    args.out.write_text("\n".join(md), encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


def pg_version() -> str:
    try:
        import asyncio

        import asyncpg

        async def v() -> str:
            conn = await asyncpg.connect(os.environ[PG_ENV].replace("postgresql+asyncpg://", "postgresql://"))
            try:
                return (await conn.fetchval("show server_version")).split()[0]
            finally:
                await conn.close()

        return asyncio.run(v())
    except Exception:  # noqa: BLE001 - a version string is decoration
        return "?"


if __name__ == "__main__":
    main()
