"""Reference numbers that are unique and easy to read aloud: LJ + date + six digits + a Luhn digit."""

from __future__ import annotations

import secrets
from datetime import date

from dialogs.values import luhn_digit


def new_reference(on: date, rand: int | None = None) -> str:
    body = f"{on:%y%m%d}{(secrets.randbelow(1_000_000) if rand is None else rand):06d}"
    return f"LJ{body[:6]}-{body[6:]}{luhn_digit(body)}"


def is_valid_reference(ref: str) -> bool:
    ref = ref.strip().upper()
    if len(ref) != 16 or not ref.startswith("LJ") or ref[8] != "-":
        return False
    digits = ref[2:8] + ref[9:15]
    return digits.isdigit() and ref[15:].isdigit() and luhn_digit(digits) == ref[15]
