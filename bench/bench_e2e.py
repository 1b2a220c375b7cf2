"""End to end: `python -m bot run` long-polling the fake Bot API (tests/e2e/fakebot.py) against a bare
aiogram echo bot (bench/echo_bot.py) fed the same way, in the same run: CPU per update of each process.

Each process is started fresh, warmed up with one update per user, then `--users` applicants walk the
eligibility and form script concurrently (each waits for its reply before its next step, as a person
does). CPU is the process's own (psutil user + system, all threads) from the first scripted update to
the last reply; the fake server and this driver run in another process. Rounds alternate echo, bot.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, BotChild, bot_env, emit


def commands(mode: str) -> list[str]:
    if mode == "echo":
        return [sys.executable, str(ROOT / "bench" / "echo_bot.py")]
    return [sys.executable, "-m", "bot", "run"]


async def one_run(mode: str, users: int, steps: int, first_uid: int, timeout: float) -> dict:
    import psutil

    from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI
    from tests.scripts import ELIGIBILITY, FORM

    script = (ELIGIBILITY + FORM)[:steps]
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-e2e-{mode}-")) / "data"
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        env = bot_env(api.base_url, data_dir, EMBEDDED_WORKER="false", FLOOD_PER_MINUTE="100000")
        with BotChild(env, data_dir.parent / "process.log", commands(mode)) as child:
            ps = psutil.Process(child.pid)
            uids = [first_uid + i for i in range(users)]
            for uid in uids:  # warm-up: imports, first queries, pools; not measured
                api.push_text(uid, "/start")
            for uid in uids:
                await api.wait_for_reply(uid, timeout=timeout)
            before, t0 = ps.cpu_times(), time.perf_counter()
            pushed = 0

            async def walk(uid: int) -> None:
                nonlocal pushed
                for kind, value in script:
                    if kind == "choose":
                        api.push_callback(uid, value)
                    else:
                        api.push_text(uid, value)
                    pushed += 1
                    await api.wait_for_reply(uid, timeout=timeout)

            await asyncio.gather(*(walk(uid) for uid in uids))
            after, wall = ps.cpu_times(), time.perf_counter() - t0
            sorry = sum(1 for c in api.calls if "系统繁忙" in (c.text or ""))
    cpu = (after.user - before.user) + (after.system - before.system)
    return {
        "mode": mode,
        "updates": pushed,
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_ms_per_update": cpu / max(pushed, 1) * 1000,
        "sorry": sorry,
    }


async def main_async(args) -> dict:
    runs: dict[str, list[dict]] = {"echo": [], "bot": []}
    uid = 9_100_000
    for _ in range(args.rounds):
        for mode in ("echo", "bot"):
            runs[mode].append(await one_run(mode, args.users, args.steps, uid, args.timeout))
            uid += args.users
    ratios = [b["cpu_ms_per_update"] / e["cpu_ms_per_update"] for e, b in zip(runs["echo"], runs["bot"], strict=True)]
    return {"scenario": "e2e", "users": args.users, "steps": args.steps, "runs": runs, "ratios": ratios}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--steps", type=int, default=30, help="steps of the eligibility + form script per user")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60)
    emit(asyncio.run(main_async(ap.parse_args())))


if __name__ == "__main__":
    main()
