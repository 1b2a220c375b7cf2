"""Walk-in entry, step 2: the scans per 表1 slot, each judged by the bot's own upload step and intake."""

from __future__ import annotations

import contextlib

from aiohttp import web

from bot.web.app import DESK, render
from bot.web.walkin import dump, load_session, own_draft
from dialogs import notice
from dialogs.materials import SLOTS, required_slots
from dialogs.materials import STEPS as MATERIAL_STEPS
from dialogs.model import Session, StoreBlob, Upload, UserInput
from dialogs.steps import Again
from storage.blobrefs import shas_of
from storage.blobs import BlobStore
from storage.models import Draft
from storage.uow import UnitOfWork

UPLOADS = {"doc": "m_doc", "archive_letter": "m_letter", "id_front": "m_id_front", "id_back": "m_id_back"}
STEP_BY_NAME = {step.name: step for step in MATERIAL_STEPS}
DOC_CHOICES = (("household", "户口簿本人页"), ("contract", "有效期内劳动合同"))
ENTRUSTED = (("yes", "是"), ("no", "否"), ("unsure", "不清楚"))


def _sentence(text: str) -> str:
    return text if text.endswith(("。", "！", "？")) else text + "。"


def _materials_page(request, draft: Draft, s: Session, errors: dict, status: int = 200):
    needed = required_slots(s)
    groups = []
    for field, keys in (
        ("doc", ("household", "contract")),
        ("archive_letter", ("archive_letter",)),
        ("id_front", ("id_front",)),
        ("id_back", ("id_back",)),
    ):
        slot = SLOTS[keys[0]]
        title = "材料1：户口簿本人页或有效期内劳动合同" if field == "doc" else slot.title
        note = "按上面的选择上传户口簿本人页，或劳动合同全部页面。扫描PDF或拍照" if field == "doc" else slot.note
        limits = (
            "请上传照片（JPG、PNG）。" if slot.images_only else "可上传 PDF、JPG、PNG，单个文件不超过20MB，可多选。"
        )
        groups.append(
            {
                "field": field,
                "title": title,
                "hint": _sentence(note) + limits,
                "multi": slot.multi,
                "images_only": slot.images_only,
                "files": [(k, SLOTS[k].title, f) for k in keys for f in s.materials.get(k) or []],
                "needed": any(k in needed for k in keys),
                "error": next((errors[k] for k in keys if k in errors), None),
            }
        )
    return render(
        request,
        "walkin_materials.html",
        {
            "draft": draft,
            "answers": s.answers,
            "groups": groups,
            "errors": errors,
            "doc_choices": DOC_CHOICES,
            "entrusted": ENTRUSTED,
            "letter_sample": notice.LETTER_SAMPLE,
        },
        status=status,
    )


async def materials_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        draft, problem = await own_draft(uow, request)
        if problem:
            return problem
    return _materials_page(request, draft, load_session(draft), {})


async def _take_uploads(form, s: Session, desk, uow) -> dict[str, str]:
    """Each file through the bot's own upload step (dialogs.materials), so the same intake judges it."""
    errors: dict[str, str] = {}
    now = desk.now()
    for field, step_name in UPLOADS.items():
        ups = [f for f in form.getall("file_" + field, []) if isinstance(f, web.FileField) and f.filename]
        if not ups:
            continue
        step = STEP_BY_NAME[step_name]
        files = []
        for f in ups:  # judged in the intake workers (memory and time capped), like the bot's uploads
            up = Upload(data=f.file.read(), filename=f.filename)
            files.append(Upload(filename=f.filename, checked=await desk.intake.check(up)))
        outcome = step.accept(s, UserInput(kind="upload", now=now, files=files))
        slot = step.slot(s)
        s.materials.update(outcome.materials)  # a step returns the slot's new file list, never writes it
        if isinstance(outcome, Again):
            errors[slot.key] = outcome.message
            continue
        notes = [r.text for r in getattr(outcome, "notes", None) or getattr(outcome, "replies", None) or []]
        rejected = [
            line
            for text in notes
            for line in text.splitlines()
            if "未被接收" in line or "上传过" in line or "照片（JPG" in line
        ]
        if rejected:
            errors[slot.key] = "；".join(rejected)
        for intent in outcome.intents:
            await _store(desk.blobs, uow, intent)
    return errors


async def _store(blobs: BlobStore, uow, intent) -> None:
    if isinstance(intent, StoreBlob):
        sha = blobs.put(intent.blob)
        await uow.blobs.record(sha, intent.blob_kind, intent.mime, len(intent.blob), intent.pages)


async def save_materials(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    form = await request.post()
    async with UnitOfWork(desk.sessionmaker) as uow:
        draft, problem = await own_draft(uow, request)
        if problem:
            return problem
        s = load_session(draft)
        errors: dict[str, str] = {}
        for key, options, message in (
            ("doc_choice", DOC_CHOICES, "请选择上传“户口簿本人页”或“有效期内劳动合同”。"),
            ("archive_entrusted", ENTRUSTED, "请选择档案是否为原单位集体委托存放（是、否或不清楚）。"),
        ):
            value = str(form.get(key, ""))
            if value in dict(options):
                s.answers[key] = value
            else:
                errors[key] = message
        for item in form.getall("remove", []):
            slot, _, sha = str(item).partition(":")
            s.materials[slot] = [f for f in s.materials.get(slot) or [] if f["sha256"] != sha]
        if not errors:
            errors.update(await _take_uploads(form, s, desk, uow))
        missing = {k: f"请上传：{SLOTS[k].title}" for k in required_slots(s) if not s.materials.get(k)}
        data = dump(s)
        orphans = await uow.blob_refs.sync(f"draft:{draft.id}", shas_of(data))  # the draft holds its files
        await uow.drafts.save(draft, "desk_materials" if errors or missing else "desk_review", data, draft.epoch)
    for sha in orphans:  # removed files nobody else holds, after the commit that let them go
        with contextlib.suppress(OSError):
            desk.blobs.delete(sha)
    if errors or (missing and form.get("go") == "review"):
        return _materials_page(request, draft, s, missing | errors, 422)
    if form.get("go") != "review":
        return _materials_page(request, draft, s, {})
    raise web.HTTPSeeOther(f"/desk/walkin/{draft.id}/review")


def routes(router: web.UrlDispatcher) -> None:
    router.add_get(r"/walkin/{draft:\d+}/materials", materials_page)
    router.add_post(r"/walkin/{draft:\d+}/materials", save_materials)
