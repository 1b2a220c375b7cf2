"""Submissions per second: the runner's submit step (application row, events, outbox rows) committed.

N applicants wait at the commitment step (one applicant driven through the real runner, its draft
copied N times); then each presses 「我承诺」 through `Runner.handle`, `--concurrency` at a time.
  * submit: the application + its events + the window's notice (a notification outbox row);
  * submit+accept: the same with automatic acceptance in the same transaction (dispatch/window.accept:
    3 department cases + 3 delivery outbox rows + the applicant's notice).
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

from bench.common import (
    Stopwatch,
    bulk_drafts,
    database,
    emit,
    services_for,
    summary_ms,
    template_draft,
    user_input,
)


async def submissions(url: str, tmp: Path, n: int, concurrency: int, accept: bool) -> dict:
    from sqlalchemy import func, select

    from bot.runner import Who
    from storage.models import Application, Delivery, DepartmentCase, Notification
    from tests.scripts import FULL

    services = services_for(url, tmp, auto_accept=accept, window_chat_id=900)
    try:
        base = 30_000_000 if accept else 20_000_000
        state, data = await template_draft(services.runner, FULL[:-1], base)
        uids = await bulk_drafts(services.sessionmaker, base + 1, n, state, data)
        last = FULL[-1]
        sem = asyncio.Semaphore(concurrency)
        lat: list[float] = []

        errors: dict[str, int] = {}

        async def submit(uid: int) -> None:
            async with sem:
                t = time.perf_counter()
                try:
                    replies = await services.runner.handle(Who("telegram", str(uid), uid), user_input(*last, uid))
                except Exception as e:  # noqa: BLE001 - counted and reported: Telegram would say 系统繁忙
                    key = f"{type(e).__name__}: {str(e).splitlines()[0][:100]}"
                    errors[key] = errors.get(key, 0) + 1
                    return
                lat.append(time.perf_counter() - t)
                if not any("提交成功" in r.text for r in replies):
                    errors["no confirmation"] = errors.get("no confirmation", 0) + 1

        sw = Stopwatch()
        await asyncio.gather(*(submit(u) for u in uids))
        wall, cpu = sw.stop()
        async with services.sessionmaker() as db:
            counts = {
                m.__tablename__: await db.scalar(select(func.count()).select_from(m))
                for m in (Application, DepartmentCase, Delivery, Notification)
            }
        ok = len(lat)
        return {
            "kind": "submit+accept" if accept else "submit",
            "n": n,
            "ok": ok,
            "errors": errors,
            "concurrency": concurrency,
            "per_s": ok / wall,
            "wall_s": wall,
            "cpu_ms_each": cpu / n * 1000,
            "latency": summary_ms(lat),
            "rows": counts,
        }
    finally:
        await services.db_engine.dispose()


async def main_async(args) -> dict:
    logging.basicConfig(level=logging.ERROR)
    out = {"scenario": "submit", "db": args.db, "runs": []}
    for accept in (False, True):
        tmp = Path(tempfile.mkdtemp(prefix="bench-submit-"))
        async with database(args.db, tmp) as url:
            out["runs"].append(await submissions(url, tmp, args.n, args.concurrency, accept))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=50)
    emit(asyncio.run(main_async(ap.parse_args())))


if __name__ == "__main__":
    main()
