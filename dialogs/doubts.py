"""Answers that are valid but doubtful: asked back for a confirmation, never silently kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

FUTURE_DAYS = 31  # an employment start further ahead than this is probably a typo


def _registration(value: Any, answers: dict, today: date) -> str | None:
    if value == "terminate":
        return (
            "您选择的登记类型是“终止就业”。本次办理的是灵活就业的就业登记，通常应选“登记就业”；"
            "“终止就业”用于结束已登记的就业。"
        )
    return None


def _employed_on(value: Any, answers: dict, today: date) -> str | None:
    d = date.fromisoformat(str(value))
    if d > today + timedelta(days=FUTURE_DAYS):
        return f"您填写的就业时间是{d.year}年{d.month}月{d.day}日，在今天之后{(d - today).days}天。"
    return None


def _bank_holder(value: Any, answers: dict, today: date) -> str | None:
    name = answers.get("name")
    if name and value and value != name:
        return f"银行户名“{value}”与申请人姓名“{name}”不一致。灵活就业人员的社会保险费、医疗保险费一般从本人账户扣缴。"
    return None


DOUBTS: dict[str, Callable[[Any, dict, date], str | None]] = {
    "registration_type": _registration,
    "employed_on": _employed_on,
    "bank_holder": _bank_holder,
}


def doubt(key: str, value: Any, answers: dict, today: date) -> str | None:
    """The question to confirm `value` of field `key`, or None when nothing is doubtful."""
    check = DOUBTS.get(key)
    return check(value, answers, today) if check and value not in (None, "") else None
