"""The applicant's rights (/mydata, /delete) and the retention pass that purges what is no longer needed."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from dialogs import departments, notices
from dialogs.clock import local_day, utc
from dialogs.model import Reply
from dialogs.privacy import Retention
from dialogs.status import APPLICATION_STATUS
from storage.blobs import BlobStore
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy(Retention):
    """Retention as the operator set it, plus the warning lead and the packet lifetime (days)."""

    warning_days: int = 3
    packet_days: int = 30


async def my_data(uow: UnitOfWork, applicant_id: int, policy: Retention) -> list[Reply]:
    """What was submitted, where it went and when, and how long it is kept (no full number shown)."""
    apps = await uow.applications.for_applicant(applicant_id)
    if not apps:
        return [Reply(text="您没有已提交的申请。")]
    parts = []
    for app in apps:
        lines = [
            f"受理编号 {app.ref}（{APPLICATION_STATUS.get(app.status, app.status)}），"
            f"提交于 {local_day(app.submitted_at):%Y-%m-%d}"
        ]
        if app.purged_at is not None:
            lines.append(f"  个人信息和材料已于 {local_day(app.purged_at):%Y-%m-%d} 按保存期限删除。")
        else:
            for d in await uow.deliveries.for_application(app.id):
                name = departments.BY_KEY[d.department].name if d.department in departments.BY_KEY else d.department
                when = f"于 {local_day(d.delivered_at):%Y-%m-%d %H:%M} 送达" if d.delivered_at else "待送达"
                lines.append(f"  已提供给{name}（第{d.version}版材料）：{when}")
            lines.append(f"  保存期限：办结后保存{policy.case_days}天，期满删除个人信息和材料。")
        parts.append("\n".join(lines))
    return [Reply(text="您已提交的申请（政务档案，申请人不能自行删除）：\n" + "\n\n".join(parts))]


async def release(uow: UnitOfWork, holder: str) -> list[str]:
    """`holder` (draft:<id> | app:<id>) lets go of its files; return those no one holds any more."""
    return await uow.blob_refs.sync(holder, [])


@dataclass
class Counts:
    warned: int = 0
    drafts: int = 0
    cases: int = 0
    files: int = 0
    packets: int = 0
    notifications: int = 0
    extra: dict[str, int] = field(default_factory=dict)


async def purge(sessionmaker, blobs: BlobStore, outbox: Path | None, policy: Policy, now: datetime) -> Counts:
    """One retention pass, audited with its counts. Idempotent: run it as often as you like."""
    counts = Counts()
    orphans: list[str] = []
    async with UnitOfWork(sessionmaker) as uow:
        for draft in await uow.retention.drafts_untouched_since(
            now - timedelta(days=policy.draft_days - policy.warning_days)
        ):
            touched, warned_at = utc(draft.updated_at), utc(draft.purge_warned_at) if draft.purge_warned_at else None
            warned = warned_at is not None and warned_at >= touched
            if not warned:
                applicant = await uow.applicants.get(draft.applicant_id)
                due = local_day(now + timedelta(days=policy.warning_days))
                await uow.notifications.to_person(
                    applicant,
                    notices.body(
                        "applicant.purge_warning",
                        (
                            f"您的申请草稿已{policy.draft_days - policy.warning_days}天未更新。按个人信息保存期限，"
                            f"草稿及上传的材料将于{due:%Y年%m月%d日}后删除。如需继续办理，请发送 /apply。"
                        ),
                    ),
                )
                await uow.retention.mark_warned(draft, now)
                counts.warned += 1
            elif (
                touched < now - timedelta(days=policy.draft_days)
                and warned_at <= now - timedelta(days=policy.warning_days)
                and await uow.retention.wipe_draft(draft, now)
            ):
                counts.drafts += 1
                orphans += await release(uow, f"draft:{draft.id}")
        for app in await uow.retention.finished_before(now - timedelta(days=policy.case_days)):
            cases = await uow.cases.for_application(app.id)
            await uow.retention.purge_application(
                app, now, {"purged": True, "outcome": app.status, "departments": {c.department: c.state for c in cases}}
            )
            draft = await uow.retention.submitted_draft_of(app.applicant_id)  # its copy of the answers
            if (
                draft is not None
                and (draft.data.get("meta") or {}).get("ref") == app.ref
                and await uow.retention.wipe_draft(draft, now)
            ):
                orphans += await release(uow, f"draft:{draft.id}")
            orphans += await release(uow, f"app:{app.id}")
            counts.cases += 1
        if outbox is not None:
            for d in await uow.retention.delivered_before(now - timedelta(days=policy.packet_days)):
                app = await uow.applications.get(d.application_id)
                folder = outbox / d.department / f"{app.ref}-v{d.version}" if app else None
                if folder is not None and folder.is_dir():
                    shutil.rmtree(folder)
                    counts.packets += 1
        counts.notifications = await uow.retention.clear_sent_notifications(now - timedelta(days=policy.draft_days))
        counts.files = len(set(orphans))
        uow.audits.add(
            "system:retention",
            "retention",
            None,
            True,
            {k: v for k, v in vars(counts).items() if k != "extra"} | {"at": now.isoformat()},
        )
    for ref in set(orphans):  # after the commit that dropped their last reference
        blobs.delete(ref)
    if counts.drafts or counts.cases or counts.packets:
        log.info("retention: %s", vars(counts))
    return counts
