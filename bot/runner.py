"""Runs one applicant input through the engine and commits the outcome in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Awaitable, Callable

from dialogs.engine import Engine
from dialogs.notice import TIME_LIMIT_DAYS
from dialogs.model import Outcome, Reply, Session, UserInput
from dialogs.reference import new_reference
from dialogs.status import confirmation
from dialogs.texts import SORRY_NOT_KEPT as NOT_KEPT
from dialogs.submission import freeze
from dialogs.workdays import WorkCalendar
from storage.blobs import BlobStore

from dialogs import rating
from dialogs.callbacks import CorrectionCb
from dialogs.redact import redact
from storage.models import Application
from storage.repos import VersionConflict
from storage.status import application_view
from storage.inbox import DuplicateUpdate
from storage.uow import UnitOfWork
from bot.outbox import owner_token, queue_replies
from dialogs import status as status_texts
from office import decisions, helpdesk, window
from dispatch.clock import local_day

log = logging.getLogger(__name__)



@dataclass
class Who:
    channel: str
    external_id: str
    chat_id: int | None = None
    username: str | None = None
    update: tuple[int, int] | None = None  # (bot id, update id): recorded with the answer, once
    # Set by the runner: the answer committed; the outbox rows of its replies; a re-delivered update.
    kept: bool = False
    queued: list[int] | None = None
    duplicate: bool = False


class Runner:
    def __init__(self, engine: Engine, sessionmaker, blobs: BlobStore, calendar: WorkCalendar,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 on_submitted: Callable[[UnitOfWork, Application], Awaitable[None]] | None = None,
                 helpdesk_chat: int | None = None, owner: str | None = None):
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.blobs = blobs
        self.calendar = calendar
        self.clock = clock
        self.on_submitted = on_submitted  # async hook (uow, application) -> None, e.g. auto acceptance
        self.helpdesk_chat = helpdesk_chat
        self.owner = owner or owner_token()  # claims the reply rows it writes (see bot.outbox)

    def now(self) -> datetime:
        return self.clock()

    async def handle(self, who: Who, inp: UserInput) -> list[Reply]:
        for attempt in range(3):
            try:
                return await self._handle_once(who, inp)
            except VersionConflict:
                log.info("draft changed concurrently; retrying (attempt %d)", attempt + 1)
            except DuplicateUpdate:
                log.info("update %s handled by another process; ignored", who.update)
                who.duplicate = True
                return []
        return [Reply(text=NOT_KEPT)]

    async def _handle_once(self, who: Who, inp: UserInput) -> list[Reply]:
        async with UnitOfWork(self.sessionmaker) as uow:
            if who.update is not None:
                await uow.handled_updates.record(*who.update, self.now())
            applicant = await uow.applicants.get_or_create(who.channel, who.external_id, who.chat_id,
                                                           who.username, who.update[0] if who.update else None)
            draft = await uow.drafts.for_applicant(applicant.id)
            session = Session(state=draft.state, **{k: v for k, v in (draft.data or {}).items()
                                                    if k in ("answers", "materials", "meta")})
            if inp.kind == "choose" and isinstance(choice := inp.choice, CorrectionCb):
                request = await self._correction_request(uow, applicant.id, choice)
                if request:
                    session.meta["correction_request"] = request
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
                elif intent.kind == "ticket":
                    await helpdesk.open_ticket(uow, applicant.id, intent.data, self.helpdesk_chat)
                elif intent.kind == "rate":
                    await self._rate(uow, applicant.id, intent.data)
                elif intent.kind == "resubmit":
                    replies.append(await self._resubmit(uow, outcome, intent.data))
            if session.state != outcome.session.state:
                uow.events.add("step", f"applicant:{applicant.id}",
                               {"from": session.state, "to": outcome.session.state, "input": inp.kind},
                               applicant_id=applicant.id)
            s = outcome.session
            await uow.drafts.save(draft, s.state, s.model_dump(mode="json", exclude={"state"}), epoch)
            rows = (queue_replies(uow.notifications, who.chat_id, replies, self.owner, self.now(),
                                  bot_id=who.update[0] if who.update else None)
                    if who.channel == "telegram" and who.chat_id is not None else None)
        who.kept = True
        who.queued = [r.id for r in rows] if rows is not None else None
        return replies

    async def _submit(self, uow: UnitOfWork, applicant_id: int, draft, outcome: Outcome) -> list[Reply]:
        key = f"{draft.id}:{draft.epoch}"
        app = await uow.applications.by_submission_key(key)
        now = self.now()
        expected = self.calendar.add_workdays(local_day(now), TIME_LIMIT_DAYS)
        if app is None:
            app, created = await self._insert_application(uow, key, applicant_id, outcome, now, expected)
            if created:
                uow.events.add("application_submitted", f"applicant:{applicant_id}", {"ref": app.ref},
                               applicant_id=applicant_id, application_id=app.id)
                if self.on_submitted is not None:
                    await self.on_submitted(uow, app)
        outcome.session.meta["ref"] = app.ref
        return [confirmation(app.ref, expected.due, expected.provisional)]

    async def _insert_application(self, uow: UnitOfWork, key: str, applicant_id: int, outcome: Outcome,
                                  now: datetime, expected) -> tuple[Application, bool]:
        """Insert under a savepoint: a reference taken at the same moment elsewhere is drawn again,
        and a submission of the same draft by another process is reused."""
        for _ in range(5):
            app = Application(ref=new_reference(local_day(now)), submission_key=key, applicant_id=applicant_id,
                              data=freeze(outcome.session), status="submitted", submitted_at=now,
                              deadline=expected.due, deadline_provisional=expected.provisional)
            if await uow.applications.add_unique(app):
                return app, True
            existing = await uow.applications.by_submission_key(key)
            if existing is not None:
                return existing, False
        raise RuntimeError("no free reference number after 5 draws")

    async def _correction_request(self, uow: UnitOfWork, applicant_id: int, cb: CorrectionCb) -> dict | None:
        dept, ref = cb.dept, cb.ref
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
        return {"ref": ref, "dept": dept, "reason": flagged.get("reason", ""),
                "fields": list(flagged.get("fields", [])), "materials": list(flagged.get("materials", []))}

    async def _resubmit(self, uow: UnitOfWork, outcome: Outcome, correction: dict) -> Reply:
        frozen = freeze(outcome.session)
        changes = {"answers": {k: frozen["answers"].get(k) for k in correction.get("fields", [])},
                   "materials": {k: frozen["materials"][k] for k in correction.get("materials", [])
                                 if k in frozen["materials"]}}
        ref, dept = correction["ref"], correction["dept"]
        if dept == "window" and not correction.get("fields") and not correction.get("materials"):
            changes = {"answers": frozen["answers"], "materials": frozen["materials"]}
        if dept == "window":
            result = await window.resubmit(uow, ref, "applicant", changes)
        else:
            result = await decisions.resubmit(uow, ref, dept, changes, self.now())
        outcome.session.meta["ref"] = ref
        if not result.ok:
            return Reply(text=f"补正未能提交：{result.message}")
        return Reply(text=f"✅ 补正内容已提交（受理编号：{ref}）。发送 /status 查看办理进度。")

    async def _rate(self, uow: UnitOfWork, applicant_id: int, data: dict) -> None:
        app = await uow.applications.by_ref(data.get("ref", ""))
        if app is None or app.applicant_id != applicant_id:
            return
        row = await uow.ratings.for_application(app.id)
        if row is None:
            row = uow.ratings.add(app.id, data.get("score", 3))
        if "score" in data:
            row.score = data["score"]
        if data.get("comment"):
            row.comment = redact(data["comment"])
        uow.events.add("rated", f"applicant:{applicant_id}", {k: v for k, v in data.items() if k != "comment"},
                       applicant_id=applicant_id, application_id=app.id)
        if "score" in data and data["score"] <= rating.FOLLOW_UP_AT_MOST:
            await helpdesk.open_ticket(uow, applicant_id, {
                "question": f"差评回访：申请人评价“{rating.SCORES[data['score']]}”", "step": "submitted",
                "ref": app.ref, "reason": "bad_rating"}, self.helpdesk_chat)

    async def _status(self, uow: UnitOfWork, applicant_id: int) -> Reply:
        app = await uow.applications.latest_for(applicant_id)
        if app is None:
            return Reply(text="没有找到已提交的申请。")
        view = await application_view(uow, app, self.calendar, local_day(self.now()))
        return status_texts.status(view)
