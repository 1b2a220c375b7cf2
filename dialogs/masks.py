"""How personal values are shown masked: ID and phone numbers, bank accounts, names."""

from __future__ import annotations


def mask_number(number: str) -> str:
    """An ID or phone number: the first three and last four characters stay, the rest are stars."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_account(digits: str) -> str:
    """A bank account: the first and last four digits, grouped as on a card."""
    if len(digits) <= 8:
        return "*" * max(len(digits) - 4, 0) + digits[-4:]
    return f"{digits[:4]} **** **** {digits[-4:]}"


def mask_name(name: str | None) -> str:
    """A person's name: the family name's first character, then stars."""
    name = (name or "").strip()
    return name[0] + "*" * max(len(name) - 1, 1) if name else "*"
