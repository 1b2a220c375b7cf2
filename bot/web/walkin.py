"""Walk-in entry at the window: the form, the scans per 表1 slot, the review and the in-person commitment."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.web import formdef
from bot.web.app import DESK, STAFF, refuse, render
from dialogs import notice
from dialogs.materials import SLOTS, STEPS as MATERIAL_STEPS, required_slots
from dialogs.model import BEIJING, Session, Upload, UserInput
from dialogs.form import FIELDS, SECTION_NOTES, SECTIONS, applies
from dialogs.review import masked
from dialogs.steps import Again
from office import walkin
from office.staff import Role, authorize
from storage.blobs import BlobStore
from storage.models import Draft
from storage.uow import UnitOfWork

NO_RIGHT = "您没有窗口受理的权限，不能录入现场申请。"
UPLOADS = {"doc": "m_doc", "archive_letter": "m_letter", "id_front": "m_id_front", "id_back": "m_id_back"}
STEP_BY_NAME = {step.name: step for step in MATERIAL_STEPS}
DOC_CHOICES = (("household", "户口簿本人页"), ("contract", "有效期内劳动合同"))
ENTRUSTED = (("yes", "是"), ("no", "否"), ("unsure", "不清楚"))


def _session(draft: Draft) -> Session:
    return Session(state=draft.state, **{k: v for k, v in (draft.data or {}).items()
                                         if k in ("answers", "materials", "meta")})


def _data(s: Session) -> dict:
    return s.model_dump(mode="json", exclude={"state"})


async def _draft(uow, request: web.Request, action: str = "accept") -> tuple[Draft | None, web.Response | None]:
    """The walk-in draft of this URL if this staff member entered it (or is an admin)."""
    staff = request[STAFF]
    draft_id = int(request.match_info["draft"])
    if await authorize(uow, staff.telegram_id, action, None, target=f"walkin:{draft_id}") is None:
        return None, refuse(request, NO_RIGHT)
    draft = await uow.walkins.draft(draft_id)
    applicant = await uow.applicants.get(draft.applicant_id) if draft else None
    if draft is None or applicant is None or applicant.channel != walkin.CHANNEL:
        return None, refuse(request, "未找到该现场录入。", 404)
    if (draft.data or {}).get("meta", {}).get("desk_staff") != staff.id and staff.role != Role.admin:
        return None, refuse(request, "这份现场录入由其他工作人员办理，您不能修改。")
    if draft.state == "submitted" and request.method == "POST":
        ref = (draft.data or {}).get("meta", {}).get("ref")
        raise web.HTTPSeeOther(f"/desk/case/{ref}")
    return draft, None


def _form_page(request, values, errors, blocker=None, action="/desk/walkin", status=200):
    return render(request, "walkin_form.html", {
        "eligibility": formdef.eligibility_widgets(), "sections": formdef.sections(), "values": values,
        "errors": errors, "blocker": blocker, "action": action}, status=status)


async def new_form(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        if await authorize(uow, request[STAFF].telegram_id, "accept", None, target="walkin") is None:
            return refuse(request, NO_RIGHT)
    return _form_page(request, {"employment_type": "flexible"}, {})


async def save_form(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    form = await request.post()
    today = desk.now().astimezone(BEIJING).date()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    async with UnitOfWork(desk.sessionmaker) as uow:
        staff = request[STAFF]
        if "draft" in request.match_info:
            draft, problem = await _draft(uow, request)
            if problem:
                return problem
            keep = _session(draft)
        else:
            if await authorize(uow, staff.telegram_id, "accept", None, target="walkin") is None:
                return refuse(request, NO_RIGHT)
            draft, keep = None, None
        checked = formdef.check(form, today, keep)
        action = f"/desk/walkin/{draft.id}" if draft else "/desk/walkin"
        if checked.errors or checked.blocker:
            return _form_page(request, values, checked.errors, checked.blocker, action, 422)
        if draft is None:
            _, draft = await walkin.new_draft(uow)
        s = checked.session
        s.meta["desk_staff"] = staff.id
        s.answers.update({k: v for k, v in (keep.answers if keep else {}).items()
                          if k in ("doc_choice", "archive_entrusted")})
        await uow.drafts.save(draft, "desk_materials", _data(s), draft.epoch)
        uow.events.add("walkin_form_saved", f"tg:{staff.telegram_id}", {"draft": draft.id},
                           applicant_id=draft.applicant_id)
    raise web.HTTPSeeOther(f"/desk/walkin/{draft.id}/materials")


async def edit_form(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        draft, problem = await _draft(uow, request)
        if problem:
            return problem
    s = _session(draft)
    return _form_page(request, formdef.raw_values(s), {}, action=f"/desk/walkin/{draft.id}")


def _sentence(text: str) -> str:
    return text if text.endswith(("。", "！", "？")) else text + "。"


def _materials_page(request, draft: Draft, s: Session, errors: dict, status: int = 200):
    needed = required_slots(s)
    groups = []
    for field, keys in (("doc", ("household", "contract")), ("archive_letter", ("archive_letter",)),
                        ("id_front", ("id_front",)), ("id_back", ("id_back",))):
        slot = SLOTS[keys[0]]
        title = "材料1：户口簿本人页或有效期内劳动合同" if field == "doc" else slot.title
        note = "按上面的选择上传户口簿本人页，或劳动合同全部页面。扫描PDF或拍照" if field == "doc" else slot.note
        limits = "请上传照片（JPG、PNG）。" if slot.images_only else "可上传 PDF、JPG、PNG，单个文件不超过20MB，可多选。"
        groups.append({"field": field, "title": title, "hint": _sentence(note) + limits, "multi": slot.multi,
                       "images_only": slot.images_only,
                       "files": [(k, SLOTS[k].title, f) for k in keys for f in s.materials.get(k) or []],
                       "needed": any(k in needed for k in keys),
                       "error": next((errors[k] for k in keys if k in errors), None)})
    return render(request, "walkin_materials.html", {
        "draft": draft, "answers": s.answers, "groups": groups, "errors": errors, "doc_choices": DOC_CHOICES,
        "entrusted": ENTRUSTED, "letter_sample": notice.LETTER_SAMPLE}, status=status)


async def materials_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        draft, problem = await _draft(uow, request)
        if problem:
            return problem
    return _materials_page(request, draft, _session(draft), {})


async def _take_uploads(form, s: Session, desk, uow) -> dict[str, str]:
    """Each file through the bot's own upload step (dialogs.materials), so the same intake judges it."""
    errors: dict[str, str] = {}
    now = desk.now()
    for field, step_name in UPLOADS.items():
        ups = [f for f in form.getall("file_" + field, []) if isinstance(f, web.FileField) and f.filename]
        if not ups:
            continue
        step = STEP_BY_NAME[step_name]
        inp = UserInput(kind="upload", now=now, files=[Upload(data=f.file.read(), filename=f.filename) for f in ups])
        outcome = await asyncio.to_thread(step.accept, s, inp)
        slot = step.slot(s)
        if isinstance(outcome, Again):
            errors[slot.key] = outcome.message
            continue
        notes = [r.text for r in getattr(outcome, "notes", None) or getattr(outcome, "replies", [])]
        rejected = [line for text in notes for line in text.splitlines() if "未被接收" in line or "上传过" in line
                    or "照片（JPG" in line]
        if rejected:
            errors[slot.key] = "；".join(rejected)
        for intent in outcome.intents:
            await _store(desk.blobs, uow, intent)
    return errors


async def _store(blobs: BlobStore, uow, intent) -> None:
    if intent.kind == "store_blob" and intent.blob is not None:
        sha = blobs.put(intent.blob)
        await uow.blobs.record(sha, intent.data["kind"], intent.data["mime"], len(intent.blob),
                                   intent.data.get("pages", 1))


async def save_materials(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    form = await request.post()
    async with UnitOfWork(desk.sessionmaker) as uow:
        draft, problem = await _draft(uow, request)
        if problem:
            return problem
        s = _session(draft)
        errors: dict[str, str] = {}
        for key, options, message in (("doc_choice", DOC_CHOICES, "请选择上传“户口簿本人页”或“有效期内劳动合同”。"),
                                      ("archive_entrusted", ENTRUSTED, "请选择档案是否为原单位集体委托存放（是、否或不清楚）。")):
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
        await uow.drafts.save(draft, "desk_materials" if errors or missing else "desk_review", _data(s),
                                  draft.epoch)
    if errors or (missing and form.get("go") == "review"):
        return _materials_page(request, draft, s, missing | errors, 422)
    if form.get("go") != "review":
        return _materials_page(request, draft, s, {})
    raise web.HTTPSeeOther(f"/desk/walkin/{draft.id}/review")


async def review(request: web.Request, errors: dict | None = None, status: int = 200) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        draft, problem = await _draft(uow, request)
        if problem:
            return problem
    s = _session(draft)
    missing = [SLOTS[k].title for k in required_slots(s) if not s.materials.get(k)]
    sections = [(title + (f"（{SECTION_NOTES[title]}）" if title in SECTION_NOTES else ""),
                 [(f.label, f.required, masked(f.key, s)) for f in FIELDS if f.section == title and applies(f, s.answers)])
                for title in SECTIONS]
    files = [(SLOTS[k].title, len(s.materials.get(k) or [])) for k in required_slots(s)]
    return render(request, "walkin_review.html", {
        "draft": draft, "sections": sections, "files": files, "missing": missing, "commitment": notice.COMMITMENT,
        "errors": errors or {}, "flags": s.meta}, status=status)


CONFIRMS = {
    "notice": "请确认已向申请人一次性告知办事指南。",
    "consent": "请确认申请人已当面同意提供和使用其个人信息。",
    "commitment": "请确认申请人已当面阅读承诺并签字。",
}


async def submit(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    form = await request.post()
    missing = {k: msg for k, msg in CONFIRMS.items() if form.get(k) != "1"}
    if missing:
        return await review(request, missing, 422)
    staff = request[STAFF]
    actor = f"tg:{staff.telegram_id}"
    async with UnitOfWork(desk.sessionmaker) as uow:
        draft, problem = await _draft(uow, request)
        if problem:
            return problem
        s = _session(draft)
        if any(not s.materials.get(k) for k in required_slots(s)):
            return await review(request, {"materials": "还有材料未上传，请先上传。"}, 422)
        now = desk.now().isoformat()
        witness = {"staff_id": staff.id, "staff_account": staff.telegram_id, "window": desk.window_name}
        s.meta.update({
            "notice_version": notice.NOTICE_VERSION, "notice_ack_at": now,
            "consent": {"given_at": now, "in_person": True, "witness": witness},
            "commitment": {"accepted_at": now, "account": f"desk:{staff.telegram_id}", "text": notice.COMMITMENT,
                           "in_person": True, "witness": witness}})
        uow.events.add("notice_acknowledged", actor, {"notice_version": notice.NOTICE_VERSION, "in_person": True},
                       applicant_id=draft.applicant_id)
        result = await walkin.submit(uow, draft, s, actor, desk.now(), desk.calendar)
    if not result.ok:
        return refuse(request, result.message, 409)
    raise web.HTTPSeeOther(f"/desk/case/{result.data['ref']}?new=1")


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/walkin", new_form)
    router.add_post("/walkin", save_form)
    router.add_get(r"/walkin/{draft:\d+}", edit_form)
    router.add_post(r"/walkin/{draft:\d+}", save_form)
    router.add_get(r"/walkin/{draft:\d+}/materials", materials_page)
    router.add_post(r"/walkin/{draft:\d+}/materials", save_materials)
    router.add_get(r"/walkin/{draft:\d+}/review", review)
    router.add_post(r"/walkin/{draft:\d+}/submit", submit)
