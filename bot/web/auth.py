"""Workbench sign-in: argon2 passwords, lockout after wrong passwords, sessions kept in the database."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dialogs.clock import BEIJING, utc
from storage.models import DeskSession, Staff
from storage.uow import UnitOfWork

HASHER = PasswordHasher()
LOCK_AFTER = 5
LOCK_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
IDLE = timedelta(minutes=30)
MIN_PASSWORD = 10
_DUMMY = HASHER.hash("not-a-password-of-anyone")

WRONG = "账号或密码不正确。连续输错5次，账号将被锁定15分钟。"
LOCKED = (
    "该账号因15分钟内连续5次密码错误已被锁定，请于 {until:%H:%M}（北京时间）后再试；如忘记密码，请联系管理员重新设置。"
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Login:
    ok: bool
    message: str = ""
    token: str | None = None


def lock_until(failures: list[datetime]) -> datetime | None:
    """The end of the latest lock: LOCK_AFTER failures inside LOCK_WINDOW lock for LOCK_FOR."""
    until = None
    for i in range(LOCK_AFTER - 1, len(failures)):
        if utc(failures[i]) - utc(failures[i - LOCK_AFTER + 1]) < LOCK_WINDOW:
            until = utc(failures[i]) + LOCK_FOR
    return until


async def set_password(
    uow: UnitOfWork, telegram_id: int, password: str, now: datetime, actor: str = "cli"
) -> str | None:
    """Set a staff member's workbench password; an error sentence when it cannot be set."""
    staff = await uow.staff.by_telegram_id(int(telegram_id))
    if staff is None or not staff.active:
        uow.audits.add(actor, "desk_passwd", f"tg:{int(telegram_id)}", False, {"why": "not_staff"})
        return "没有这个在职的工作人员账号，请先用 `python -m bot staff add` 添加。"
    if len(password) < MIN_PASSWORD:
        return f"密码至少需要{MIN_PASSWORD}个字符。"
    await uow.credentials.set(staff.id, HASHER.hash(password), utc(now))
    await uow.desk_sessions.drop_of_staff(staff.id)  # a new password signs every old session out
    uow.audits.add(actor, "desk_passwd", f"tg:{staff.telegram_id}", True, {})
    return None


async def login(uow: UnitOfWork, account: str, password: str, now: datetime, remote: str | None = None) -> Login:
    now = utc(now)
    account = account.strip()
    subject = f"desk:{account[:40]}"
    attempts = uow.attempts
    failures = await attempts.failures_since("login", subject, now - LOCK_WINDOW - LOCK_FOR)
    until = lock_until(failures)
    if until is not None and now < until:
        uow.audits.add(subject, "desk_login", None, False, {"why": "locked", "remote": remote})
        return Login(False, LOCKED.format(until=until.astimezone(BEIJING)))
    staff = await uow.staff.by_telegram_id(int(account)) if account.isdigit() and len(account) < 19 else None
    cred = await uow.credentials.of(staff.id) if staff is not None else None
    ok = _verify(cred.password_hash if cred else _DUMMY, password) and cred is not None
    if ok and not staff.active:
        uow.audits.add(subject, "desk_login", None, False, {"why": "inactive", "remote": remote})
        return Login(False, "该工作人员账号已停用，不能登录。")
    if not ok:
        attempts.add("login", subject, False, now)
        uow.audits.add(subject, "desk_login", None, False, {"why": "wrong_password", "remote": remote})
        until = lock_until([*failures, now])
        if until is not None and now < until:
            uow.audits.add(subject, "desk_lock", None, True, {"until": until.isoformat()})
            return Login(False, LOCKED.format(until=until.astimezone(BEIJING)))
        return Login(False, WRONG)
    attempts.add("login", subject, True, now)
    if HASHER.check_needs_rehash(cred.password_hash):
        cred.password_hash = HASHER.hash(password)
    token = secrets.token_urlsafe(32)
    uow.desk_sessions.add(token_hash(token), staff.id, secrets.token_urlsafe(32), now)
    uow.audits.add(subject, "desk_login", None, True, {"remote": remote})
    await uow.flush()
    return Login(True, token=token)


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class Current:
    session: DeskSession | None
    staff: Staff | None
    problem: str | None = None  # why there is no session, in words


async def current(uow: UnitOfWork, token: str | None, now: datetime) -> Current:
    if not token:
        return Current(None, None)
    repo = uow.desk_sessions
    found = await repo.with_staff(token_hash(token))
    if found is None:
        return Current(None, None)
    session, staff = found
    now = utc(now)
    if now - utc(session.last_seen_at) > IDLE:
        await repo.drop(session.id)
        uow.audits.add(f"desk:{staff.telegram_id}", "desk_expired", None, True, {})
        return Current(None, None, "您已30分钟没有操作，登录已过期，请重新登录。")
    if not staff.active:
        await repo.drop(session.id)
        uow.audits.add(f"desk:{staff.telegram_id}", "desk_session", None, False, {"why": "inactive"})
        return Current(None, None, "该工作人员账号已停用，不能继续使用工作台。")
    await repo.touch(session.id, now)
    return Current(session, staff)


async def logout(uow: UnitOfWork, session: DeskSession, staff: Staff) -> None:
    await uow.desk_sessions.drop(session.id)
    uow.audits.add(f"desk:{staff.telegram_id}", "desk_logout", None, True, {})
