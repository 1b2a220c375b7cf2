"""The intake workers against a hostile corpus: each file refused or neutralised within the workers' limits."""

from __future__ import annotations

import os
import time
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from bot.intake import IntakeLimits, IntakePool, check_file
from dialogs.model import Upload
from dialogs.pdfclean import ACTIVE_KEYS
from tests import hostile

REFUSED = {
    "png declaring 100000×100000": (lambda: hostile.png_declaring(100_000, 100_000), "分辨率过大"),
    "jpeg declaring 65000×65000": (lambda: hostile.jpeg_declaring(65_000, 65_000), "分辨率过大"),
    "png bomb 6300×6300 RGBA": (hostile.png_bomb, "分辨率过大"),
    "webp bomb 16383×2441": (hostile.webp_bomb, "分辨率过大"),
    "pdf nesting 5000 arrays": (hostile.pdf_nested_arrays, "嵌套过深"),
    "pdf cyclic page tree": (hostile.pdf_cyclic_pages, "损坏"),
    "pdf deflate bomb 256 MB": (lambda: hostile.pdf_deflate_bomb(256), "解压后内容过大"),
    "pdf flate in flate bomb": (lambda: hostile.pdf_nested_flate(256), "解压后内容过大"),
    "pdf 10000 pages": (hostile.pdf_many_pages, "10000 页"),
    "zip named .pdf": (lambda: b"PK\x03\x04" + b"%PDF-1.7" + os.urandom(500), "压缩包"),
}


def within_limits(checked, limits: IntakeLimits) -> None:
    """Whatever the file, the worker stayed inside the bounds its limits set."""
    assert checked.peak_kb * 1024 <= limits.memory_mb << 20
    assert checked.seconds <= limits.seconds


@pytest.mark.parametrize("name", REFUSED)
async def test_hostile_file_is_refused_inside_the_limits(intake_pool, name):
    build, words = REFUSED[name]
    checked = await intake_pool.check(Upload(data=build()))
    assert not checked.ok and words in checked.reason, checked.reason
    assert checked.data is None
    within_limits(checked, intake_pool.limits)


def active_names(data: bytes) -> set[str]:
    found = set()
    with pikepdf.open(BytesIO(data)) as pdf:
        for obj in pdf.objects:
            stack = [obj]
            while stack:
                o = stack.pop()
                if isinstance(o, (pikepdf.Dictionary, pikepdf.Stream)):
                    found |= {k for k in o.keys() if k in ACTIVE_KEYS}  # noqa: SIM118 - a pikepdf object
                    for k in o.keys():  # noqa: SIM118
                        v = o.get(k)
                        if k in ("/S", "/Subtype") and str(v) in (
                            "/JavaScript",
                            "/Launch",
                            "/URI",
                            "/SubmitForm",
                            "/FileAttachment",
                            "/EmbeddedFile",
                        ):
                            found.add(str(v))
                        if isinstance(v, (pikepdf.Dictionary, pikepdf.Array)) and not v.is_indirect:
                            stack.append(v)
                elif isinstance(o, pikepdf.Array):
                    stack.extend(
                        v for v in o if isinstance(v, (pikepdf.Dictionary, pikepdf.Array)) and not v.is_indirect
                    )
    return found


async def test_active_pdf_is_neutralised(intake_pool):
    data = hostile.pdf_javascript()
    assert {"/OpenAction", "/AA", "/JavaScript", "/Launch", "/EmbeddedFiles", "/XFA"} <= active_names(data)
    checked = await intake_pool.check(Upload(data=data))
    assert checked.ok and checked.kind == "pdf" and checked.pages == 1
    assert active_names(checked.data) == set()
    plain = BytesIO()
    with pikepdf.open(BytesIO(checked.data)) as pdf:
        pdf.save(
            plain,
            qdf=True,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
        )
        content = pdf.pages[0].Contents.read_bytes()
        everything = b"".join(o.read_bytes() for o in pdf.objects if isinstance(o, pikepdf.Stream))
    assert b"EVILEXECUTABLE" not in plain.getvalue() + everything and b"evil()" not in everything
    assert b"(hello)" in content  # the page itself survives
    within_limits(checked, intake_pool.limits)


@pytest.mark.parametrize(
    "build",
    [hostile.pdf_zip_polyglot, lambda: hostile.pdf_with_trailing_junk(19)],
    ids=["pdf+zip polyglot", "19 MB of junk after %%EOF"],
)
async def test_data_after_eof_is_dropped(intake_pool, build):
    data = build()
    checked = await intake_pool.check(Upload(data=data))
    assert checked.ok and checked.pages == 1
    assert checked.size < 4096 < len(data) and b"ZIPPAYLOAD" not in checked.data
    within_limits(checked, intake_pool.limits)


async def test_jpeg_polyglot_and_heavy_jpeg_are_reencoded(intake_pool):
    poly = await intake_pool.check(Upload(data=hostile.jpeg_zip_polyglot()))
    assert poly.ok and b"ZIPPAYLOAD" not in poly.data and poly.data.startswith(b"\xff\xd8")
    heavy = await intake_pool.check(Upload(data=hostile.jpeg_noise()))
    assert heavy.ok and max(heavy.width, heavy.height) == 2400
    assert Image.open(BytesIO(heavy.data)).size == (heavy.width, heavy.height)
    within_limits(heavy, intake_pool.limits)


def test_large_jpeg_is_decoded_at_reduced_scale():
    """A 9600×7200 photo is drafted at 1/4 scale: 2400×1800 is all that is ever decoded."""
    out = BytesIO()
    Image.new("RGB", (9600, 7200), "white").save(out, format="JPEG")
    from PIL import ImageFile

    from dialogs import intake

    seen = []
    original = ImageFile.ImageFile.load

    def spy(im):
        seen.append(im.size)
        return original(im)

    ImageFile.ImageFile.load = spy
    try:
        checked = intake.judge(out.getvalue())
    finally:
        ImageFile.ImageFile.load = original
    assert checked.ok and (checked.width, checked.height) == (2400, 1800)
    assert seen and max(w for w, _ in seen) <= 2400  # never decoded at 9600×7200


async def test_memory_cap_stops_a_heavy_decode_and_the_worker_goes_on():
    """A cap just above an idle worker's address space: the 18 MB noise JPEG (which passes every
    declared-size check, and needs ~250 MB more to decode) is stopped by the cap itself."""
    fresh = IntakePool(IntakeLimits(workers=1))
    try:
        cap = (await fresh.run(_vm_size) >> 20) + 96
    finally:
        fresh.close()
    pool = IntakePool(IntakeLimits(workers=1, memory_mb=cap))
    try:
        heavy = await pool.check(Upload(data=hostile.jpeg_noise()))
        assert not heavy.ok and heavy.limit == "memory" and "过大" in heavy.reason
        assert (await pool.run(_rlimit_as)) == cap << 20
        small = await pool.check(Upload(data=hostile.jpeg_zip_polyglot()))
        assert small.ok
    finally:
        pool.close()


async def test_stuck_worker_is_killed_at_the_time_limit_and_replaced():
    pool = IntakePool(IntakeLimits(workers=1, seconds=1.0))
    try:
        first = await pool.run(os.getpid)
        stuck = await pool.run(time.sleep, 60)
        assert not stuck.ok and stuck.limit == "time" and "超时" in stuck.reason
        assert await pool.run(os.getpid) != first  # a fresh worker took its place
        assert (await pool.check(Upload(data=hostile.jpeg_zip_polyglot()))).ok
    finally:
        pool.close()


async def test_spooled_download_is_checked_from_disk_and_removed(intake_pool, tmp_path):
    path = tmp_path / "upload-1"
    path.write_bytes(hostile.pdf_javascript())
    checked = await intake_pool.check(Upload(path=str(path)))
    assert checked.ok and not path.exists()


def test_check_file_reports_its_cost():
    checked = check_file(hostile.jpeg_zip_polyglot())
    assert checked.ok and checked.seconds > 0 and checked.peak_kb > 0


def _vm_size() -> int:
    """This process's address space in bytes (what RLIMIT_AS counts)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize")


def _rlimit_as() -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0]
