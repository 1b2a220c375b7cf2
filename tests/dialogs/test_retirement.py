from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.retirement import (
    AgeCheck,
    RetireCategory,
    check_working_age,
    full_years,
    retirement_date,
    retirement_months,
)

M, F55, F50 = RetireCategory.MALE, RetireCategory.FEMALE_55, RetireCategory.FEMALE_50


# Worked examples of domain facts §2.2 (from the 对照表 of the 2024 办法).
@pytest.mark.parametrize(
    ("birth", "category", "age_months", "retire"),
    [
        (date(1964, 12, 10), M, 60 * 12, date(2024, 12, 10)),
        (date(1965, 1, 15), M, 60 * 12 + 1, date(2025, 2, 15)),
        (date(1965, 5, 1), M, 60 * 12 + 2, date(2025, 7, 1)),
        (date(1970, 6, 30), M, 61 * 12 + 5, date(2031, 11, 30)),
        (date(1976, 9, 1), M, 63 * 12, date(2039, 9, 1)),
        (date(1971, 4, 20), F55, 55 * 12 + 4, date(2026, 8, 20)),
        (date(1981, 9, 1), F55, 58 * 12, date(2039, 9, 1)),
        (date(1975, 1, 31), F50, 50 * 12 + 1, date(2025, 2, 28)),
        (date(1980, 6, 15), F50, 52 * 12 + 9, date(2033, 3, 15)),
        (date(1984, 11, 2), F50, 55 * 12, date(2039, 11, 2)),
    ],
)
def test_worked_examples(birth, category, age_months, retire):
    assert retirement_months(birth, category) == age_months
    assert retirement_date(birth, category) == retire


@pytest.mark.parametrize(
    ("category", "last_unaffected", "capped_from", "cap_months"),
    [
        (M, date(1964, 12, 31), date(1976, 9, 1), 63 * 12),
        (F55, date(1969, 12, 31), date(1981, 9, 1), 58 * 12),
        (F50, date(1974, 12, 31), date(1984, 11, 1), 55 * 12),
    ],
)
def test_reform_bounds(category, last_unaffected, capped_from, cap_months):
    base = {M: 60, F55: 55, F50: 50}[category] * 12
    assert retirement_months(last_unaffected, category) == base
    assert retirement_months(last_unaffected + timedelta(days=1), category) == base + 1
    assert retirement_months(capped_from, category) == cap_months
    assert retirement_months(capped_from - timedelta(days=31), category) < cap_months
    assert retirement_months(date(2000, 1, 1), category) == cap_months


@pytest.mark.parametrize(
    ("birth", "on", "years"),
    [
        (date(2010, 11, 28), date(2026, 11, 28), 16),
        (date(2010, 11, 29), date(2026, 11, 28), 15),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_full_years(birth, on, years):
    assert full_years(birth, on) == years


ON = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("birth", "sex", "expected"),
    [
        # domain facts: man born 1966-02-10 retired 2026-06; man born 1966-10 retires 2027-04
        (date(1966, 2, 10), "男", AgeCheck(False, "retired", 60, date(2026, 6, 10), False)),
        (date(1966, 10, 5), "男", AgeCheck(True, None, 60, date(2027, 4, 5), False)),
        (date(2010, 11, 28), "男", AgeCheck(True, None, 16, retirement_date(date(2010, 11, 28), M), False)),
        (date(2010, 11, 29), "女", AgeCheck(False, "too_young", 15, retirement_date(date(2010, 11, 29), F55), False)),
        (date(1990, 5, 1), "女", AgeCheck(True, None, 36, date(2048, 5, 1), False)),
        # 50-baseline (50y9m) is 2027-03-01, not reached yet; 55-baseline is 56y8m
        (date(1976, 6, 1), "女", AgeCheck(True, None, 50, date(2033, 2, 1), False)),
        # 50-baseline (50y6m) 2026-06-15 has passed, 55-baseline (56y6m) 2032-06-15 not: borderline
        (date(1975, 12, 15), "女", AgeCheck(True, None, 50, retirement_date(date(1975, 12, 15), F55), True)),
        # sex unknown (a 2023 permanent-residence card): a man's ceiling, the latest, until it is asked
        (date(1975, 12, 15), None, AgeCheck(True, None, 50, retirement_date(date(1975, 12, 15), M), False)),
        (date(1975, 12, 15), "男", AgeCheck(True, None, 50, retirement_date(date(1975, 12, 15), M), False)),
        # 1971-04-20 female_55 retired 2026-08-20
        (date(1971, 4, 20), "女", AgeCheck(False, "retired", 55, date(2026, 8, 20), False)),
        (date(1971, 4, 20), None, AgeCheck(True, None, 55, retirement_date(date(1971, 4, 20), M), False)),
    ],
)
def test_check_working_age(birth, sex, expected):
    assert check_working_age(birth, sex, ON) == expected


def test_retirement_day_itself_is_not_working_age():
    birth = date(1971, 4, 20)
    assert check_working_age(birth, "女", date(2026, 8, 19)).ok
    assert check_working_age(birth, "女", date(2026, 8, 20)).reason == "retired"


def test_borderline_window_edges():
    birth = date(1980, 6, 15)
    r50, r55 = retirement_date(birth, F50), retirement_date(birth, F55)
    assert r50 < r55
    assert not check_working_age(birth, "女", r50 - timedelta(days=1)).borderline
    assert check_working_age(birth, "女", r50).borderline
    assert check_working_age(birth, "女", r55 - timedelta(days=1)).borderline
    last = check_working_age(birth, "女", r55)
    assert (last.ok, last.reason, last.borderline) == (False, "retired", False)


@settings(max_examples=200, deadline=None)
@given(birth=st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31)))
def test_retirement_order_and_monotonicity(birth):
    r50, r55, rm = (retirement_date(birth, c) for c in (F50, F55, M))
    assert r50 < r55 < rm
    # The official tables are month-granular: the retirement month is 55 to 58 years after the
    # birth month (a 29 February birth retires on the last day of that month in a common year).
    months = (r55.year - birth.year) * 12 + r55.month - birth.month
    assert 55 * 12 <= months <= 58 * 12
    later = birth + timedelta(days=40)
    for c in RetireCategory:
        assert retirement_months(later, c) >= retirement_months(birth, c)


def test_leap_day_birth_retires_at_the_end_of_february_in_a_common_year():
    birth = date(1968, 2, 29)
    r55 = retirement_date(birth, F55)
    assert r55.month == 2 and r55.day == (29 if r55.year % 4 == 0 else 28)
