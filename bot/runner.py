"""Runs one applicant input through the engine and commits the outcome in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable

from dialogs.engine import Engine
from dialogs.model import Event, Outcome, Rate, Reply, Resubmit, Session, Status, StoreBlob, Submit, Ticket, UserInput
from dialogs.status import confirmation
from dialogs.texts import SORRY_NOT_KEPT as NOT_KEPT
from dialogs.submission import freeze
from dialogs.workdays import WorkCalendar
from storage.blobs import BlobStore

from dialogs.callbacks import CorrectionCb
from storage.models import Application
from storage.repos import VersionConflict
from storage.status import application_view
from storage.inbox import DuplicateUpdate
from storage.uow import UnitOfWork
from bot.outbox import owner_token, queue_replies
from dialogs import status as status_texts
from office import applicant as applicant_requests
from office import helpdesk
from dialogs.clock import local_day, utcnow

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
                 clock: Callable[[], datetime] = utcnow,
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
                session.meta.correction_request = await applicant_requests.correction_request(
                    uow, applicant.id, choice.dept, choice.ref)
            outcome = self.engine.handle(session, inp)
            turn = Turn(uow, applicant.id, draft, outcome, draft.epoch)
            replies = list(outcome.replies)
            for intent in outcome.intents:
                replies.extend(await HANDLERS[type(intent)](self, turn, intent))
            if session.state != outcome.session.state:
                uow.events.add("step", f"applicant:{applicant.id}",
                               {"from": session.state, "to": outcome.session.state, "input": inp.kind},
                               applicant_id=applicant.id)
            s = outcome.session
            await uow.drafts.save(draft, s.state, s.model_dump(mode="json", exclude={"state"}), turn.epoch)
            rows = (queue_replies(uow.notifications, who.chat_id, replies, self.owner, self.now(),
                                  bot_id=who.update[0] if who.update else None)
                    if who.channel == "telegram" and who.chat_id is not None else None)
        who.kept = True
        who.queued = [r.id for r in rows] if rows is not None else None
        return replies

    # ---- one handler per intent type (HANDLERS below) -------------------------------------------
    async def _on_event(self, turn: "Turn", intent: Event) -> list[Reply]:
        turn.uow.events.add(intent.name, f"applicant:{turn.applicant_id}", intent.data,
                            applicant_id=turn.applicant_id)
        if intent.name == "draft_discarded":  # a new draft: its submission key differs
            turn.epoch += 1
        return []

    async def _on_store_blob(self, turn: "Turn", intent: StoreBlob) -> list[Reply]:
        sha = self.blobs.put(intent.blob)
        await turn.uow.blobs.record(sha, intent.blob_kind, intent.mime, len(intent.blob), intent.pages)
        return []

    async def _on_submit(self, turn: "Turn", intent: Submit) -> list[Reply]:
        key = f"{turn.draft.id}:{turn.draft.epoch}"  # one application per draft, however often submitted
        app, expected = await applicant_requests.submit(turn.uow, turn.applicant_id, key,
                                                        freeze(turn.outcome.session), self.now(), self.calendar,
                                                        self.on_submitted)
        turn.outcome.session.meta.ref = app.ref
        return [confirmation(app.ref, expected.due, expected.provisional)]

    async def _on_status(self, turn: "Turn", intent: Status) -> list[Reply]:
        return [await self._status(turn.uow, turn.applicant_id)]

    async def _on_ticket(self, turn: "Turn", intent: Ticket) -> list[Reply]:
        await helpdesk.open_ticket(turn.uow, turn.applicant_id, intent.model_dump(exclude={"kind"}),
                                   self.helpdesk_chat)
        return []

    async def _on_rate(self, turn: "Turn", intent: Rate) -> list[Reply]:
        await applicant_requests.rate(turn.uow, turn.applicant_id, intent, self.helpdesk_chat)
        return []

    async def _on_resubmit(self, turn: "Turn", intent: Resubmit) -> list[Reply]:
        ref = intent.correction.ref
        result = await applicant_requests.resubmit(turn.uow, intent.correction, freeze(turn.outcome.session),
                                                   self.now())
        turn.outcome.session.meta.ref = ref
        if not result.ok:
            return [Reply(text=f"补正未能提交：{result.message}")]
        return [Reply(text=f"✅ 补正内容已提交（受理编号：{ref}）。发送 /status 查看办理进度。")]

    async def _status(self, uow: UnitOfWork, applicant_id: int) -> Reply:
        app = await uow.applications.latest_for(applicant_id)
        if app is None:
            return Reply(text="没有找到已提交的申请。")
        view = await application_view(uow, app, self.calendar, local_day(self.now()))
        return status_texts.status(view)


@dataclass
class Turn:
    """One input's transaction, as the intent handlers see it."""

    uow: UnitOfWork
    applicant_id: int
    draft: Any
    outcome: Outcome
    epoch: int


HANDLERS: dict[type, Callable[[Runner, Turn, Any], Awaitable[list[Reply]]]] = {
    Event: Runner._on_event, StoreBlob: Runner._on_store_blob, Submit: Runner._on_submit,
    Status: Runner._on_status, Ticket: Runner._on_ticket, Rate: Runner._on_rate, Resubmit: Runner._on_resubmit,
}
