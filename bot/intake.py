"""Checks uploads in a small pool of worker processes, each with a memory cap and a time limit per file."""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import multiprocessing
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pebble

from dialogs.intake import MAX_UPLOAD_BYTES, TOO_HEAVY, TOO_SLOW, judge
from dialogs.model import Checked, Upload

PACKET = "该 PDF 无法合并到材料包中（结构异常）。请用扫描软件重新导出为 PDF，或直接拍照发送。"
BUSY = "文件暂时无法检查，请稍后重新发送；已上传的材料不会丢失。"
TOO_BIG = "文件超过20MB，无法接收。请压缩或分页拍照后重新发送。"


@dataclass(frozen=True)
class IntakeLimits:
    workers: int = 2
    memory_mb: int = 1024  # address space (RLIMIT_AS) of each worker, libraries included
    seconds: float = 20.0  # per file, from the moment a worker takes it


def _init_worker(memory_bytes: int) -> None:
    from PIL import Image

    from dialogs.intake import MAX_JPEG_PIXELS

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS // 2  # Pillow's own guard stays above ours: we refuse first


def check_file(source: str | bytes) -> Checked:
    """Runs inside a worker: judge the file, then build what the packet builder will build from it."""
    started = time.process_time()
    data = Path(source).read_bytes() if isinstance(source, str) else source
    checked = judge(data[: MAX_UPLOAD_BYTES + 1])
    if checked.ok and checked.kind == "pdf":
        checked = _exercise_packet(checked)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return checked.model_copy(update={"seconds": time.process_time() - started, "peak_kb": peak})


def _exercise_packet(checked: Checked) -> Checked:
    from dispatch.formpdf import materials_pdf

    unreadable: list[str] = []
    try:
        materials_pdf([("probe", [("pdf", checked.data)])], unreadable)
    except MemoryError:
        return Checked(ok=False, reason=TOO_HEAVY, limit="memory")
    except Exception:  # noqa: BLE001 - whatever breaks the packet is refused here, not at dispatch
        return Checked(ok=False, reason=PACKET)
    return Checked(ok=False, reason=PACKET) if unreadable else checked


class IntakePool:
    """A pebble process pool: a worker that overruns its time is killed and replaced."""

    def __init__(self, limits: IntakeLimits = IntakeLimits(), spool: Path | None = None) -> None:
        self.limits = limits
        self.spool = Path(spool) if spool else Path(tempfile.gettempdir()) / "flexjob-spool"
        self._pool: pebble.ProcessPool | None = None

    def _started(self) -> pebble.ProcessPool:
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["dialogs.intake", "dispatch.formpdf", "bot.intake"])
            self._pool = pebble.ProcessPool(
                max_workers=self.limits.workers,
                initializer=_init_worker,
                initargs=(self.limits.memory_mb << 20,),
                context=ctx,
            )
        return self._pool

    async def run(self, function, *args) -> Checked:
        future = self._started().schedule(function, args=args, timeout=self.limits.seconds)
        try:
            return await asyncio.wrap_future(future)
        except concurrent.futures.TimeoutError:
            return Checked(ok=False, reason=TOO_SLOW, limit="time")
        except (pebble.ProcessExpired, MemoryError):  # killed (e.g. by the kernel) or out of memory
            return Checked(ok=False, reason=TOO_HEAVY, limit="memory")
        except concurrent.futures.process.BrokenProcessPool:  # workers cannot start: start afresh next time
            self.close()
            return Checked(ok=False, reason=BUSY)

    async def check(self, upload: Upload) -> Checked:
        if upload.checked is not None:
            return upload.checked
        source = upload.path if upload.path is not None else upload.data
        if source is None:
            return Checked(ok=False, reason=TOO_BIG, limit="size")
        try:
            return await self.run(check_file, source)
        finally:
            if upload.path is not None:
                Path(upload.path).unlink(missing_ok=True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None
