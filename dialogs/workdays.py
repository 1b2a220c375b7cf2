"""Working-day arithmetic with China's official holidays and 调休, from a project-owned JSON file."""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Deadline:
    due: date
    provisional: bool  # some day counted lies in a year whose holiday schedule is not published yet


class WorkCalendar:
    """Weekends off, except 调休 working weekends; weekday holidays off. Unknown years: Mon-Fri."""

    def __init__(self, data: dict[str, Any]) -> None:
        years = data.get("years", {})
        self._years = frozenset(int(y) for y in years)
        self._holidays = frozenset(
            date.fromisoformat(d) for y in years.values() for d in y.get("holidays", ())
        )
        self._workdays = frozenset(
            date.fromisoformat(d) for y in years.values() for d in y.get("workdays", ())
        )
        self.source: str = data.get("source", "")

    @classmethod
    def load(cls) -> "WorkCalendar":
        return _default_calendar()

    @property
    def covered_years(self) -> frozenset[int]:
        return self._years

    def covers(self, year: int) -> bool:
        return year in self._years

    def is_workday(self, d: date) -> bool:
        if d in self._workdays:
            return True
        if d in self._holidays:
            return False
        return d.weekday() < 5

    def add_workdays(self, start: date, n: int) -> Deadline:
        """The n-th working day strictly after `start` (开始的当日不计入, 《民法典》第二百零一条)."""
        if n < 0:
            raise ValueError("n must not be negative")
        d, count, provisional = start, 0, False
        while count < n:
            d += timedelta(days=1)
            provisional = provisional or not self.covers(d.year)
            if self.is_workday(d):
                count += 1
        return Deadline(d, provisional if n else not self.covers(start.year))

    def workdays_between(self, a: date, b: date) -> int:
        """Working days after `a` up to and including `b`; negative when `b` is before `a`."""
        if b < a:
            return -self.workdays_between(b, a)
        count, d = 0, a
        while d < b:
            d += timedelta(days=1)
            count += self.is_workday(d)
        return count


@cache
def _default_calendar() -> WorkCalendar:
    text = resources.files("dialogs").joinpath("data", "cn_workdays.json").read_text(encoding="utf-8")
    return WorkCalendar(json.loads(text))
