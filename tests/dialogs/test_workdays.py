from datetime import date, timedelta

import pytest
from holidays.calendars.gregorian import JAN
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.workdays import Deadline, WorkCalendar

CAL = WorkCalendar.load()


class Schedule2027:
    """A made-up 2027 notice in the holidays package's format: Monday 1-4 off, Saturday 1-9 worked."""

    special_public_holidays = {2027: ((JAN, 4, JAN, 9),)}


def test_load_is_cached_and_knows_published_years():
    assert WorkCalendar.load() is CAL
    assert all(CAL.covers(y) for y in (2024, 2025, 2026))
    assert not CAL.covers(2027)
    assert CAL.source.startswith("holidays 0.108")


@pytest.mark.parametrize(
    ("day", "work"),
    [
        (date(2026, 1, 1), False),  # 元旦
        (date(2026, 1, 4), True),  # Sunday 调休
        (date(2026, 2, 14), True),  # Saturday 调休 before 春节
        (date(2026, 2, 16), False),  # 春节, Monday
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday 调休
        (date(2026, 10, 1), False),
        (date(2026, 10, 10), True),
        (date(2026, 11, 28), False),  # plain Saturday
        (date(2026, 11, 30), True),
        (date(2027, 1, 1), False),  # unpublished year: the statutory 元旦 is still off
        (date(2027, 2, 9), False),  # 春节 2027 falls on Saturday 2-6: made up on a weekday (第795号 第六条)
        (date(2027, 1, 2), False),
        (date(2027, 1, 4), True),
    ],
)
def test_is_workday(day, work):
    assert CAL.is_workday(day) is work


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Thu; skips 中秋 9-25..27 and 国庆 10-1..7, counts Saturday 10-10
        (date(2026, 9, 24), 15, Deadline(date(2026, 10, 22), False)),
        # accepted on a Saturday: the weekend is not counted
        (date(2026, 11, 28), 15, Deadline(date(2026, 12, 18), False)),
        # from a plain weekday
        (date(2026, 11, 23), 15, Deadline(date(2026, 12, 14), False)),
        (date(2026, 11, 23), 1, Deadline(date(2026, 11, 24), False)),
        # from a Friday, the next working day is Monday
        (date(2026, 11, 27), 1, Deadline(date(2026, 11, 30), False)),
        # 春节 2026: Saturdays 2-14 and 2-28 are working days, 2-15..2-23 off
        (date(2026, 2, 12), 2, Deadline(date(2026, 2, 14), False)),
        (date(2026, 2, 12), 5, Deadline(date(2026, 2, 26), False)),
        (date(2026, 2, 12), 15, Deadline(date(2026, 3, 11), False)),
        (date(2026, 2, 13), 15, Deadline(date(2026, 3, 12), False)),
        # deadline runs into 2027, whose schedule is not published yet
        (date(2026, 12, 20), 15, Deadline(date(2027, 1, 11), True)),
        (date(2026, 12, 11), 15, Deadline(date(2027, 1, 4), True)),
        (date(2026, 12, 24), 15, Deadline(date(2027, 1, 15), True)),
        (date(2026, 12, 30), 1, Deadline(date(2026, 12, 31), False)),
        (date(2026, 12, 31), 1, Deadline(date(2027, 1, 4), True)),
        (date(2026, 11, 28), 0, Deadline(date(2026, 11, 28), False)),
        (date(2027, 3, 1), 0, Deadline(date(2027, 3, 1), True)),
    ],
)
def test_add_workdays(start, n, expected):
    assert CAL.add_workdays(start, n) == expected


def test_negative_count_is_a_programming_error():
    with pytest.raises(ValueError):
        CAL.add_workdays(date(2026, 1, 5), -1)


def test_publishing_2027_makes_the_deadline_final():
    cal = WorkCalendar([Schedule2027])
    assert cal.covers(2027) and not cal.is_workday(date(2027, 1, 4)) and cal.is_workday(date(2027, 1, 9))
    assert cal.add_workdays(date(2026, 12, 20), 15) == Deadline(date(2027, 1, 11), False)
    assert CAL.add_workdays(date(2026, 12, 20), 15).provisional


@pytest.mark.parametrize(
    ("a", "b", "count"),
    [
        (date(2026, 11, 28), date(2026, 12, 18), 15),
        (date(2026, 9, 24), date(2026, 10, 22), 15),
        (date(2026, 12, 18), date(2026, 12, 18), 0),
        (date(2026, 12, 18), date(2026, 12, 21), 1),
        (date(2026, 12, 21), date(2026, 12, 18), -1),
        (date(2026, 12, 22), date(2026, 12, 18), -2),
        (date(2026, 2, 13), date(2026, 2, 24), 2),
    ],
)
def test_workdays_between(a, b, count):
    assert CAL.workdays_between(a, b) == count


@settings(max_examples=200, deadline=None)
@given(start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)), n=st.integers(1, 40))
def test_deadline_is_the_nth_working_day_after_start(start, n):
    deadline = CAL.add_workdays(start, n)
    assert CAL.is_workday(deadline.due)
    assert CAL.workdays_between(start, deadline.due) == n
    assert CAL.workdays_between(start, deadline.due - timedelta(days=1)) == n - 1
    assert deadline.provisional == (deadline.due.year > 2026)
