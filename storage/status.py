"""Builds the applicant-facing status view of an application from its rows."""

from __future__ import annotations

from datetime import date

from dialogs import departments
from dialogs.notice import TIME_LIMIT_DAYS
from dialogs.status import ApplicationView, CaseView
from dialogs.workdays import WorkCalendar
from storage.models import Application
from storage.uow import UnitOfWork

FINISHED = ("completed", "partly_rejected")  # the applicant is asked to rate (好差评)


async def application_view(uow: UnitOfWork, app: Application, calendar: WorkCalendar, today: date) -> ApplicationView:
    rows = await uow.cases.for_application(app.id)
    rows = sorted(rows, key=lambda r: departments.order(r.department))
    accepted = app.accepted_at is not None
    deadline, provisional = app.deadline, app.deadline_provisional
    if not accepted:
        expected = calendar.add_workdays(today, TIME_LIMIT_DAYS)
        deadline, provisional = expected.due, expected.provisional
    left = calendar.workdays_between(today, app.deadline) if accepted and app.deadline else None
    unrated = app.status in FINISHED and await uow.ratings.for_application(app.id) is None
    return ApplicationView(
        ref=app.ref,
        status=app.status,
        unrated=unrated,
        deadline=deadline,
        provisional=provisional,
        accepted=accepted,
        workdays_left=left,
        note=(app.data or {}).get("window_note"),
        cases=[
            CaseView(
                department=r.department,
                state=r.state,
                note=(r.correction or {}).get("reason") if r.state == "correction" else r.note,
            )
            for r in rows
        ],
    )
