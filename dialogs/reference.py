"""Reference numbers that are unique and easy to read aloud: LJ + date + six digits + a check digit."""

from __future__ import annotations

import secrets
from datetime import date


def check_digit(digits: str) -> str:
    """Luhn check digit, so a mistyped reference is caught when read back."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def new_reference(on: date, rand: int | None = None) -> str:
    body = f"{on:%y%m%d}{(secrets.randbelow(1_000_000) if rand is None else rand):06d}"
    return f"LJ{body[:6]}-{body[6:]}{check_digit(body)}"


def is_valid_reference(ref: str) -> bool:
    ref = ref.strip().upper()
    if len(ref) != 16 or not ref.startswith("LJ") or ref[8] != "-":
        return False
    digits = ref[2:8] + ref[9:15]
    return digits.isdigit() and ref[15:].isdigit() and check_digit(digits) == ref[15]
