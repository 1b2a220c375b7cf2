"""Staff accounts, roles and the authorisation check; every attempt is audited."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dialogs import departments
from storage.models import Staff
from storage.uow import UnitOfWork


class Role(StrEnum):
    admin = "admin"
    window = "window"
    clerk = "clerk"
    helpdesk = "helpdesk"


CLERK_ACTIONS = frozenset({"claim", "release", "done", "correct", "reject", "view"})
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.window: frozenset({"accept", "return", "refuse", "view", "export", "withdraw"}),
    Role.clerk: CLERK_ACTIONS | {"view_case"},  # a department's packet: clerks (and admins), not the window
    Role.helpdesk: frozenset({"status", "answer", "close_ticket", "faq_add"}),
}
# A department's own system acting through the signed callback claims as this id.
WEBHOOK_IDS = {d.key: d.webhook_id for d in departments.DEPARTMENTS}


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member by Telegram id, or a department system that signed its callback."""

    key: str
    telegram_id: int | None = None
    department: str | None = None

    @classmethod
    def staff(cls, telegram_id: int) -> Actor:
        return cls(key=f"tg:{int(telegram_id)}", telegram_id=int(telegram_id))

    @classmethod
    def webhook(cls, department: str) -> Actor:
        return cls(key=f"webhook:{department}", department=department)


@dataclass(frozen=True)
class Principal:
    """An authorised actor: the id recorded as a case's claimer, and whether it is an admin."""

    key: str
    claimer: int
    admin: bool
    staff: Staff | None = None


def _allowed(staff: Staff | None, action: str, department: str | None) -> tuple[bool, str]:
    if staff is None:
        return False, "not_staff"
    if not staff.active:
        return False, "inactive"
    role = Role(staff.role)
    if role == Role.admin:
        return True, "admin"
    if action not in PERMISSIONS.get(role, ()):
        return False, "role"
    if role == Role.clerk and (department is None or staff.department != department):
        return False, "department"
    return True, role.value


async def authorize(
    uow: UnitOfWork, telegram_id: int, action: str, department: str | None = None, *, target: str | None = None
) -> Staff | None:
    """The staff row if `telegram_id` may do `action` (for `department`); audited either way."""
    staff = await uow.staff.by_telegram_id(int(telegram_id))
    ok, why = _allowed(staff, action, department)
    uow.audits.add(
        f"tg:{int(telegram_id)}",
        action,
        target,
        ok,
        {"department": department, "role": staff.role if staff else None, "why": why},
    )
    return staff if ok else None


async def authorize_actor(
    uow: UnitOfWork, actor: Actor, action: str, department: str | None, *, target: str | None = None
) -> Principal | None:
    if actor.telegram_id is not None:
        staff = await authorize(uow, actor.telegram_id, action, department, target=target)
        if staff is None:
            return None
        return Principal(actor.key, staff.telegram_id, Role(staff.role) == Role.admin, staff)
    ok = actor.department in WEBHOOK_IDS and actor.department == department and action in CLERK_ACTIONS
    uow.audits.add(actor.key, action, target, ok, {"department": department, "role": "webhook"})
    return Principal(actor.key, WEBHOOK_IDS[actor.department], False) if ok else None


async def add_staff(
    uow: UnitOfWork, telegram_id: int, name: str, role: str, department: str | None = None, *, actor: str = "cli"
) -> Staff:
    """Create or re-activate an account; a clerk belongs to exactly one department."""
    role = Role(role)
    if role == Role.clerk and department not in departments.BY_KEY:
        raise ValueError(f"a clerk needs a department: one of {', '.join(departments.KEYS)}")
    if role != Role.clerk:
        department = None
    row = await uow.staff.by_telegram_id(int(telegram_id))
    if row is None:
        row = Staff(telegram_id=int(telegram_id), name=name, role=role, department=department, active=True)
        uow.staff.add(row)
    else:
        row.name, row.role, row.department, row.active = name, role, department, True
    uow.audits.add(actor, "staff_add", f"tg:{int(telegram_id)}", True, {"role": role.value, "department": department})
    await uow.flush()
    return row


async def remove_staff(uow: UnitOfWork, telegram_id: int, *, actor: str = "cli") -> bool:
    """Deactivate (the audit trail keeps the account); effective on the next authorisation."""
    row = await uow.staff.by_telegram_id(int(telegram_id))
    uow.audits.add(actor, "staff_remove", f"tg:{int(telegram_id)}", row is not None, {})
    if row is None or not row.active:
        return False
    row.active = False
    await uow.flush()
    return True


async def list_staff(uow: UnitOfWork, include_inactive: bool = False) -> list[Staff]:
    return await uow.staff.all(include_inactive)
