"""Time helpers: every stored time is UTC; working days are counted in Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def utc(value: datetime) -> datetime:
    """Aware UTC; naive values (SQLite hands them back) are taken as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local_day(value: datetime) -> date:
    return utc(value).astimezone(BEIJING).date()


def local_text(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{utc(value).astimezone(BEIJING):%Y年%m月%d日 %H:%M}"


def utcnow() -> datetime:
    return datetime.now(UTC)
