"""Working-day arithmetic on China's official calendar, from the `holidays` package.

The package knows the statutory holidays of any year (国务院令第795号 全国年节及纪念日放假办法, with
a holiday falling on a weekend made up on the next working day, its article 6) and, for the years
the 国务院办公厅 has published its 节假日安排 notice, the actual days off and 调休 make-up working
days. A year is *published* when the package lists its special (调休) days; a deadline that counts
a day of any other year is provisional (预计) and is recomputed once a newer package knows it
(dispatch.deadlines.confirm_provisional).

The package is imported when a calendar is first consulted, not with this module: importing its
China calendar imports every country's (~0.2 s of CPU), which a bot's start-up and its first
replies do not need. `warm_up` loads it ahead of use (the bot does, in a thread, once start-up is done).
"""

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache


@dataclass(frozen=True)
class Deadline:
    due: date
    provisional: bool  # some day counted lies in a year whose 调休 schedule is not published yet


class WorkCalendar:
    """China's working days. `schedules` adds published years in the package's own format
    (classes with `special_public_holidays`), as a newer package release would."""

    def __init__(self, schedules: Iterable[type] = ()) -> None:
        self._schedules = tuple(schedules)
        self._loaded: tuple[object, frozenset[int], str] | None = None  # (China, years, source)
        self._lock = threading.Lock()

    @classmethod
    def load(cls) -> "WorkCalendar":
        return _default_calendar()

    def warm_up(self) -> None:
        """Import the package and build the China calendar now (idempotent, thread-safe)."""
        self._data()

    def _data(self) -> tuple[object, frozenset[int], str]:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = _load(self._schedules)
        return self._loaded

    @property
    def _cn(self):
        return self._data()[0]

    @property
    def covered_years(self) -> frozenset[int]:
        return self._data()[1]

    @property
    def source(self) -> str:
        return self._data()[2]

    def covers(self, year: int) -> bool:
        """Whether the year's 调休 schedule is published (known to the package)."""
        return year in self.covered_years

    def is_workday(self, d: date) -> bool:
        return self._cn.is_working_day(d)

    def add_workdays(self, start: date, n: int) -> Deadline:
        """The n-th working day strictly after `start` (开始的当日不计入, 《民法典》第二百零一条)."""
        if n < 0:
            raise ValueError("n must not be negative")
        if n == 0:
            return Deadline(start, not self.covers(start.year))
        due = self._cn.get_nth_working_day(start, n)
        provisional = any(not self.covers(y) for y in range(start.year, due.year + 1))
        return Deadline(due, provisional)

    def workdays_between(self, a: date, b: date) -> int:
        """Working days after `a` up to and including `b`; negative when `b` is before `a`."""
        if b < a:
            return -self.workdays_between(b, a)
        if a == b:
            return 0
        return self._cn.get_working_days_count(a + timedelta(days=1), b)


def _load(schedules: tuple[type, ...]) -> tuple[object, frozenset[int], str]:
    from importlib.metadata import version

    import holidays
    from holidays.countries.china import ChinaStaticHolidays

    china = holidays.China(static_holidays_classes=schedules)
    years = frozenset(
        y for cls in (ChinaStaticHolidays, *schedules) for y in getattr(cls, "special_public_holidays", {})
    )
    return china, years, f"holidays {version('holidays')} (China: 国务院令第795号; 国务院办公厅节假日安排)"


@cache
def _default_calendar() -> WorkCalendar:
    return WorkCalendar()
