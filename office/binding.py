"""One-time binding codes printed on a receipt: `/bind CODE` links a Telegram account to the case."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from dialogs.clock import utc
from office.outcome import CONFLICT, FORBIDDEN, INVALID, OK, UNCHANGED, Result
from storage.models import Application, BindingCode
from storage.uow import UnitOfWork

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I/L/O/0/1: read aloud and typed without mix-ups
LENGTH = 8
VALID_DAYS = 30
MAX_FAILURES, FAILURE_WINDOW = 5, timedelta(hours=1)

WRONG = "绑定码不正确，请核对受理回执上的绑定码（8位字母和数字）后重新发送：/bind 绑定码"
USED = "该绑定码已经使用过，每个绑定码只能使用一次。如需帮助，请携带身份证件到受理窗口咨询。"
REVOKED = "该绑定码已失效（受理回执已重新打印），请使用最新一份回执上的绑定码。"
EXPIRED = "该绑定码已过期（有效期{days}天）。请携带身份证件到受理窗口重新打印回执，或拨打咨询电话。"
TOO_MANY = "绑定码输错次数过多，请1小时后再试。"
HOW = "请发送：/bind 绑定码（绑定码印在窗口出具的受理回执上，例如 /bind ABCD-2345）"


def normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


def shown(code: str) -> str:
    code = normalize(code)
    return f"{code[:4]}-{code[4:]}"


async def issue(uow: UnitOfWork, app: Application, actor: str, now: datetime) -> tuple[str, datetime]:
    """A fresh code for the receipt (the plain code exists only on paper); earlier open codes are revoked."""
    now = utc(now)
    codes = uow.binding_codes
    await codes.revoke_open(app.id, now)
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    expires = now + timedelta(days=VALID_DAYS)
    codes.add(
        BindingCode(
            application_id=app.id, code_hash=code_hash(code), created_by=actor, created_at=now, expires_at=expires
        )
    )
    uow.events.add(
        "binding_code_issued",
        actor,
        {"expires_at": expires.isoformat()},
        applicant_id=app.applicant_id,
        application_id=app.id,
    )
    await uow.flush()
    return shown(code), expires


async def bind(
    uow: UnitOfWork, code: str, channel: str, external_id: str, chat_id: int | None, now: datetime
) -> Result:
    """Give the case to the account that typed a valid code; wrong tries are counted and limited."""
    now = utc(now)
    who = f"{channel}:{external_id}"
    attempts = uow.attempts
    if len(await attempts.failures_since("bind", who, now - FAILURE_WINDOW)) >= MAX_FAILURES:
        uow.audits.add(who, "bind", None, False, {"why": "too_many"})
        return Result(False, FORBIDDEN, TOO_MANY)
    if len(normalize(code)) != LENGTH:
        return Result(False, INVALID, HOW)
    codes = uow.binding_codes
    row = await codes.by_hash(code_hash(code))
    app = await uow.applications.get(row.application_id) if row else None
    applicant = await uow.applicants.get_or_create(channel, external_id, chat_id)
    failure = None
    if row is None or app is None:
        failure = Result(False, INVALID, WRONG)
    elif row.used_at is not None:
        if row.used_by == who:
            return Result(True, UNCHANGED, f"您已绑定受理编号 {app.ref}。发送 /status 查看办理进度。", state=app.ref)
        failure = Result(False, CONFLICT, USED)
    elif row.revoked_at is not None:
        failure = Result(False, CONFLICT, REVOKED)
    elif utc(row.expires_at) <= now:
        failure = Result(False, CONFLICT, EXPIRED.format(days=VALID_DAYS))
    elif not await codes.use(row, who, now):
        failure = Result(False, CONFLICT, USED)
    target = app.ref if app else None
    if failure is not None:
        attempts.add("bind", who, False, now)
        uow.audits.add(who, "bind", target, False, {"why": failure.code})
        return failure
    attempts.add("bind", who, True, now)
    previous = app.applicant_id
    app.applicant_id = applicant.id
    drafts = uow.drafts
    draft = await drafts.for_applicant(applicant.id)
    if draft.state == "idle":  # not filling in another application: /status now shows this case
        data = dict(draft.data or {})
        data["meta"] = dict(data.get("meta") or {}) | {"ref": app.ref}
        await drafts.save(draft, "submitted", data, draft.epoch)
    uow.audits.add(who, "bind", target, True, {})
    uow.events.add(
        "application_bound",
        who,
        {"ref": app.ref, "from_applicant": previous},
        applicant_id=applicant.id,
        application_id=app.id,
    )
    await uow.flush()
    return Result(
        True,
        OK,
        f"✅ 绑定成功：受理编号 {app.ref} 已与您的 Telegram 账号关联。"
        "今后的办理进度和结果将在这里通知您，发送 /status 可随时查看。",
        state=app.ref,
    )
