"""The applicant's confirmation and deadline texts: a deadline in an unpublished holiday year is 预计."""

from __future__ import annotations

from datetime import date

from dialogs.status import confirmation, deadline_text


def test_a_deadline_is_a_date_and_a_provisional_one_says_so():
    assert deadline_text(date(2026, 12, 14), provisional=False) == "2026年12月14日"
    assert deadline_text(date(2027, 1, 20), provisional=True) == "预计2027年01月20日（节假日安排公布后更新）"
    assert deadline_text(None, provisional=False) == "受理后确定"


def test_confirmation_carries_the_reference_and_the_provisional_mark():
    text = confirmation("LJ261128-4827310", date(2027, 1, 20), provisional=True).text
    assert "受理编号：LJ261128-4827310" in text
    assert "如今日受理，预计办结日期：预计2027年01月20日（节假日安排公布后更新）。" in text
    assert "预计2026" not in confirmation("LJ261128-4827310", date(2026, 12, 14), provisional=False).text
