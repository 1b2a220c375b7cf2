"""Statutory working age: minimum 16, retirement ages of the 2024 gradual-delay reform."""

import calendar
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

MIN_AGE = 16


class RetireCategory(StrEnum):
    MALE = "male"
    FEMALE_55 = "female_55"
    FEMALE_50 = "female_50"


@dataclass(frozen=True)
class _Rule:
    base_years: int
    first_year: int  # first birth month affected by the reform
    first_month: int
    step: int  # birth months per one month of delay
    cap: int  # maximum delay in months


# 《国务院关于渐进式延迟法定退休年龄的办法》(in force 2025-01-01), 对照表一至三.
_RULES = {
    RetireCategory.MALE: _Rule(60, 1965, 1, 4, 36),
    RetireCategory.FEMALE_55: _Rule(55, 1970, 1, 4, 36),
    RetireCategory.FEMALE_50: _Rule(50, 1975, 1, 2, 60),
}


@dataclass(frozen=True)
class AgeCheck:
    ok: bool
    reason: str | None  # None, "too_young" or "retired"
    age: int
    retire_date: date | None
    borderline: bool  # woman between the 50-baseline and 55-baseline retirement dates
    delayed: bool = field(
        default=False, compare=False
    )  # the 2024 reform delays this person's retirement (born in or after its first month)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def retirement_months(birth: date, category: RetireCategory) -> int:
    """Total retirement age in months for a birth date."""
    rule = _RULES[RetireCategory(category)]
    idx = (birth.year - rule.first_year) * 12 + (birth.month - rule.first_month) + 1
    delay = 0 if idx <= 0 else min(rule.cap, -(-idx // rule.step))
    return rule.base_years * 12 + delay


def is_delayed(birth: date, category: RetireCategory) -> bool:
    """Whether the gradual-delay reform covers this birth date at all."""
    return retirement_months(birth, category) > _RULES[RetireCategory(category)].base_years * 12


def retirement_date(birth: date, category: RetireCategory) -> date:
    return add_months(birth, retirement_months(birth, category))


def full_years(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def check_working_age(birth: date, sex: str | None, on: date) -> AgeCheck:
    """Gate on 法定劳动年龄; women use the permissive 55 baseline and are flagged when borderline.

    Which baseline applies to a female flexible worker is a provincial matter not confirmed for
    Hebei, so the bot never refuses a woman the departments might accept (see domain facts §2.3).
    """
    age = full_years(birth, on)
    male = sex == "男"
    # Sex unknown (a number that does not encode it): the latest ceiling, a man's, until it is known.
    category = RetireCategory.MALE if male or sex is None else RetireCategory.FEMALE_55
    retire = retirement_date(birth, category)
    if age < MIN_AGE:
        return AgeCheck(False, "too_young", age, retire, False)
    if on >= retire:
        return AgeCheck(False, "retired", age, retire, False, is_delayed(birth, category))
    borderline = sex == "女" and on >= retirement_date(birth, RetireCategory.FEMALE_50)
    return AgeCheck(True, None, age, retire, borderline)
