"""End to end: `python -m bot run` long-polling the fake Bot API (tests/e2e/fakebot.py) against a bare
aiogram echo bot (bench/echo_bot.py) fed the same way, in the same run: CPU per update of each process.

Each process is started fresh and warmed up: one update per user, and one more user walking the whole
script (each kind of update and reply is parsed and built once: aiogram's types are built at first use,
bot/lazy_types.py), then the driver waits until the process is idle (the FAQ index is built in the
background once the first updates are answered). Then `--users` applicants walk the eligibility and
form script concurrently (each waits for its reply before its next step, as a person does). CPU is
the process's own (psutil user + system, all threads) from the first scripted update to the last
reply; the fake server and this driver run in another process. Rounds alternate echo, bot (and
`--against DIR`: the bot of another checkout, e.g. a `git worktree` of main, run from DIR with this
venv, for a before/after in one invocation). `--count`: one more run of each bot with its SQL
statements (BEGIN included) and COMMITs counted per update (bench/counted_bot.py; not timed).
`--db postgresql`: the bots keep their data in a fresh PostgreSQL database each (on the server of
TEST_DATABASE_URL, dropped afterwards); the echo bot stores nothing either way, so it is the same floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, BotChild, bot_env, database, emit


def commands(mode: str, count: bool = False) -> list[str]:
    if mode == "echo":
        return [sys.executable, str(ROOT / "bench" / "echo_bot.py")]
    if count:
        return [sys.executable, str(ROOT / "bench" / "counted_bot.py")]
    return [sys.executable, "-m", "bot", "run"]


async def settle(ps, quiet: float = 0.5, most: float = 30.0, idle_cpu: float = 0.02) -> None:
    """Wait until the process used less than `idle_cpu` s of CPU in `quiet` s (at most `most` s)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + most
    last = sum(ps.cpu_times()[:2])
    while loop.time() < end:
        await asyncio.sleep(quiet)
        now = sum(ps.cpu_times()[:2])
        if now - last < idle_cpu:
            return
        last = now


async def one_run(
    mode: str,
    users: int,
    steps: int,
    first_uid: int,
    timeout: float,
    cwd: Path | None = None,
    count: bool = False,
    db: str = "sqlite",
) -> dict:
    if mode == "echo" or db == "sqlite":  # the bot's own SQLite file in its data folder
        return await _one_run(mode, users, steps, first_uid, timeout, cwd, count, {})
    with tempfile.TemporaryDirectory(prefix="bench-e2e-db-") as folder:
        async with database(db, Path(folder)) as url:
            return await _one_run(mode, users, steps, first_uid, timeout, cwd, count, {"DATABASE_URL": url})


async def _one_run(
    mode: str, users: int, steps: int, first_uid: int, timeout: float, cwd: Path | None, count: bool, extra: dict
) -> dict:
    import psutil

    from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI
    from tests.scripts import ELIGIBILITY, FORM

    script = (ELIGIBILITY + FORM)[:steps]
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-e2e-{mode}-")) / "data"
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        env = bot_env(api.base_url, data_dir, EMBEDDED_WORKER="false", FLOOD_PER_MINUTE="100000", **extra)
        env["COUNT_OUT"] = str(data_dir.parent / "count.json")
        log = data_dir.parent / "process.log"
        with BotChild(env, log, commands(mode, count), cwd=cwd) as child:
            ps = psutil.Process(child.pid)
            uids = [first_uid + i for i in range(users)]
            pushed = 0

            async def walk(uid: int, measured: bool = True) -> None:
                nonlocal pushed
                for kind, value in script:
                    if kind == "choose":
                        api.push_callback(uid, value)
                    else:
                        api.push_text(uid, value)
                    pushed += measured
                    await api.wait_for_reply(uid, timeout=timeout)

            for uid in uids:  # warm-up: imports, first queries, pools, types; not measured
                api.push_text(uid, "/start")
            for uid in uids:
                await api.wait_for_reply(uid, timeout=timeout)
            api.push_text(first_uid + users, "/start")
            await api.wait_for_reply(first_uid + users, timeout=timeout)
            await walk(first_uid + users, measured=False)
            await settle(ps)
            if count:
                os.kill(child.pid, signal.SIGUSR1)
            before, t0 = ps.cpu_times(), time.perf_counter()
            await asyncio.gather(*(walk(uid) for uid in uids))
            after, wall = ps.cpu_times(), time.perf_counter() - t0
            counted = {}
            if count:
                os.kill(child.pid, signal.SIGUSR2)
                for _ in range(50):
                    await asyncio.sleep(0.1)
                    if Path(env["COUNT_OUT"]).exists():
                        await asyncio.sleep(0.1)
                        counted = json.loads(Path(env["COUNT_OUT"]).read_text())
                        break
            sorry = sum(1 for c in api.calls if "系统繁忙" in (c.text or ""))
    cpu = (after.user - before.user) + (after.system - before.system)
    result = {
        "mode": mode,
        "updates": pushed,
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_ms_per_update": cpu / max(pushed, 1) * 1000,
        "sorry": sorry,
    }
    if count:
        per = {k: round(v / max(pushed, 1), 2) for k, v in sorted(counted.items(), key=lambda kv: -kv[1])}
        result["statements_per_update"] = round(sum(v for k, v in counted.items() if k != "COMMIT") / max(pushed, 1), 2)
        result["commits_per_update"] = per.get("COMMIT", 0.0)
        result["by_kind"] = per
    return result


async def main_async(args) -> dict:
    against = Path(args.against).resolve() if args.against else None
    modes = ("echo", "base", "bot") if against else ("echo", "bot")
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    uid = 9_100_000
    for _ in range(args.rounds):
        for mode in modes:
            cwd = against if mode == "base" else None
            runs[mode].append(await one_run(mode, args.users, args.steps, uid, args.timeout, cwd, db=args.db))
            uid += args.users + 1
            print(f"# {mode}: {runs[mode][-1]['cpu_ms_per_update']:.2f} ms CPU per update", file=sys.stderr)
    result = {
        "scenario": "e2e",
        "db": args.db,
        "users": args.users,
        "steps": args.steps,
        "load": os.getloadavg(),
        "runs": runs,
    }
    for mode in modes[1:]:
        result[f"ratios_{mode}"] = [
            b["cpu_ms_per_update"] / e["cpu_ms_per_update"] for e, b in zip(runs["echo"], runs[mode], strict=True)
        ]
    result["ratios"] = result["ratios_bot"]
    if args.count:
        result["counted"] = {}
        for mode in modes[1:]:
            cwd = against if mode == "base" else None
            r = await one_run(mode, args.users, args.steps, uid, args.timeout, cwd, count=True, db=args.db)
            uid += args.users + 1
            result["counted"][mode] = {k: r[k] for k in ("statements_per_update", "commits_per_update", "by_kind")}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--steps", type=int, default=30, help="steps of the eligibility + form script per user")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--against", help="another checkout whose bot is run too (mode 'base'), e.g. main's worktree")
    ap.add_argument("--count", action="store_true", help="count SQL statements and COMMITs per update (extra runs)")
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite", help="the bots' database")
    emit(asyncio.run(main_async(ap.parse_args())))


if __name__ == "__main__":
    main()
