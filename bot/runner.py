"""Runs one applicant input through the engine and commits the outcome in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.faq_loading import FaqLoader
from bot.outbox import Queued, owner_token, queue_replies
from dialogs import status as status_texts
from dialogs.callbacks import CorrectionCb
from dialogs.clock import BEIJING, local_day, utcnow
from dialogs.engine import Engine
from dialogs.helpdesk import without_handoff
from dialogs.model import (
    Checked,
    Event,
    ForgetDraft,
    MyData,
    Outcome,
    Rate,
    Reply,
    Resubmit,
    Session,
    Status,
    StoreBlob,
    Submit,
    Ticket,
    UserInput,
)
from dialogs.status import confirmation
from dialogs.submission import freeze
from dialogs.texts import SORRY_NOT_KEPT as NOT_KEPT
from dialogs.workdays import WorkCalendar
from office import applicant as applicant_requests
from office import helpdesk, privacy
from storage.arrivals import Taken
from storage.blobrefs import shas_of
from storage.blobs import BlobStore
from storage.inbox import DuplicateUpdate
from storage.models import Application
from storage.repos import VersionConflict
from storage.status import application_view
from storage.uow import UnitOfWork
from storage.writer import GroupWriter

log = logging.getLogger(__name__)
UPLOADS_PER_DAY = 100  # files one applicant may send in a Beijing day, refused or not
TICKETS_PER_HOUR = 5
TICKETS = "您在一小时内已提交了{n}个人工咨询，本条问题暂未转交工作人员。请等待已提交问题的答复，或一小时后再问。"
QUOTA = "今天上传的文件已达上限（{n}个），该文件未处理。请明天再上传；已上传的材料不会丢失。"


@dataclass
class Who:
    channel: str
    external_id: str
    chat_id: int | None = None
    username: str | None = None
    update: tuple[int, int] | None = None  # (bot id, update id): recorded with the answer, once
    outbox: bool = False  # the replies are written to the outbox with the answer (the Telegram adapter)
    # Set by the runner: the answer committed; the outbox rows of its replies; a re-delivered update.
    kept: bool = False
    queued: list[int] | None = None
    fresh: Queued | None = None  # the same rows, as written (the reply sender's fast path)
    duplicate: bool = False
    # The update's inbox row (storage.arrivals.Taken): removed in the answer's transaction.
    arrival: Taken | None = None


class Runner:
    def __init__(
        self,
        engine: Engine,
        sessionmaker,
        blobs: BlobStore,
        calendar: WorkCalendar,
        clock: Callable[[], datetime] = utcnow,
        on_submitted: Callable[[UnitOfWork, Application], Awaitable[None]] | None = None,
        helpdesk_chat: int | None = None,
        intake=None,
        uploads_per_day: int = UPLOADS_PER_DAY,
        tickets_per_hour: int = TICKETS_PER_HOUR,
        owner: str | None = None,
        writer: GroupWriter | None = None,
    ):
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.blobs = blobs
        self.calendar = calendar
        self.clock = clock
        self.on_submitted = on_submitted  # async hook (uow, application) -> None, e.g. auto acceptance
        self.helpdesk_chat = helpdesk_chat
        self.owner = owner or owner_token()  # claims the reply rows it writes (see bot.outbox)
        if intake is None:
            from bot.intake import IntakePool

            intake = IntakePool()  # started on the first upload
        self.intake = intake  # judges uploads in worker processes before the engine runs
        self.uploads_per_day = uploads_per_day
        self.tickets_per_hour = tickets_per_hour
        # Group commit (storage.writer): concurrent turns share one transaction and one COMMIT; None:
        # a transaction per turn. Either way a turn's replies are returned only after its commit.
        self.writer = writer
        # The FAQ index built in the background (`run`, bot.faq_loading): a text, which may be a
        # question, waits for it rather than be answered by a half-built index.
        self.faq_loader: FaqLoader | None = None

    def now(self) -> datetime:
        return self.clock()

    async def handle(self, who: Who, inp: UserInput) -> list[Reply]:
        if inp.kind == "text" and self.faq_loader is not None and not self.faq_loader.ready:
            await self.faq_loader.wait()
        if inp.kind == "upload" and inp.files:
            inp = await self._checked(who, inp)
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

    async def _checked(self, who: Who, inp: UserInput) -> UserInput:
        """Judge each file in the intake workers, within the applicant's daily quota, outside any transaction."""
        start = datetime.combine(local_day(inp.now), datetime.min.time(), BEIJING).astimezone(UTC)
        async with UnitOfWork(self.sessionmaker) as uow:
            applicant = await uow.applicants.get_or_create(who.channel, who.external_id, who.chat_id, who.username)
            used = await uow.events.count_since("file_received", applicant.id, start)
        files = []
        for up in inp.files:
            if used >= self.uploads_per_day:
                checked = Checked(ok=False, reason=QUOTA.format(n=self.uploads_per_day), limit="quota")
                if up.path:
                    Path(up.path).unlink(missing_ok=True)
            else:
                checked = await self.intake.check(up)
            used += 1
            files.append(up.model_copy(update={"checked": checked, "data": None, "path": None}))
        return inp.model_copy(update={"files": files})

    async def _handle_once(self, who: Who, inp: UserInput) -> list[Reply]:
        async def work(uow: UnitOfWork) -> tuple[list[Reply], Queued | None, list[str]]:
            return await self._turn(uow, who, inp)

        if self.writer is not None:
            replies, queued, orphans = await self.writer.run(work)
        else:
            async with UnitOfWork(self.sessionmaker) as uow:
                replies, queued, orphans = await work(uow)
        # Committed: only now is the answer kept and its replies released.
        who.kept = True
        if who.arrival is not None and who.update is not None:
            who.arrival.settled()
        who.queued = queued.ids if queued is not None else None
        who.fresh = queued
        self._forget(orphans)
        return replies

    async def _turn(self, uow: UnitOfWork, who: Who, inp: UserInput) -> tuple[list[Reply], Queued | None, list[str]]:
        """One input's reads and writes in `uow`. Outside the database only content-addressed blob
        files are written, so a turn can run again (after a version conflict, or in a group-commit
        replay)."""
        if who.update is not None:
            await uow.handled_updates.record(*who.update, self.now())
            if who.arrival is not None:
                await who.arrival.settle(uow.db)
        applicant = await uow.applicants.get_or_create(
            who.channel,
            who.external_id,
            who.chat_id,
            who.username,
            who.update[0] if who.update else None,
            replies_to=who.chat_id if who.outbox else None,
        )
        draft = await uow.drafts.for_applicant(applicant.id)
        session = Session(
            state=draft.state,
            **{k: v for k, v in (draft.data or {}).items() if k in ("answers", "materials", "meta")},
        )
        if inp.kind == "choose" and isinstance(choice := inp.choice, CorrectionCb):
            session.meta.correction_request = await applicant_requests.correction_request(
                uow, applicant.id, choice.dept, choice.ref
            )
        held = shas_of(draft.data)
        outcome = self.engine.handle(session, inp)
        turn = Turn(uow, applicant.id, draft, outcome, draft.epoch)
        replies = list(outcome.replies)
        for intent in outcome.intents:
            replies.extend(await HANDLERS[type(intent)](self, turn, intent))
        if turn.no_ticket:  # the engine's "handed to staff" is not true this time
            replies = [r.model_copy(update={"text": without_handoff(r.text)}) for r in replies]
        for up in inp.files if inp.kind == "upload" else []:
            if up.checked is None or up.checked.limit != "quota":
                uow.events.add(
                    "file_received",
                    f"applicant:{applicant.id}",
                    {"ok": bool(up.checked and up.checked.ok)},
                    applicant_id=applicant.id,
                )
        if session.state != outcome.session.state:
            uow.events.add(
                "step",
                f"applicant:{applicant.id}",
                {"from": session.state, "to": outcome.session.state, "input": inp.kind},
                applicant_id=applicant.id,
            )
        s = outcome.session
        data = s.model_dump(mode="json", exclude={"state"})
        orphans = await uow.blob_refs.sync(f"draft:{draft.id}", shas_of(data)) if shas_of(data) != held else []
        await uow.drafts.save(draft, s.state, data, turn.epoch)
        queued = None
        if who.outbox and who.chat_id is not None:
            bot_id = who.update[0] if who.update else None
            first = not await uow.notifications.has_open_replies(who.chat_id, bot_id)
            rows = queue_replies(uow.notifications, who.chat_id, replies, self.owner, self.now(), bot_id=bot_id)
            await uow.flush()  # the outbox rows' ids
            queued = Queued(rows, first)
        return replies, queued, orphans

    def _forget(self, orphans: list[str]) -> None:
        """Delete files nobody holds any more, after the commit that dropped their last reference."""
        for sha in orphans:
            try:
                self.blobs.delete(sha)
            except OSError:
                log.warning("could not delete an unreferenced blob")

    # ---- one handler per intent type (HANDLERS below) -------------------------------------------
    async def _on_event(self, turn: Turn, intent: Event) -> list[Reply]:
        turn.uow.events.add(intent.name, f"applicant:{turn.applicant_id}", intent.data, applicant_id=turn.applicant_id)
        if intent.name == "draft_discarded":  # a new draft: its submission key differs
            turn.epoch += 1
        return []

    async def _on_store_blob(self, turn: Turn, intent: StoreBlob) -> list[Reply]:
        sha = self.blobs.put(intent.blob)
        await turn.uow.blobs.record(sha, intent.blob_kind, intent.mime, len(intent.blob), intent.pages)
        return []

    async def _on_submit(self, turn: Turn, intent: Submit) -> list[Reply]:
        key = f"{turn.draft.id}:{turn.draft.epoch}"  # one application per draft, however often submitted
        app, expected = await applicant_requests.submit(
            turn.uow, turn.applicant_id, key, freeze(turn.outcome.session), self.now(), self.calendar, self.on_submitted
        )
        turn.outcome.session.meta.ref = app.ref
        return [confirmation(app.ref, expected.due, expected.provisional)]

    async def _on_status(self, turn: Turn, intent: Status) -> list[Reply]:
        return [await self._status(turn.uow, turn.applicant_id)]

    async def _on_ticket(self, turn: Turn, intent: Ticket) -> list[Reply]:
        since = self.now() - timedelta(hours=1)
        if await turn.uow.events.count_since("ticket_opened", turn.applicant_id, since) >= self.tickets_per_hour:
            turn.no_ticket = True
            return [Reply(text=TICKETS.format(n=self.tickets_per_hour))]
        await helpdesk.open_ticket(turn.uow, turn.applicant_id, intent.model_dump(exclude={"kind"}), self.helpdesk_chat)
        return []

    async def _on_rate(self, turn: Turn, intent: Rate) -> list[Reply]:
        await applicant_requests.rate(turn.uow, turn.applicant_id, intent, self.helpdesk_chat)
        return []

    async def _on_my_data(self, turn: Turn, intent: MyData) -> list[Reply]:
        return await privacy.my_data(turn.uow, turn.applicant_id, self.engine.retention)

    async def _on_forget_draft(self, turn: Turn, intent: ForgetDraft) -> list[Reply]:
        """The emptied draft drops its file references at the end of the turn; files no one else
        holds are deleted right after the commit (blob_refs)."""
        turn.epoch += 1  # a later submission of this draft is a new one
        return []

    async def _on_resubmit(self, turn: Turn, intent: Resubmit) -> list[Reply]:
        ref = intent.correction.ref
        result = await applicant_requests.resubmit(
            turn.uow, intent.correction, freeze(turn.outcome.session), self.now()
        )
        turn.outcome.session.meta.ref = ref
        app = await turn.uow.applications.by_ref(ref)
        if app is not None:
            await turn.uow.blob_refs.add(f"app:{app.id}", shas_of(app.data))
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
    no_ticket: bool = False  # a Ticket intent was refused (hourly cap): no reply may promise staff


HANDLERS: dict[type, Callable[[Runner, Turn, Any], Awaitable[list[Reply]]]] = {
    Event: Runner._on_event,
    StoreBlob: Runner._on_store_blob,
    Submit: Runner._on_submit,
    Status: Runner._on_status,
    Ticket: Runner._on_ticket,
    Rate: Runner._on_rate,
    Resubmit: Runner._on_resubmit,
    MyData: Runner._on_my_data,
    ForgetDraft: Runner._on_forget_draft,
}
