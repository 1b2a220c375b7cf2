"""Start-up time to the first handled update.

* process: `python -m bot run` long-polling the fake Bot API (tests/e2e/fakebot.py); /start is
  queued before the process starts; measured from spawn to the reply (wall, and the process's CPU
  seconds and RSS at that moment: on a shared machine the CPU figure is the steadier one). Twice: a
  fresh data directory (the database is created and migrated) and a restart on the same directory.
  The floor, in the same run: a bare aiogram echo bot (bench/echo_bot.py) started the same way.
* in-process (`--inprocess`, in a fresh interpreter): imports, the fresh database made current as a
  start-up makes it (`storage.migrate.ensure_current`: the models' schema, stamped HEAD; figures
  from before that change timed Alembic's `upgrade head` here), compose.build, make_dispatcher, the
  first feed_update, each timed.
* `--compare DIR`: the process starts of another checkout (e.g. main in a detached worktree, run
  with this venv) alternated with this one's, `--rounds` times, so a before/after shares the load.

The project's bytecode is compiled first (compileall, both checkouts): a deployed bot has it after
its first run, but with PYTHONDONTWRITEBYTECODE set (as on the helpers' machine) every start would
compile the ~120 project modules again (~0.15–0.3 s of CPU) and the figure would measure that.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, BotChild, bot_env, emit  # noqa: E402

PACKAGES = ("bot", "dialogs", "dispatch", "office", "states", "storage")


def compile_bytecode(root: Path) -> None:
    import compileall

    for package in PACKAGES:
        compileall.compile_dir(root / package, quiet=1)


async def one_start(
    data_dir: Path,
    timeout: float,
    first_update_id: int = 100_000,
    command: list[str] | None = None,
    checkout: Path | None = None,
) -> dict:
    import itertools

    import psutil

    from tests.e2e.fakebot import DEFAULT_TOKEN, FakeBotAPI

    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        # Telegram never reuses an update id; a restart with the fake's first id again would be
        # taken for a re-delivery of the first run's /start (handled update ids) and get no reply.
        api._update_ids = itertools.count(first_update_id)
        api.push_text(7001, "/start")
        t0 = time.monotonic()  # the fake server stamps calls with time.monotonic()
        env = bot_env(api.base_url, data_dir, **({"PYTHONPATH": str(checkout)} if checkout else {}))
        log = data_dir.parent / f"bot-{time.time_ns()}.log"
        with BotChild(env, log, command, cwd=checkout) as child:
            proc = psutil.Process(child.pid)
            call = await api.wait_call("getUpdates", timeout=timeout)
            polling = call.at - t0
            reply = (await api.wait_for_reply(7001, lambda c: True, timeout=timeout))[-1]
            replied = reply.at - t0
            cpu = proc.cpu_times()
            rss = proc.memory_info().rss / 2**20
    return {"first_poll_s": polling, "first_reply_s": replied, "cpu_s": cpu.user + cpu.system, "rss_mb": rss}


async def fresh_and_restart(timeout: float, checkout: Path | None = None) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-startup-")) / "data"
    fresh = await one_start(data_dir, timeout, checkout=checkout)
    again = await one_start(data_dir, timeout, first_update_id=200_000, checkout=checkout)
    return {"fresh": fresh, "restart": again}


async def process_starts(timeout: float, compare: Path | None = None, rounds: int = 1) -> dict:
    if not (ROOT / "tests" / "e2e" / "fakebot.py").is_file():
        return {"pending": "tests/e2e/fakebot.py not built yet"}
    out: dict = {}
    runs: list[dict] = []
    other: list[dict] = []
    for _ in range(rounds):
        if compare is not None:
            other.append(await fresh_and_restart(timeout, compare))
        runs.append(await fresh_and_restart(timeout))
    out.update(runs[0])
    out["echo_bot_floor"] = await one_start(
        Path(tempfile.mkdtemp(prefix="bench-startup-")) / "echo",
        timeout,
        command=[sys.executable, str(ROOT / "bench" / "echo_bot.py")],
    )
    if rounds > 1:
        out["rounds"] = runs
    if compare is not None:
        out["compare"] = {"checkout": str(compare), "rounds": other}
    out["load_average"] = __import__("os").getloadavg()
    return out


def summary(result: dict) -> list[str]:
    """Printed lines: CPU s / wall s / RSS MB at the first reply, per round and checkout."""

    def line(label: str, r: dict) -> str:
        f, a = r["fresh"], r["restart"]
        return (
            f"{label}: fresh {f['cpu_s']:.2f} s CPU, {f['first_reply_s']:.2f} s wall, {f['rss_mb']:.0f} MB; "
            f"restart {a['cpu_s']:.2f} s CPU, {a['first_reply_s']:.2f} s wall, {a['rss_mb']:.0f} MB"
        )

    p = result["process"]
    if "fresh" not in p:
        return []
    lines = []
    mine = p.get("rounds", [p])
    theirs = p.get("compare", {}).get("rounds", [])
    for i, r in enumerate(mine):
        if i < len(theirs):
            lines.append(line(f"round {i + 1} {p['compare']['checkout']}", theirs[i]))
        lines.append(line(f"round {i + 1} this checkout", r))
    e = p["echo_bot_floor"]
    lines.append(f"echo bot floor: {e['cpu_s']:.2f} s CPU, {e['first_reply_s']:.2f} s wall, {e['rss_mb']:.0f} MB")
    lines.append("load average: " + " / ".join(f"{x:.1f}" for x in p["load_average"]))
    return lines


async def in_process() -> dict:
    marks: dict[str, float] = {}
    t = time.perf_counter()
    from aiogram import Bot

    from bench.common import NOW, bench_session_class, services_for, sqlite_file_url
    from bot.telegram.app import make_dispatcher
    from bot.telegram.flood import FloodGuard
    from bot.telegram.staff import make_router as staff_router
    from storage.migrate import ensure_current
    from tests import factories as f

    marks["imports_s"] = time.perf_counter() - t
    tmp = Path(tempfile.mkdtemp(prefix="bench-startup-inproc-"))
    url = sqlite_file_url(tmp)
    t = time.perf_counter()
    await asyncio.to_thread(ensure_current, url)
    marks["migrate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    services = services_for(url, tmp)
    await services.load_faq_additions()
    dp = make_dispatcher(
        services.runner,
        staff_router(services.sessionmaker, services.blobs, services.calendar),
        clock=lambda: NOW,
        flood=FloodGuard("10000000/minute"),
    )  # load, not a flood
    marks["build_s"] = time.perf_counter() - t
    session = bench_session_class()()
    bot = Bot("42:TEST", session=session)
    t = time.perf_counter()
    await dp.feed_update(bot, f.text_update("/start", 7002))
    marks["first_update_s"] = time.perf_counter() - t
    t = time.perf_counter()
    await dp.feed_update(bot, f.text_update("/start", 7003))
    marks["second_update_s"] = time.perf_counter() - t
    marks["script_total_s"] = time.perf_counter() - T0
    await services.db_engine.dispose()
    return marks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inprocess", action="store_true", help="(internal) the in-process measurement")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--compare", type=Path, help="another checkout whose start-up alternates with this one's")
    ap.add_argument("--rounds", type=int, default=1, help="fresh + restart pairs per checkout")
    args = ap.parse_args()
    if args.inprocess:
        emit({"scenario": "startup-inprocess", **asyncio.run(in_process())})
        return
    compare = args.compare.resolve() if args.compare else None
    for checkout in (ROOT, compare):
        if checkout is not None:
            compile_bytecode(checkout)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--inprocess"], cwd=ROOT, capture_output=True, text=True)
    total = time.perf_counter() - t0
    import json

    inproc = next(
        (json.loads(line.split(" ", 1)[1]) for line in out.stdout.splitlines() if line.startswith("BENCH-RESULT ")),
        {"error": out.stderr[-800:]},
    )
    inproc["spawn_to_done_s"] = total
    result = {
        "scenario": "startup",
        "inprocess": inproc,
        "process": asyncio.run(process_starts(args.timeout, compare, args.rounds)),
    }
    for text in summary(result):
        print(text)
    emit(result)


if __name__ == "__main__":
    main()
