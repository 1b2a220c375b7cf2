"""Intake under hostile input: time and peak memory per file kind (beside an idle worker's floor), and the
latency another user's /start sees while one user uploads the heaviest album (beside the idle floor,
and beside the old way: the same checks run on the event loop).

    .venv/bin/python bench/bench_intake.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, machine, summary_ms


def _idle_peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def corpus() -> dict[str, bytes]:
    from io import BytesIO

    from PIL import Image

    from tests import hostile

    phone = BytesIO()
    Image.new("RGB", (1600, 1200), "white").save(phone, format="JPEG", quality=85)
    return {
        "phone photo 1600×1200 (floor file)": phone.getvalue(),
        "noise JPEG 4400×3600 (18 MB)": hostile.jpeg_noise(),
        "JPEG declaring 65000×65000": hostile.jpeg_declaring(65_000, 65_000),
        "PNG bomb 6300×6300 RGBA": hostile.png_bomb(),
        "WebP bomb 16383×2441": hostile.webp_bomb(),
        "PDF with JS/Launch/embedded exe": hostile.pdf_javascript(),
        "PDF deflate bomb (512 MB)": hostile.pdf_deflate_bomb(512),
        "PDF flate-in-flate bomb (256 MB)": hostile.pdf_nested_flate(256),
        "PDF nesting 5000 arrays": hostile.pdf_nested_arrays(),
        "PDF 10000 pages": hostile.pdf_many_pages(),
        "PDF + 19 MB junk after %%EOF": hostile.pdf_with_trailing_junk(19),
    }


async def per_kind(files: dict[str, bytes]) -> list[dict]:
    """Each file in a fresh one-worker pool, so the worker's peak is that file's (the floor: idle)."""
    from bot.intake import IntakeLimits, IntakePool
    from dialogs.model import Upload

    rows = []
    for name, data in files.items():
        pool = IntakePool(IntakeLimits(workers=1))
        try:
            idle_kb = await pool.run(_idle_peak_kb)
            t = time.perf_counter()
            checked = await pool.check(Upload(data=data))
            wall = time.perf_counter() - t
        finally:
            pool.close()
        rows.append(
            {
                "file": name,
                "bytes": len(data),
                "verdict": "accepted" if checked.ok else f"refused ({checked.limit or 'content'})",
                "wall_ms": round(wall * 1000, 1),
                "worker_cpu_ms": round(checked.seconds * 1000, 1),
                "worker_peak_mb": round(checked.peak_kb / 1024, 1),
                "idle_worker_mb": round(idle_kb / 1024, 1),
                "cap_mb": IntakeLimits().memory_mb,
                "time_limit_s": IntakeLimits().seconds,
            }
        )
    return rows


class InLoop:
    """The old way, for comparison only: the same checks, synchronously on the event loop."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool

    async def check(self, upload):
        from bot.intake import check_file

        source = upload.path if upload.path is not None else upload.data
        try:
            return check_file(source)
        finally:
            if upload.path:
                Path(upload.path).unlink(missing_ok=True)


async def latency(intake_kind: str, rounds: int, album: list[bytes]) -> dict:
    from aiogram import Bot

    from bot.intake import IntakePool
    from bot.runner import Runner
    from bot.telegram.app import make_dispatcher
    from bot.telegram.flood import FloodGuard
    from dialogs.engine import Engine
    from dialogs.faq import FaqIndex, load_bank
    from dialogs.workdays import WorkCalendar
    from storage.blobs import BlobStore
    from storage.db import make_engine, make_sessionmaker
    from storage.migrate import upgrade
    from tests import factories as f
    from tests.bot.recording import RecordingSession
    from tests.bot.test_hostile_uploads import album_document
    from tests.conftest import NOW
    from tests.scripts import ELIGIBILITY, FORM, MATERIALS

    tmp = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)
    db = make_engine(url)
    intake = IntakePool(spool=tmp / "spool") if intake_kind == "pool" else InLoop(tmp / "spool")
    runner = Runner(
        Engine(faq=FaqIndex(load_bank())),
        make_sessionmaker(db),
        BlobStore(tmp / "blobs"),
        WorkCalendar.load(),
        clock=lambda: NOW,
        intake=intake,
    )
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    dp = make_dispatcher(runner, clock=lambda: NOW, flood=FloodGuard("1000000/minute"))
    try:
        for kind, value in ELIGIBILITY + FORM + MATERIALS[:1]:
            update = f.callback_update(value, 111) if kind == "choose" else f.text_update(value, 111)
            await dp.feed_update(bot, update)
        if intake_kind == "pool":  # warm the workers, as a running bot has them
            await intake.run(_idle_peak_kb)

        loop = asyncio.get_running_loop()

        async def start(sent: float) -> float:
            """Latency from when the update 'arrived' (by the wall clock) to the reply recorded."""
            await dp.feed_update(bot, f.text_update("/start", uid=222))
            return time.perf_counter() - sent

        def arrivals(stop: threading.Event, out: list) -> None:
            """Updates arrive on their own schedule (a thread, as the network would), every 100 ms."""
            while not stop.is_set():
                out.append(asyncio.run_coroutine_threadsafe(start(time.perf_counter()), loop))
                stop.wait(0.1)

        async def sample(during_upload) -> list[float]:
            stop, futures = threading.Event(), []
            thread = threading.Thread(target=arrivals, args=(stop, futures))
            thread.start()
            await during_upload()
            stop.set()
            await asyncio.to_thread(thread.join)
            return [await asyncio.wrap_future(fut) for fut in futures]

        idle = await sample(lambda: asyncio.sleep(rounds * 0.1))
        for i, data in enumerate(album):
            session.files[f"h{i}"] = data
        t0 = time.perf_counter()

        async def upload() -> None:
            await asyncio.gather(*(dp.feed_update(bot, album_document(f"h{i}", len(d))) for i, d in enumerate(album)))

        during = await sample(upload)
        upload_s = time.perf_counter() - t0
    finally:
        if isinstance(intake, IntakePool):
            intake.close()
        await db.dispose()
    return {
        "intake": intake_kind,
        "idle": summary_ms(idle),
        "during_upload": summary_ms(during),
        "upload_s": round(upload_s, 2),
    }


async def main(rounds: int) -> None:
    from tests import hostile

    files = corpus()
    kinds = await per_kind(files)
    print(
        f"{'file':36} {'bytes':>10} {'verdict':>20} {'wall ms':>9} {'cpu ms':>8} {'peak MB':>8} "
        f"{'idle MB':>8}  (cap {kinds[0]['cap_mb']} MB, {kinds[0]['time_limit_s']} s)"
    )
    for r in kinds:
        print(
            f"{r['file']:36} {r['bytes']:>10} {r['verdict']:>20} {r['wall_ms']:>9} {r['worker_cpu_ms']:>8} "
            f"{r['worker_peak_mb']:>8} {r['idle_worker_mb']:>8}"
        )
    album = hostile.heaviest_album()
    lat = [await latency("pool", rounds, album), await latency("in_loop", rounds, album)]
    print("\nanother user's /start while one user uploads the 10-file hostile album")
    print(
        f"{'intake':10} {'idle p50':>9} {'idle max':>9} {'during p50':>11} {'during max':>11} {'n':>4} {'upload s':>9}"
    )
    for r in lat:
        print(
            f"{r['intake']:10} {r['idle']['p50_ms']:>9.1f} {r['idle']['max_ms']:>9.1f} "
            f"{r['during_upload']['p50_ms']:>11.1f} {r['during_upload']['max_ms']:>11.1f} "
            f"{r['during_upload']['n']:>4} {r['upload_s']:>9}"
        )
    emit({"scenario": "intake", "machine": machine(), "per_kind": kinds, "latency": lat, "cpus": os.cpu_count()})


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
