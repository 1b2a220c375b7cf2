"""Hostile uploads through the real Dispatcher: others are served meanwhile, sizes are not trusted,
quotas hold, and cleared files leave the blob store."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.models import Blob, BlobRef
from tests import factories as f
from tests import hostile
from tests.bot.test_applicant import drive
from tests.scripts import ELIGIBILITY, FORM, MATERIALS, SUBMIT, jpeg

AT_UPLOAD = ELIGIBILITY + FORM + MATERIALS[:1]


def album_document(file_id: str, size: int, uid: int = 111, group: str = "HOSTILE"):
    from aiogram.types import Document, Update

    doc = Document(file_id=file_id, file_unique_id=file_id, file_name=f"{file_id}.pdf", file_size=size)
    return Update(update_id=next(f._ids), message=f.message(None, uid, document=doc, media_group_id=group))


def got_files(tg) -> int:
    from aiogram.methods import GetFile

    return sum(isinstance(r, GetFile) for r in tg.session.requests)


async def test_another_user_is_answered_while_one_uploads_the_heaviest_corpus(tg, blobs):
    await drive(tg, AT_UPLOAD, uid=111)
    album = hostile.heaviest_album()
    for i, data in enumerate(album):
        tg.session.files[f"h{i}"] = data
    stored_when_answered: list[int] = []
    original = tg.session.make_request

    async def spy(bot, method, timeout=None):
        if getattr(method, "chat_id", None) == 222:
            stored_when_answered.append(
                sum(1 for p in blobs.root.rglob("*") if p.is_file()) if blobs.root.exists() else 0
            )
        return await original(bot, method, timeout)

    tg.session.make_request = spy
    before = got_files(tg)
    heavy = asyncio.gather(*(tg.feed(album_document(f"h{i}", len(d))) for i, d in enumerate(album)))
    for _ in range(400):  # until the whole album is downloaded and in the intake workers' hands
        await asyncio.sleep(0.02)
        if got_files(tg) - before == len(album):
            break
    await tg.feed(f.text_update("/start", uid=222))
    assert "灵活就业“一件事一次办”" in tg.session.texts(222)[-1]
    assert not heavy.done() and stored_when_answered and max(stored_when_answered) == 0  # nothing checked yet
    await heavy
    texts = "\n".join(tg.session.texts(111)[-2:])
    assert "已收到" in texts and "分辨率过大" in texts and "解压后内容过大" in texts, texts


async def test_a_file_larger_than_declared_is_cut_off_at_20_mb(tg, runner):
    await drive(tg, AT_UPLOAD)
    tg.session.files["liar"] = hostile.pdf_with_trailing_junk(21)  # 21 MB, declared as 1 KB
    await tg.feed(f.document_update("liar", "scan.pdf", size=1000))
    assert "20MB" in "\n".join(tg.session.texts(111)[-2:])
    assert not [p for p in runner.intake.spool.iterdir() if p.name.startswith("upload-")]


async def test_uploads_per_day_are_capped(tg, runner):
    runner.uploads_per_day = 3
    await drive(tg, AT_UPLOAD)
    for i in range(4):
        tg.session.files[f"q{i}"] = jpeg(["red", "green", "blue", "white"][i])
        await tg.feed(f.photo_update(f"q{i}"))
    assert "已达上限（3个）" in "\n".join(tg.session.texts(111)[-2:])
    assert "共3个文件" in "\n".join(tg.session.texts(111)[-6:])


async def test_cleared_files_leave_the_blob_store_unless_an_application_holds_them(tg, sessionmaker, blobs):
    await drive(tg, AT_UPLOAD)
    tg.session.files["extra"] = jpeg("green")
    await tg.feed(f.photo_update("extra"))
    async with sessionmaker() as db:
        held = set(await db.scalars(select(BlobRef.sha256)))
    assert len(held) == 1 and all(blobs.exists(sha) for sha in held)
    await tg.feed(f.callback_update("m_doc|clear"))
    async with sessionmaker() as db:
        assert list(await db.scalars(select(BlobRef))) == [] and list(await db.scalars(select(Blob))) == []
    assert not any(blobs.exists(sha) for sha in held)
    # uploaded again and submitted: the application holds them, so a later clear keeps the files
    await drive(tg, MATERIALS[1:] + SUBMIT)
    async with sessionmaker() as db:
        holders = {r.holder.split(":")[0] for r in await db.scalars(select(BlobRef))}
        shas = set(await db.scalars(select(BlobRef.sha256)))
    assert holders == {"draft", "app"} and all(blobs.exists(sha) for sha in shas)
    from storage.uow import UnitOfWork

    async with UnitOfWork(sessionmaker) as uow:
        draft = next(r.holder for r in await uow.db.scalars(select(BlobRef)) if r.holder.startswith("draft:"))
        assert await uow.blob_refs.sync(draft, set()) == []  # the application still holds every file
