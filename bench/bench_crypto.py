"""Cost of encryption at rest: per update, per upload, and key rotation, side by side with no encryption.

The floor runs the same code with a ring whose `seal` writes the plaintext (the column types then
read it back as a pre-0004 plain value) and a blob store that writes uploads as they are; so the
difference is AES-GCM, the base64 token, the data-key wrap and the HMAC name, nothing else.

    .venv/bin/python bench/bench_crypto.py [--applicants 10] [--rounds 3] [--files 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import NOW, machine  # noqa: E402
from bot.runner import Runner, Who  # noqa: E402
from dialogs.engine import Engine  # noqa: E402
from dialogs.workdays import WorkCalendar  # noqa: E402
from storage import rotation  # noqa: E402
from storage.blobs import BlobStore  # noqa: E402
from storage.db import make_engine, make_sessionmaker  # noqa: E402
from storage.keyring import KeyRing  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.scripts import FULL, as_input  # noqa: E402


class PlainRing(KeyRing):
    """The floor: same interfaces, no encryption."""

    def seal(self, plain: bytes, aad: bytes) -> str:
        return plain.decode()


class TimedRing(KeyRing):
    """The real ring, timing itself: the time inside AES-GCM and the token per update."""

    spent = 0.0
    calls = 0

    def seal(self, plain: bytes, aad: bytes) -> str:
        t = time.perf_counter()
        try:
            return super().seal(plain, aad)
        finally:
            TimedRing.spent += time.perf_counter() - t
            TimedRing.calls += 1

    def open(self, token: str, aad: bytes) -> bytes:
        t = time.perf_counter()
        try:
            return super().open(token, aad)
        finally:
            TimedRing.spent += time.perf_counter() - t
            TimedRing.calls += 1


class PlainBlobs(BlobStore):
    def _seal(self, name: str, data: bytes) -> bytes:
        return data

    def get(self, ref: str) -> bytes:
        return self.path(ref).read_bytes()


async def updates(ring: KeyRing, blobs_cls, directory: Path, applicants: int, engine: Engine) -> list[float]:
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    upgrade(url)
    eng = make_engine(url, ring)
    runner = Runner(
        engine, make_sessionmaker(eng), blobs_cls(directory / "blobs", ring), WorkCalendar.load(), clock=lambda: NOW
    )
    times: list[float] = []
    for uid in range(applicants):
        for kind, value in FULL:
            t = time.perf_counter()
            await runner.handle(Who("telegram", str(uid), uid), as_input(kind, value, NOW))
            times.append(time.perf_counter() - t)
    await eng.dispose()
    return times


def uploads(store: BlobStore, photos: list[bytes]) -> tuple[float, float]:
    t = time.perf_counter()
    refs = [store.put(p) for p in photos]
    put = (time.perf_counter() - t) / len(photos)
    t = time.perf_counter()
    for r in refs:
        store.get(r)
    return put, (time.perf_counter() - t) / len(photos)


async def rotate(directory: Path, rows: int, files: int) -> dict:
    ring = KeyRing.ephemeral()
    url = f"sqlite+aiosqlite:///{directory / 'rot.db'}"
    upgrade(url)
    eng = make_engine(url, ring)
    sm = make_sessionmaker(eng)
    from sqlalchemy import insert

    from storage.models import Notification

    async with sm() as db, db.begin():
        await db.execute(
            insert(Notification),
            [
                {
                    "channel": "telegram",
                    "chat_id": str(i),
                    "status": "sent",
                    "body": {"kind": "x", "text": "您好" * 40},
                    "attempts": 1,
                }
                for i in range(rows)
            ],
        )
    store = BlobStore(directory / "rblobs", ring)
    for i in range(files):
        store.put(f"photo {i}".encode() * 2000)
    fresh = ring.with_new_key()
    ring._set(fresh.keys, fresh.current, fresh.index_key, fresh.name_key)  # what a reloaded key file does
    t = time.perf_counter()
    done = await rotation.rotate(sm, store, batch=500)
    took = time.perf_counter() - t
    await eng.dispose()
    return {"rows": done.rows, "files": done.files, "seconds": round(took, 2)}


def photo() -> bytes:
    """A phone-camera-like JPEG (noise does not compress: ~1 MB at 1280×960)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.effect_noise((1280, 960), 64).convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


def ms(values: list[float]) -> dict:
    return {"mean_ms": round(statistics.fmean(values) * 1000, 3), "p50_ms": round(statistics.median(values) * 1000, 3)}


async def main_async(args) -> dict:
    engine = Engine()
    out: dict = {"machine": machine(), "applicants": args.applicants}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floor: list[float] = []
        sealed: list[float] = []
        for r in range(args.rounds):  # interleaved, so load on the machine hits both alike
            for name, ring, store, into in (
                ("p", PlainRing.ephemeral(), PlainBlobs, floor),
                ("e", TimedRing.ephemeral(), BlobStore, sealed),
            ):
                (tmp / f"{name}{r}").mkdir()
                into += await updates(ring, store, tmp / f"{name}{r}", args.applicants, engine)
        out["update_plain"], out["update_encrypted"] = ms(floor), ms(sealed)
        out["update_overhead_pct"] = {
            "p50": round((statistics.median(sealed) / statistics.median(floor) - 1) * 100, 1),
            "mean": round((statistics.fmean(sealed) / statistics.fmean(floor) - 1) * 100, 1),
        }
        out["inside_crypto_per_update"] = {
            "ms": round(TimedRing.spent / len(sealed) * 1000, 4),
            "calls": round(TimedRing.calls / len(sealed), 2),
            "pct_of_update": round(TimedRing.spent / sum(sealed) * 100, 2),
        }
        base = photo()
        photos = [base + p.to_bytes(4, "big") for p in range(args.files)]  # distinct content, no dedup
        out["photo_bytes"] = len(photos[0])
        pp, pg = uploads(PlainBlobs(tmp / "pb"), photos)
        ep, eg = uploads(BlobStore(tmp / "eb"), photos)
        out["upload_put_ms"] = {"plain": round(pp * 1000, 3), "encrypted": round(ep * 1000, 3)}
        out["upload_get_ms"] = {"plain": round(pg * 1000, 3), "encrypted": round(eg * 1000, 3)}
        ring = KeyRing.ephemeral()
        draft = json.dumps({"answers": {f"k{i}": "张𫖮 建设北大街12号" for i in range(30)}}).encode()
        t = time.perf_counter()
        for _ in range(2000):
            ring.open(ring.seal(draft, b"drafts.data"), b"drafts.data")
        out["seal_open_draft_us"] = {"bytes": len(draft), "us": round((time.perf_counter() - t) / 2000 * 1e6, 1)}
        out["rotation"] = await rotate(tmp, args.rows, args.rot_files)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--applicants", type=int, default=10)
    p.add_argument("--files", type=int, default=60)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--rot-files", type=int, default=500)
    print(json.dumps(asyncio.run(main_async(p.parse_args())), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
