"""Peak RSS of the assistant with many stored drafts and many conversations in progress.

Step 1 (`--load`, its own process): a migrated SQLite file with `--drafts` applicants, each with a
  half-filled draft (eligibility done, half of the form answered: a real draft's JSON).
Step 2 (`--serve`, a fresh process, the one measured): the assistant wired as in `python -m bot
  run`; `--conversations` new applicants each send `--steps` updates through the Dispatcher,
  interleaved (`--concurrency` in flight). The parent samples the child's RSS with psutil; the
  child reports its own peak (ru_maxrss) and RSS after start-up. Each conversation opens with an
  FAQ question (as many applicants do), so the FAQ index and jieba's dictionary are loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, emit, peak_rss_mb, rss_mb, services_for, sqlite_file_url


async def load(directory: Path, drafts: int) -> dict:
    from bench.common import bulk_drafts, template_draft
    from storage.migrate import upgrade
    from tests.scripts import ELIGIBILITY, FORM

    url = sqlite_file_url(directory)
    await asyncio.to_thread(upgrade, url)
    services = services_for(url, directory)
    try:
        script = ELIGIBILITY + FORM[: len(FORM) // 2]
        state, data = await template_draft(services.runner, script, 50_000_000)
        t = time.perf_counter()
        await bulk_drafts(services.sessionmaker, 50_000_001, drafts, state, data)
        loaded = time.perf_counter() - t
    finally:
        await services.db_engine.dispose()
    return {
        "drafts": drafts,
        "draft_state": state,
        "draft_json_bytes": len(json.dumps(data, ensure_ascii=False).encode()),
        "load_s": loaded,
        "db_mb": sum(p.stat().st_size for p in directory.glob("bench.db*")) / 2**20,
    }


QUESTION = "灵活就业办理需要多长时间？"


async def serve(directory: Path, conversations: int, steps: int, concurrency: int, question: bool) -> dict:
    from aiogram import Bot

    from bench.common import NOW, bench_session_class
    from bot.telegram.app import make_dispatcher
    from bot.telegram.flood import FloodGuard
    from bot.telegram.staff import make_router as staff_router
    from tests.scripts import FULL

    services = services_for(sqlite_file_url(directory), directory)
    dp = make_dispatcher(
        services.runner,
        staff_router(services.sessionmaker, services.blobs, services.calendar),
        clock=lambda: NOW,
        flood=FloodGuard("10000000/minute"),
    )  # load, not a flood
    session = bench_session_class()(keep_texts=False)
    bot = Bot("42:TEST", session=session)
    started = rss_mb()
    print("READY", flush=True)
    sem = asyncio.Semaphore(concurrency)
    from tests import factories as f

    steps_of = ([("text", QUESTION)] if question else []) + list(FULL[:steps])

    def update(uid: int, i: int):
        kind, value = steps_of[i]  # built just before it is fed: the driver keeps no state per chat
        return f.callback_update(value, uid) if kind == "choose" else f.text_update(value, uid)

    async def feed(uid: int, i: int) -> None:
        async with sem:
            await dp.feed_update(bot, update(uid, i))

    for i in range(len(steps_of)):  # one whole conversation first: lazy imports, the FAQ index, jieba
        await feed(59_999_999, i)
    warm = rss_mb()
    t = time.perf_counter()
    for i in range(len(steps_of)):  # round-robin: every conversation stays in progress until the end
        await asyncio.gather(*(feed(60_000_000 + c, i) for c in range(conversations)))
    wall = time.perf_counter() - t
    out = {
        "rss_after_startup_mb": started,
        "rss_after_first_conversation_mb": warm,
        "rss_end_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
        "conversations": conversations,
        "updates": conversations * (steps + question),
        "updates_per_s": conversations * (steps + question) / wall,
        "faq_question_first": question,
        "sent": session.count,
    }
    await services.db_engine.dispose()
    return out


def child(args: list[str]) -> tuple[dict, float]:
    """Run this script in a fresh interpreter; sample its RSS every 20 ms with psutil."""
    import psutil

    proc = subprocess.Popen(
        [sys.executable, __file__, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    ps = psutil.Process(proc.pid)
    peak = 0.0
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss / 2**20)
        except psutil.Error:
            break
        time.sleep(0.02)
    out, err = proc.communicate()
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"child failed: {err[-2000:]}")
    return json.loads(line.split(" ", 1)[1]), peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--drafts", type=int, default=100_000)
    ap.add_argument("--conversations", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=4, help="updates each conversation sends")
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument(
        "--no-question",
        action="store_true",
        help="do not open each conversation with an FAQ question (which loads jieba)",
    )
    ap.add_argument("--load", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.load:
        emit(asyncio.run(load(Path(args.load), args.drafts)))
        return
    if args.serve:
        emit(
            asyncio.run(serve(Path(args.serve), args.conversations, args.steps, args.concurrency, not args.no_question))
        )
        return
    directory = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    loaded, loader_peak = child(["--load", str(directory), "--drafts", str(args.drafts)])
    served, sampled_peak = child(
        [
            "--serve",
            str(directory),
            "--conversations",
            str(args.conversations),
            "--steps",
            str(args.steps),
            "--concurrency",
            str(args.concurrency),
            *(["--no-question"] if args.no_question else []),
        ]
    )
    emit(
        {
            "scenario": "memory",
            "load": loaded,
            "loader_peak_rss_mb": loader_peak,
            "serve": served,
            "sampled_peak_rss_mb": sampled_peak,
        }
    )


if __name__ == "__main__":
    main()
