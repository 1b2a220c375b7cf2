"""Reference numbers: readable, dated, a check digit that catches a mistyped digit."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from dialogs.reference import is_valid_reference, new_reference


def test_format_is_dated_and_checked():
    ref = new_reference(date(2026, 11, 28), rand=482731)
    assert ref == "LJ261128-4827310"  # pinned: references already issued must stay valid
    assert is_valid_reference(ref) and is_valid_reference(ref.lower())


@given(st.integers(0, 999_999), st.integers(9, 14))
def test_any_single_digit_error_is_caught(rand, position):
    ref = new_reference(date(2026, 1, 5), rand=rand)
    wrong = ref[:position] + str((int(ref[position]) + 1) % 10) + ref[position + 1 :]
    assert not is_valid_reference(wrong)


def test_malformed_references_are_invalid():
    for bad in ("", "LJ", "XX261128-4827316", "LJ2611284827316X", "LJ261128-48273A6"):
        assert not is_valid_reference(bad)
