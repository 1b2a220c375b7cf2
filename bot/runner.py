"""Runs one applicant input through the engine and commits the outcome in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from dialogs.engine import Engine
from dialogs.model import Outcome, Reply, Session, UserInput
from dialogs.reference import new_reference
from dialogs.status import confirmation
from dialogs.submission import freeze
from dialogs.workdays import WorkCalendar
from storage.blobs import BlobStore
from storage.models import Application
from storage.repos import VersionConflict
from storage.status import application_view
from storage.uow import UnitOfWork
from dialogs import status as status_texts

log = logging.getLogger(__name__)

TIME_LIMIT = 15


@dataclass
class Who:
    channel: str
    external_id: str
    chat_id: int | None = None
    username: str | None = None


class Runner:
    def __init__(self, engine: Engine, sessionmaker, blobs: BlobStore, calendar: WorkCalendar,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 on_submitted=None):
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.blobs = blobs
        self.calendar = calendar
        self.clock = clock
        self.on_submitted = on_submitted  # async hook (uow, application) -> None, e.g. auto acceptance

    def now(self) -> datetime:
        return self.clock()

    async def handle(self, who: Who, inp: UserInput) -> list[Reply]:
        for attempt in range(3):
            try:
                return await self._handle_once(who, inp)
            except VersionConflict:
                log.info("draft changed concurrently; retrying (attempt %d)", attempt + 1)
        return [Reply(text="系统繁忙，请稍后再试。您已填写的内容不会丢失。")]

    async def _handle_once(self, who: Who, inp: UserInput) -> list[Reply]:
        async with UnitOfWork(self.sessionmaker) as uow:
            applicant = await uow.applicants.get_or_create(who.channel, who.external_id, who.chat_id,
                                                           who.username)
            draft = await uow.drafts.for_applicant(applicant.id)
            session = Session(state=draft.state, **{k: v for k, v in (draft.data or {}).items()
                                                    if k in ("answers", "materials", "meta")})
            outcome = self.engine.handle(session, inp)
            replies = list(outcome.replies)
            epoch = draft.epoch
            for intent in outcome.intents:
                if intent.kind == "event":
                    name = intent.data.get("name", "event")
                    payload = {k: v for k, v in intent.data.items() if k != "name"}
                    uow.events.add(name, f"applicant:{applicant.id}", payload, applicant_id=applicant.id)
                    if name == "draft_discarded":
                        epoch += 1
                elif intent.kind == "store_blob" and intent.blob is not None:
                    sha = self.blobs.put(intent.blob)
                    await uow.blobs.record(sha, intent.data["kind"], intent.data["mime"],
                                           len(intent.blob), intent.data.get("pages", 1))
                elif intent.kind == "submit":
                    replies.extend(await self._submit(uow, applicant.id, draft, outcome))
                elif intent.kind == "status":
                    replies.append(await self._status(uow, applicant.id))
            if session.state != outcome.session.state:
                uow.events.add("step", f"applicant:{applicant.id}",
                               {"from": session.state, "to": outcome.session.state, "input": inp.kind},
                               applicant_id=applicant.id)
            s = outcome.session
            await uow.drafts.save(draft, s.state, s.model_dump(mode="json", exclude={"state"}), epoch)
        return replies

    async def _submit(self, uow: UnitOfWork, applicant_id: int, draft, outcome: Outcome) -> list[Reply]:
        key = f"{draft.id}:{draft.epoch}"
        app = await uow.applications.by_submission_key(key)
        now = self.now()
        if app is None:
            ref = new_reference(now.date())
            while await uow.applications.ref_exists(ref):
                ref = new_reference(now.date())
            expected = self.calendar.add_workdays(now.date(), TIME_LIMIT)
            app = Application(ref=ref, submission_key=key, applicant_id=applicant_id,
                              data=freeze(outcome.session), status="submitted", submitted_at=now,
                              deadline=expected.due, deadline_provisional=expected.provisional)
            uow.applications.add(app)
            await uow.db.flush()
            uow.events.add("application_submitted", f"applicant:{applicant_id}", {"ref": ref},
                           applicant_id=applicant_id, application_id=app.id)
            if self.on_submitted is not None:
                await self.on_submitted(uow, app)
        outcome.session.meta["ref"] = app.ref
        expected = self.calendar.add_workdays(now.date(), TIME_LIMIT)
        return [confirmation(app.ref, expected.due, expected.provisional)]

    async def _status(self, uow: UnitOfWork, applicant_id: int) -> Reply:
        app = await uow.applications.latest_for(applicant_id)
        if app is None:
            return Reply(text="没有找到已提交的申请。")
        view = await application_view(uow.db, app, self.calendar, self.now().date())
        return status_texts.status(view)
