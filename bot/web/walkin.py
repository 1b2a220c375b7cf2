"""Walk-in entry at the window: the form (step 1), the review and the in-person commitment (step 3)."""

from __future__ import annotations

from aiohttp import web

from bot.web import formdef
from bot.web.app import DESK, STAFF, refuse, render
from dialogs import notice, privacy
from dialogs.clock import local_day
from dialogs.form import FIELDS, SECTION_NOTES, SECTIONS, applies
from dialogs.materials import SLOTS, required_slots
from dialogs.model import Commitment, Session
from dialogs.review import masked
from office import walkin
from office.staff import Role, authorize
from storage.models import Draft
from storage.uow import UnitOfWork

NO_RIGHT = "您没有窗口受理的权限，不能录入现场申请。"


def load_session(draft: Draft) -> Session:
    return Session(
        state=draft.state, **{k: v for k, v in (draft.data or {}).items() if k in ("answers", "materials", "meta")}
    )


def dump(s: Session) -> dict:
    return s.model_dump(mode="json", exclude={"state"})


async def own_draft(uow, request: web.Request, action: str = "accept") -> tuple[Draft | None, web.Response | None]:
    """The walk-in draft of this URL if this staff member entered it (or is an admin)."""
    staff = request[STAFF]
    draft_id = int(request.match_info["draft"])
    if await authorize(uow, staff.telegram_id, action, None, target=f"walkin:{draft_id}") is None:
        return None, refuse(request, NO_RIGHT)
    draft = await uow.walkins.draft(draft_id)
    applicant = await uow.applicants.get(draft.applicant_id) if draft else None
    if draft is None or applicant is None or applicant.channel != walkin.CHANNEL:
        return None, refuse(request, "未找到该现场录入。", 404)
    if walkin.owner_of(applicant) != staff.id and staff.role != Role.admin:
        return None, refuse(request, "这份现场录入由其他工作人员办理，您不能修改。")
    if draft.state == "submitted" and request.method == "POST":
        ref = load_session(draft).meta.ref
        raise web.HTTPSeeOther(f"/desk/case/{ref}")
    return draft, None


def _form_page(request, values, errors, blocker=None, action="/desk/walkin", status=200):
    return render(
        request,
        "walkin_form.html",
        {
            "eligibility": formdef.eligibility_widgets(),
            "sections": formdef.sections(),
            "values": values,
            "errors": errors,
            "blocker": blocker,
            "action": action,
        },
        status=status,
    )


async def new_form(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        if await authorize(uow, request[STAFF].telegram_id, "accept", None, target="walkin") is None:
            return refuse(request, NO_RIGHT)
    return _form_page(request, {"employment_type": "flexible"}, {})


async def save_form(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    form = await request.post()
    today = local_day(desk.now())
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    async with UnitOfWork(desk.sessionmaker) as uow:
        staff = request[STAFF]
        if "draft" in request.match_info:
            draft, problem = await own_draft(uow, request)
            if problem:
                return problem
            keep = load_session(draft)
        else:
            if await authorize(uow, staff.telegram_id, "accept", None, target="walkin") is None:
                return refuse(request, NO_RIGHT)
            draft, keep = None, None
        checked = formdef.check(form, today, keep)
        action = f"/desk/walkin/{draft.id}" if draft else "/desk/walkin"
        if checked.errors or checked.blocker:
            return _form_page(request, values, checked.errors, checked.blocker, action, 422)
        if draft is None:
            _, draft = await walkin.new_draft(uow, staff.id)
        s = checked.session
        s.answers.update(
            {k: v for k, v in (keep.answers if keep else {}).items() if k in ("doc_choice", "archive_entrusted")}
        )
        await uow.drafts.save(draft, "desk_materials", dump(s), draft.epoch)
        uow.events.add(
            "walkin_form_saved", f"tg:{staff.telegram_id}", {"draft": draft.id}, applicant_id=draft.applicant_id
        )
    raise web.HTTPSeeOther(f"/desk/walkin/{draft.id}/materials")


async def edit_form(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        draft, problem = await own_draft(uow, request)
        if problem:
            return problem
    s = load_session(draft)
    return _form_page(request, formdef.raw_values(s), {}, action=f"/desk/walkin/{draft.id}")


async def review(request: web.Request, errors: dict | None = None, status: int = 200) -> web.Response:
    desk = request.app[DESK]
    async with UnitOfWork(desk.sessionmaker) as uow:
        draft, problem = await own_draft(uow, request)
        if problem:
            return problem
    s = load_session(draft)
    missing = [SLOTS[k].title for k in required_slots(s) if not s.materials.get(k)]
    sections = [
        (
            title + (f"（{SECTION_NOTES[title]}）" if title in SECTION_NOTES else ""),
            [(f.label, f.required, masked(f.key, s)) for f in FIELDS if f.section == title and applies(f, s.answers)],
        )
        for title in SECTIONS
    ]
    files = [(SLOTS[k].title, len(s.materials.get(k) or [])) for k in required_slots(s)]
    return render(
        request,
        "walkin_review.html",
        {
            "consent": privacy.consent_text(privacy.Retention()),
            "draft": draft,
            "sections": sections,
            "files": files,
            "missing": missing,
            "commitment": notice.COMMITMENT,
            "errors": errors or {},
            "flags": s.meta,
        },
        status=status,
    )


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
        draft, problem = await own_draft(uow, request)
        if problem:
            return problem
        s = load_session(draft)
        if any(not s.materials.get(k) for k in required_slots(s)):
            return await review(request, {"materials": "还有材料未上传，请先上传。"}, 422)
        now = desk.now().isoformat()
        witness = {"staff_id": staff.id, "staff_account": staff.telegram_id, "window": desk.window_name}
        witness = witness | {"notice_told": True, "consent": True, "at": now}
        s.meta = s.meta.changed(
            {
                "notice_version": notice.NOTICE_VERSION,
                "notice_ack_at": now,
                "consent_version": privacy.CONSENT_VERSION,
                "consent_at": now,
                "commitment": Commitment(
                    accepted_at=now,
                    account=f"desk:{staff.telegram_id}",
                    text=notice.COMMITMENT,
                    in_person=True,
                    witness=witness,
                ),
            }
        )
        uow.events.add(
            "notice_acknowledged",
            actor,
            {"notice_version": notice.NOTICE_VERSION, "in_person": True},
            applicant_id=draft.applicant_id,
        )
        result = await walkin.submit(uow, draft, s, actor, desk.now(), desk.calendar)
    if not result.ok:
        return refuse(request, result.message, 409)
    raise web.HTTPSeeOther(f"/desk/case/{result.data['ref']}?new=1")


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/walkin", new_form)
    router.add_post("/walkin", save_form)
    router.add_get(r"/walkin/{draft:\d+}", edit_form)
    router.add_post(r"/walkin/{draft:\d+}", save_form)
    router.add_get(r"/walkin/{draft:\d+}/review", review)
    router.add_post(r"/walkin/{draft:\d+}/submit", submit)
