"""What the applicant asks of the back office from the conversation: submission, a correction and its
resubmission, 好差评."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from dialogs import rating
from dialogs.clock import local_day
from dialogs.model import Correction, Rate
from dialogs.notice import TIME_LIMIT_DAYS
from dialogs.redact import redact
from dialogs.reference import new_reference
from dialogs.workdays import Deadline, WorkCalendar
from office import decisions, helpdesk, window
from office.outcome import Result
from storage.blobrefs import shas_of
from storage.models import Application
from storage.uow import UnitOfWork

OnSubmitted = Callable[[UnitOfWork, Application], Awaitable[None]]


async def submit(
    uow: UnitOfWork,
    applicant_id: int,
    key: str,
    frozen: dict[str, Any],
    now: datetime,
    calendar: WorkCalendar,
    on_submitted: OnSubmitted | None = None,
) -> tuple[Application, Deadline]:
    """The application for submission `key` (created once), and the deadline if accepted today."""
    app = await uow.applications.by_submission_key(key)
    expected = calendar.add_workdays(local_day(now), TIME_LIMIT_DAYS)
    if app is None:
        app, created = await _insert(uow, key, applicant_id, frozen, now, expected)
        if created:
            await uow.blob_refs.add(f"app:{app.id}", shas_of(app.data))  # the application holds its files
            uow.events.add(
                "application_submitted",
                f"applicant:{applicant_id}",
                {"ref": app.ref},
                applicant_id=applicant_id,
                application_id=app.id,
            )
            if on_submitted is not None:
                await on_submitted(uow, app)
    return app, expected


async def _insert(
    uow: UnitOfWork, key: str, applicant_id: int, frozen: dict[str, Any], now: datetime, expected: Deadline
) -> tuple[Application, bool]:
    """Insert under a savepoint: a reference taken at the same moment elsewhere is drawn again,
    and a submission of the same draft by another process is reused."""
    for _ in range(5):
        app = Application(
            ref=new_reference(local_day(now)),
            submission_key=key,
            applicant_id=applicant_id,
            data=frozen,
            status="submitted",
            submitted_at=now,
            deadline=expected.due,
            deadline_provisional=expected.provisional,
        )
        if await uow.applications.add_unique(app):
            return app, True
        existing = await uow.applications.by_submission_key(key)
        if existing is not None:
            return existing, False
    raise RuntimeError("no free reference number after 5 draws")


async def correction_request(uow: UnitOfWork, applicant_id: int, dept: str, ref: str) -> Correction | None:
    """What the window (dept "window") or a department flagged on this applicant's own application."""
    app = await uow.applications.by_ref(ref)
    if app is None or app.applicant_id != applicant_id:
        return None
    if dept == "window":
        flagged = (app.data or {}).get("window_return") if app.status == "returned" else None
    else:
        case = await decisions.case_of(uow, ref, dept)
        flagged = case.correction if case is not None and case.state == "correction" else None
    if not flagged:
        return None
    return Correction(
        ref=ref,
        dept=dept,
        reason=flagged.get("reason", ""),
        fields=list(flagged.get("fields", [])),
        materials=list(flagged.get("materials", [])),
    )


def changes_for(correction: Correction, frozen: dict[str, Any]) -> dict[str, Any]:
    """The corrected items out of the frozen draft; the window with nothing flagged takes everything."""
    if correction.dept == "window" and not correction.fields and not correction.materials:
        changes = {"answers": frozen["answers"], "materials": frozen["materials"]}
    else:
        changes = {
            "answers": {k: frozen["answers"].get(k) for k in correction.fields},
            "materials": {k: frozen["materials"][k] for k in correction.materials if k in frozen["materials"]},
        }
    return changes | {"commitment": frozen["commitment"]}  # re-committed: the form's signature time


async def resubmit(uow: UnitOfWork, correction: Correction, frozen: dict[str, Any], now: datetime) -> Result:
    changes = changes_for(correction, frozen)
    if correction.dept == "window":
        return await window.resubmit(uow, correction.ref, "applicant", changes)
    return await decisions.resubmit(uow, correction.ref, correction.dept, changes, now)


async def rate(uow: UnitOfWork, applicant_id: int, intent: Rate, helpdesk_chat: int | None) -> None:
    """Record the score (or the comment on it); a bad score opens a follow-up ticket (差评回访)."""
    app = await uow.applications.by_ref(intent.ref)
    if app is None or app.applicant_id != applicant_id:
        return
    row = await uow.ratings.for_application(app.id)
    if row is None:
        row = uow.ratings.add(app.id, intent.score if intent.score is not None else 3)
    if intent.score is not None:
        row.score = intent.score
    if intent.comment:
        row.comment = redact(intent.comment)
    logged = {"ref": intent.ref} | ({"score": intent.score} if intent.score is not None else {})
    uow.events.add("rated", f"applicant:{applicant_id}", logged, applicant_id=applicant_id, application_id=app.id)
    if intent.score is not None and intent.score <= rating.FOLLOW_UP_AT_MOST:
        await helpdesk.open_ticket(
            uow,
            applicant_id,
            {
                "question": f"差评回访：申请人评价“{rating.SCORES[intent.score]}”",
                "step": "submitted",
                "ref": app.ref,
                "reason": "bad_rating",
            },
            helpdesk_chat,
        )
