"""A walk-in application entered at the window: frozen like the bot's, accepted at once by that window."""

from __future__ import annotations

import secrets
from datetime import datetime

from dialogs.clock import local_day, utc
from dialogs.model import Session
from dialogs.notice import TIME_LIMIT_DAYS
from dialogs.reference import new_reference
from dialogs.submission import freeze
from dialogs.workdays import WorkCalendar
from office import window
from office.outcome import OK, UNCHANGED, Result
from storage.blobrefs import shas_of
from storage.models import Applicant, Application, Draft
from storage.uow import UnitOfWork

CHANNEL = "desk"  # walk-in applicants: no chat until they bind Telegram with the receipt's code


def owner_of(applicant: Applicant) -> int | None:
    """The staff member (Staff.id) who entered a walk-in: the applicant record is `walkin:<staff>:<nonce>`."""
    kind, _, rest = applicant.external_id.partition(":")
    staff, _, _ = rest.partition(":")
    return int(staff) if applicant.channel == CHANNEL and kind == "walkin" and staff.isdigit() else None


async def new_draft(uow: UnitOfWork, staff_id: int) -> tuple[Applicant, Draft]:
    applicant = await uow.applicants.get_or_create(CHANNEL, f"walkin:{staff_id}:{secrets.token_hex(8)}")
    draft = await uow.drafts.for_applicant(applicant.id)
    return applicant, draft


async def submit(
    uow: UnitOfWork, draft: Draft, session: Session, actor: str, now: datetime, calendar: WorkCalendar
) -> Result:
    """Insert the application (same record as the bot's) and accept it in the same transaction."""
    now = utc(now)
    key = f"{CHANNEL}:{draft.id}:{draft.epoch}"
    apps = uow.applications
    existing = await apps.by_submission_key(key)
    if existing is not None:
        return Result(True, UNCHANGED, "该申请已提交。", state=existing.status, data={"ref": existing.ref})
    expected = calendar.add_workdays(local_day(now), TIME_LIMIT_DAYS)
    for _ in range(5):  # a reference drawn at the same moment elsewhere is drawn again
        app = Application(
            ref=new_reference(local_day(now)),
            submission_key=key,
            applicant_id=draft.applicant_id,
            data=freeze(session),
            status="submitted",
            submitted_at=now,
            deadline=expected.due,
            deadline_provisional=expected.provisional,
        )
        if await apps.add_unique(app):
            break
        if (existing := await apps.by_submission_key(key)) is not None:
            return Result(True, UNCHANGED, "该申请已提交。", state=existing.status, data={"ref": existing.ref})
    else:
        raise RuntimeError("no free reference number after 5 draws")
    await uow.blob_refs.add(f"app:{app.id}", shas_of(app.data))  # the application holds its files
    uow.events.add(
        "application_submitted",
        actor,
        {"ref": app.ref, "channel": "window", "in_person": True},
        applicant_id=app.applicant_id,
        application_id=app.id,
    )
    accepted = await window.accept(uow, app.ref, actor, now, calendar)
    if not accepted.ok:
        return accepted
    session.meta = session.meta.changed({"ref": app.ref})
    await uow.drafts.save(draft, "submitted", session.model_dump(mode="json", exclude={"state"}), draft.epoch)
    return Result(True, OK, accepted.message, state=app.status, data={"ref": app.ref, **accepted.data})
