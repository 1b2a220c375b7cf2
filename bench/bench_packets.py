"""Department packets: PDF build time, and the outbox worker's deliveries per second (folder channel).

Accepted applications (submitted through the real runner with automatic acceptance: 3 deliveries
each) are delivered by dispatch.worker.Worker to FolderChannel directories:
  * with the real packer (form.pdf + materials.pdf + data.json per department);
  * with PDFs off (data.json only): the worker's own cost, for comparison.
PDF build: dispatch.formpdf.render_form_pdf on the FormDocument of a real application (the
window's full form), the first render in the process apart from the following ones.
By default every application has the template's answers, so their forms share one glyph set and the
worker reuses one font subset for all; --distinct gives each applicant a name of their own, so each
application's document set needs its own subset, as real applications do.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    NOW,
    Stopwatch,
    bulk_drafts,
    database,
    emit,
    services_for,
    summary_ms,
    template_draft,
    user_input,
)

GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉萍红鹏华飞鑫龚晶浩瑶琪璐"  # GB2312, as names are


def distinct_name(k: int) -> str:
    """Applicant k's own name: with --distinct each application has glyphs the others lack."""
    return "测" + GIVEN[k % len(GIVEN)] + GIVEN[(k // len(GIVEN)) % len(GIVEN)]


async def accepted_applications(services, n: int, distinct: bool = False) -> None:
    from bot.runner import Who
    from tests.scripts import FULL

    state, data = await template_draft(services.runner, FULL[:-1], 40_000_000)
    if distinct:  # one draft each, with its own name (the bank account holder's too)
        uids = []
        for k in range(n):
            own = {**data, "answers": {**data["answers"], "name": distinct_name(k), "bank_holder": distinct_name(k)}}
            uids += await bulk_drafts(services.sessionmaker, 40_000_001 + k, 1, state, own)
    else:  # every application the same answers: their forms share glyph sets, and subsets
        uids = await bulk_drafts(services.sessionmaker, 40_000_001, n, state, data)
    for uid in uids:
        await services.runner.handle(Who("telegram", str(uid), uid), user_input(*FULL[-1], uid))


async def pdf_times(services, renders: int) -> dict:
    from sqlalchemy import select

    from dialogs import departments
    from dispatch import routing
    from dispatch.formpdf import render_form_pdf
    from dispatch.packet import ALL, PacketSource, build_packet, form_document
    from storage.models import Application

    async with services.sessionmaker() as db:
        app = await db.scalar(select(Application).limit(1))
    source = PacketSource.of(app)
    doc = form_document(source, ALL, routing.all_fields(source.data), NOW)
    times = []
    for _ in range(renders + 1):
        t = time.perf_counter()
        pdf = await asyncio.to_thread(render_form_pdf, doc)
        times.append(time.perf_counter() - t)
    from dispatch import formpdf
    from dispatch import packet as packet_module
    from dispatch.packet import _material

    def _parts(materials):
        return [(m["title"], [_material(services.blobs, f) for f in m.get("files") or []]) for m in materials.values()]

    packet_times, form_times, shared_times, data_times, materials_times, reused_times = [], [], [], [], [], []
    for dept in departments.KEYS:  # one application's three packets, as the worker builds them
        t = time.perf_counter()
        packet = await asyncio.to_thread(build_packet, source, dept, services.blobs)
        packet_times.append(time.perf_counter() - t)
    for dept in departments.KEYS:  # the steps apart, each with an empty subset cache
        formpdf._SubsetCache._done.clear()
        t = time.perf_counter()
        await asyncio.to_thread(build_packet, source, dept, services.blobs, render_pdfs=False)
        data_times.append(time.perf_counter() - t)
        dept_doc = form_document(source, dept, routing.fields_for(dept, source.data), NOW)
        t = time.perf_counter()
        await asyncio.to_thread(render_form_pdf, dept_doc)  # its own subsets, made now
        form_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        await asyncio.to_thread(render_form_pdf, dept_doc)  # the same glyphs again: subsets reused
        shared_times.append(time.perf_counter() - t)
        parts = [
            (m["title"], [_material(services.blobs, f) for f in m.get("files") or []])
            for m in routing.materials_for(dept, source.data).values()
        ]
        if any(items for _, items in parts):
            t = time.perf_counter()
            await asyncio.to_thread(formpdf.materials_pdf, parts, [])
            materials_times.append(time.perf_counter() - t)
            if hasattr(formpdf, "photo_set"):  # the application's photos already rendered (i15w)
                everything = routing.all_materials(source.data)
                photos = formpdf.photo_set(packet_module._photo_key(everything), lambda e=everything: _parts(e))
                t = time.perf_counter()
                await asyncio.to_thread(formpdf.materials_pdf, parts, [], photos)
                reused_times.append(time.perf_counter() - t)
    mean = lambda xs: sum(xs) / len(xs) * 1000 if xs else 0.0  # noqa: E731
    steps = {
        "form_ms": mean(form_times),
        "form_reused_ms": mean(shared_times),
        "data_ms": mean(data_times),
        "materials_ms": mean(materials_times),
    }
    if reused_times:
        steps["materials_reused_ms"] = mean(reused_times)
    return {
        "steps": steps,
        "form_pdf_first_s": times[0],
        "form_pdf_next": summary_ms(times[1:]),
        "form_pdf_per_s": len(times[1:]) / sum(times[1:]),
        "form_pdf_bytes": len(pdf),
        "packet": summary_ms(packet_times),
        "packet_files": {k: len(v) for k, v in packet.files.items()},
    }


async def deliveries(services, tmp: Path, limit: int, render_pdfs: bool) -> dict:
    from sqlalchemy import func, select

    from dispatch.channels import FolderChannel
    from dispatch.packet import build_packet
    from dispatch.worker import Worker
    from storage.models import Delivery

    channel = FolderChannel(tmp / ("outbox" if render_pdfs else "outbox-nopdf"))
    worker = Worker(
        services.sessionmaker,
        services.blobs,
        dict.fromkeys(services.dispatch.departments, channel),
        services.dispatch,
        packer=partial(build_packet, render_pdfs=render_pdfs),
    )
    sw = Stopwatch()
    done = 0
    while done < limit:
        got = await worker.run_once(limit=min(10, limit - done))
        if not got:
            break
        done += got
    wall, cpu = sw.stop()
    async with services.sessionmaker() as db:
        delivered = await db.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "delivered"))
    return {
        "pdfs": render_pdfs,
        "deliveries": done,
        "per_s": done / wall if wall else 0.0,
        "cpu_ms_each": cpu / max(done, 1) * 1000,
        "delivered_total": delivered,
    }


async def main_async(args) -> dict:
    logging.basicConfig(level=logging.ERROR)
    out: dict = {"scenario": "packets", "db": args.db, "distinct": args.distinct}
    if importlib.util.find_spec("dispatch.worker") is None:
        out["worker"] = "pending: dispatch worker not built yet"
    tmp = Path(tempfile.mkdtemp(prefix="bench-packets-"))
    async with database(args.db, tmp) as url:
        services = services_for(url, tmp, auto_accept=True)
        try:
            n_apps = max(1, -(-(args.deliveries + args.deliveries_nopdf) // 3))
            await accepted_applications(services, n_apps, args.distinct)
            out["pdf"] = await pdf_times(services, args.renders)
            if "worker" not in out:
                out["worker_pdf"] = await deliveries(services, tmp, args.deliveries, True)
                out["worker_nopdf"] = await deliveries(services, tmp, args.deliveries_nopdf, False)
        finally:
            await services.db_engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--renders", type=int, default=5, help="form PDFs rendered after the first")
    ap.add_argument("--deliveries", type=int, default=30, help="deliveries with PDFs")
    ap.add_argument("--deliveries-nopdf", type=int, default=150, help="deliveries without PDFs")
    ap.add_argument(
        "--distinct",
        action="store_true",
        help="each application its own applicant name (its own glyphs: one font subset made per application)",
    )
    emit(asyncio.run(main_async(ap.parse_args())))


if __name__ == "__main__":
    main()
