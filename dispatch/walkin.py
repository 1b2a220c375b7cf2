"""A walk-in application entered at the window: frozen like the bot's, accepted at once by that window."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from dialogs.model import Session
from dialogs.reference import new_reference
from dialogs.submission import freeze
from dialogs.workdays import WorkCalendar
from dialogs.notice import TIME_LIMIT_DAYS
from dispatch import window
from dispatch.clock import local_day, utc
from dispatch.outcome import OK, UNCHANGED, Result, session_of
from storage.models import Applicant, Application, Draft
from storage.repos import Applicants, Applications, Drafts, Events

CHANNEL = "desk"  # walk-in applicants: no chat until they bind Telegram with the receipt's code


async def new_draft(uow_or_session, staff_id: int) -> tuple[Applicant, Draft]:
    db = session_of(uow_or_session)
    applicant = await Applicants(db).get_or_create(CHANNEL, f"walkin:{secrets.token_hex(8)}")
    draft = await Drafts(db).for_applicant(applicant.id)
    return applicant, draft


async def submit(uow_or_session, draft: Draft, session: Session, actor: str, now: datetime,
                 calendar: WorkCalendar) -> Result:
    """Insert the application (same record as the bot's) and accept it in the same transaction."""
    db, now = session_of(uow_or_session), utc(now)
    key = f"{CHANNEL}:{draft.id}:{draft.epoch}"
    apps = Applications(db)
    existing = await apps.by_submission_key(key)
    if existing is not None:
        return Result(True, UNCHANGED, "该申请已提交。", state=existing.status, data={"ref": existing.ref})
    expected = calendar.add_workdays(local_day(now), TIME_LIMIT_DAYS)
    app = None
    for _ in range(5):
        candidate = Application(ref=new_reference(local_day(now)), submission_key=key,
                                applicant_id=draft.applicant_id, data=freeze(session), status="submitted",
                                submitted_at=now, deadline=expected.due, deadline_provisional=expected.provisional)
        try:
            async with db.begin_nested():
                apps.add(candidate)
                await db.flush()
            app = candidate
            break
        except IntegrityError:
            if (existing := await apps.by_submission_key(key)) is not None:
                return Result(True, UNCHANGED, "该申请已提交。", state=existing.status, data={"ref": existing.ref})
    if app is None:
        raise RuntimeError("no free reference number after 5 draws")
    Events(db).add("application_submitted", actor, {"ref": app.ref, "channel": "window", "in_person": True},
                   applicant_id=app.applicant_id, application_id=app.id)
    accepted = await window.accept(db, app.ref, actor, now, calendar)
    if not accepted.ok:
        return accepted
    await Drafts(db).save(draft, "submitted", session.model_dump(mode="json", exclude={"state"})
                          | {"meta": {**session.meta, "ref": app.ref}}, draft.epoch)
    return Result(True, OK, accepted.message, state=app.status, data={"ref": app.ref, **accepted.data})
