"""Updates through the real Dispatcher vs the floor (a bare Dispatcher that answers each message).

Both are fed the same scripted updates (tests/scripts.FULL: eligibility, form, materials, review,
submit) with `dp.feed_update`, the same aiogram and the same recording Bot session (no network).
Two measurements per side:
  * service time: applicants one after another, one update in flight: per-update latency;
  * throughput: many applicants interleaved on one event loop, `--concurrency` updates in flight.
Uploads (photos: download + image normalisation + blob write) are timed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NOW, Stopwatch, bench_session_class, database, emit, script_updates, summary_ms

SORRY = "系统繁忙"


def floor_dispatcher():
    from aiogram import Bot, Dispatcher
    from aiogram.types import CallbackQuery, Message

    dp = Dispatcher()

    @dp.message()
    async def on_message(message: Message) -> None:
        await message.answer("ok")

    @dp.callback_query()
    async def on_button(cb: CallbackQuery, bot: Bot) -> None:
        await cb.answer()
        await bot.send_message(cb.message.chat.id, "ok")

    return dp, None


def assistant_dispatcher(url: str, data_dir: Path):
    """Wired like `python -m bot run` (compose.build, staff router, applicant router)."""
    from bench.common import services_for
    from bot.telegram.app import make_dispatcher
    from bot.telegram.flood import FloodGuard
    from bot.telegram.staff import make_router as staff_router

    services = services_for(url, data_dir)
    dp = make_dispatcher(
        services.runner,
        staff_router(services.sessionmaker, services.blobs, services.calendar),
        clock=lambda: NOW,
        flood=FloodGuard("10000000/minute"),
    )  # load, not a flood
    return dp, services


async def drive(dp, bot, scripts: dict[int, list], concurrency: int) -> dict:
    sem = asyncio.Semaphore(concurrency)
    lat: list[float] = []
    up: list[float] = []

    async def applicant(uid: int) -> None:
        for kind, update in scripts[uid]:
            async with sem:  # FIFO: applicants advance round-robin, one update each
                t = time.perf_counter()
                await dp.feed_update(bot, update)
                (up if kind == "upload" else lat).append(time.perf_counter() - t)

    sw = Stopwatch()
    await asyncio.gather(*(applicant(uid) for uid in scripts))
    wall, cpu = sw.stop()
    total = max(1, len(lat) + len(up))
    return {
        "updates": total,
        "uploads": len(up),
        "wall_s": wall,
        "cpu_s": cpu,
        "updates_per_s": total / wall,
        "cpu_ms_per_update": cpu / total * 1000,
        "latency": summary_ms(lat),
        "upload_latency": summary_ms(up),
    }


class ErrorCounter(logging.Handler):
    """Counts the errors the assistant logs (the error handler logs each failed update)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.counts: dict[str, int] = {}
        self.first: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        key = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}" if exc else record.getMessage()[:120]
        self.counts[key] = self.counts.get(key, 0) + 1


async def main_async(args) -> dict:
    from aiogram import Bot

    from tests.scripts import FULL

    logging.basicConfig(level=logging.ERROR)
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    Session = bench_session_class()
    tmp = Path(tempfile.mkdtemp(prefix="bench-updates-"))
    async with database(args.db, tmp) as url:
        if args.mode == "floor":
            dp, services = floor_dispatcher()
        else:
            dp, services = assistant_dispatcher(url, tmp)
        session = Session()
        bot = Bot("42:TEST", session=session)
        uid = iter(range(10_000_000, 20_000_000))

        def scripts(n: int) -> dict[int, list]:
            return {u: script_updates(FULL, u, session.files) for u in (next(uid) for _ in range(n))}

        await drive(dp, bot, scripts(args.warmup), 1)  # caches, lazy imports, first compile of SQL
        for key in COUNTERS:  # --count: the measured updates only
            COUNTERS[key] = 0
        service = await drive(dp, bot, scripts(args.sequential), 1)
        load = await drive(dp, bot, scripts(args.applicants), args.concurrency)
        result = {
            "scenario": "updates",
            "mode": args.mode,
            "db": args.db,
            "applicants": args.applicants,
            "concurrency": args.concurrency,
            "sequential_applicants": args.sequential,
            "service": service,
            "load": load,
            "sent": session.count,
            "sorry": sum(SORRY in t for t in session.texts_by_chat.values()),
            "errors": errors.counts,
        }
        if COUNTERS:
            fed = service["updates"] + (load["updates"] if args.applicants else 0)
            result["per_update"] = {k: v / fed for k, v in COUNTERS.items()}
            for k, v in sorted(result["per_update"].items(), key=lambda kv: -kv[1]):
                print(f"{k:40s} {v:7.2f} per update")
        if services is not None:
            from sqlalchemy import func, select

            from storage.models import Application

            async with services.sessionmaker() as db:
                result["applications"] = await db.scalar(select(func.count()).select_from(Application))
            result["expected_applications"] = args.warmup + args.sequential + args.applicants
            await services.db_engine.dispose()
        return result


LAYERS = [
    ("bot.runner", "Runner", "handle"),
    ("bot.runner", "Runner", "_on_submit"),
    ("dialogs.engine", "Engine", "handle"),
    ("storage.repos", "Applicants", "get_or_create"),
    ("storage.repos", "Drafts", "for_applicant"),
    ("storage.repos", "Drafts", "save"),
    ("storage.uow", "UnitOfWork", "__aenter__"),
    ("storage.uow", "UnitOfWork", "__aexit__"),
    ("bot.telegram.applicant", None, "send_replies"),
    ("bot.telegram.applicant", None, "download"),
    ("aiogram", "Dispatcher", "feed_update"),
]


def install_breakdown() -> dict:
    """Wall and main-thread CPU per call of each layer (sequential runs only: under load the
    timers would also count other tasks' time)."""
    import importlib
    import inspect

    acc: dict[str, list[float]] = {}

    def wrap(owner, name, label):
        orig = getattr(owner, name)
        if inspect.iscoroutinefunction(orig):

            async def timed(*a, **k):
                t, c = time.perf_counter(), time.thread_time()
                try:
                    return await orig(*a, **k)
                finally:
                    x = acc.setdefault(label, [0.0, 0.0, 0])
                    x[0] += time.perf_counter() - t
                    x[1] += time.thread_time() - c
                    x[2] += 1
        else:

            def timed(*a, **k):
                t, c = time.perf_counter(), time.thread_time()
                try:
                    return orig(*a, **k)
                finally:
                    x = acc.setdefault(label, [0.0, 0.0, 0])
                    x[0] += time.perf_counter() - t
                    x[1] += time.thread_time() - c
                    x[2] += 1

        setattr(owner, name, timed)

    for module, cls, name in LAYERS:
        mod = importlib.import_module(module)
        owner = getattr(mod, cls) if cls else mod
        if hasattr(owner, name):  # a layer renamed since: left out, not a failed run
            wrap(owner, name, f"{cls + '.' if cls else ''}{name}")
    return acc


COUNTERS: dict[str, int] = {}


def statement_kind(sql: str) -> str:
    """'SELECT notifications', 'UPDATE drafts', 'BEGIN (implicit)'...: what a statement does, to what."""
    import re

    words = sql.split()
    if not words:
        return "?"
    verb = words[0].upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE|JOIN)\s+\"?(\w+)", sql, re.IGNORECASE)
    return f"{verb} {table.group(1)}" if table and verb != "BEGIN" else verb


def install_counters() -> dict:
    """Per update: SQL statements, COMMITs, aiosqlite thread hops (one per DBAPI call), asyncio.to_thread and
    run_in_executor hops (aiogram sends every non-async filter or handler through to_thread)."""
    import aiosqlite.core
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    acc = COUNTERS
    acc.update(statements=0, commits=0, aiosqlite_hops=0, to_thread=0, executor=0)

    @event.listens_for(Engine, "before_cursor_execute")
    def count_statement(_conn, _cursor, statement, *_a, **_k) -> None:
        acc["statements"] += 1
        key = "stmt: " + statement_kind(statement)
        acc[key] = acc.get(key, 0) + 1

    @event.listens_for(Engine, "commit")
    def count_commit(*_a, **_k) -> None:  # a COMMIT: one fsync on SQLite with synchronous=FULL
        acc["commits"] += 1

    orig_execute = aiosqlite.core.Connection._execute

    async def execute(self, fn, *a, **k):
        acc["aiosqlite_hops"] += 1
        return await orig_execute(self, fn, *a, **k)

    aiosqlite.core.Connection._execute = execute

    orig_to_thread = asyncio.to_thread

    async def to_thread(fn, *a, **k):
        acc["to_thread"] += 1
        return await orig_to_thread(fn, *a, **k)

    asyncio.to_thread = to_thread

    orig_executor = asyncio.BaseEventLoop.run_in_executor

    def run_in_executor(self, executor, fn, *a):
        acc["executor"] += 1
        return orig_executor(self, executor, fn, *a)

    asyncio.BaseEventLoop.run_in_executor = run_in_executor
    return acc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["floor", "assistant"], default="assistant")
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--applicants", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--sequential", type=int, default=10, help="applicants driven one update at a time")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument(
        "--experiment",
        action="append",
        default=[],
        metavar="PY",
        help="import this module file and call its install() first (what-if experiments)",
    )
    ap.add_argument("--breakdown", action="store_true", help="time each layer (use with --applicants 0)")
    ap.add_argument(
        "--count",
        action="store_true",
        help="count statements and thread hops per update (sequential run; use with --applicants 0)",
    )
    ap.add_argument("--profile", metavar="FILE", help="cProfile the whole run into FILE")
    args = ap.parse_args()
    for path in args.experiment:
        import importlib.util

        spec = importlib.util.spec_from_file_location(Path(path).stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.install()
    acc = install_breakdown() if args.breakdown else None
    if args.count:
        install_counters()
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        result = prof.runcall(asyncio.run, main_async(args))
        prof.dump_stats(args.profile)
    else:
        result = asyncio.run(main_async(args))
    if acc is not None:
        result["breakdown"] = {
            k: {"calls": n, "wall_ms": w / n * 1000, "cpu_ms": c / n * 1000} for k, (w, c, n) in acc.items()
        }
        for k, v in result["breakdown"].items():
            print(f"{k:28s} calls {v['calls']:6d}  wall {v['wall_ms']:7.3f} ms  main-thread cpu {v['cpu_ms']:7.3f} ms")
    emit(result)


if __name__ == "__main__":
    main()
