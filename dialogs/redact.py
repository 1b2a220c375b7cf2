"""Masks ID, bank and phone numbers (and bot tokens) inside free text before it leaves its room.

The one masking module: logs (bot.logs), help-desk tickets and whatever staff chats receive.
A number counts however it is written: with spaces, dashes, dots or slashes between digit groups,
in full-width digits, or glued to words ("身份证130102…"). Runs of digits are normalised first and
judged by how many digits they hold (12–15 digits count as a bank account only after a bank word
or with UnionPay's 62 prefix, so a registration number stays readable), so "1301 0219 8808 0831 73", "139-1234-0987",
"６２２２．０２１２．…" are all caught. Reference numbers (LJ…) are left readable.
"""

from __future__ import annotations

import re

from dialogs.masks import mask_account, mask_number

_TOKENS = (
    (re.compile(r"bot\d{5,}:[A-Za-z0-9_-]{20,}"), "bot<token>"),
    (re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}"), "<token>"),
)
_FULL = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")
_D = "0-9０-９"
_SEP = r"[ \t\u00a0\u3000\-‐‑‒–—―－−.．·・/／_]"
_BANKISH = re.compile(r"卡号|账号|帐号|账户|帐户|银行|卡|account|card", re.IGNORECASE)
_RUN = re.compile(rf"(?<![{_D}])[{_D}](?:{_SEP}{{0,2}}[{_D}])*(?:{_SEP}{{0,2}}[XxＸｘ](?![A-Za-z]))?")


def _mask_run(match: re.Match) -> str:
    raw = match.group(0)
    digits = re.sub(r"[^0-9X]", "", raw.translate(_FULL).upper())
    n = len(digits)
    before = match.string[max(0, match.start() - 2) : match.start()]
    context = match.string[max(0, match.start() - 8) : match.start()]
    if n < 10 or before.upper().endswith("LJ"):
        return raw
    if n in (15, 18) and (digits[:-1].isdigit()):
        return mask_number(digits)  # ID number
    if "X" in digits:
        return raw
    if n == 11 and re.match(r"1[3-9]", digits):
        return mask_number(digits)  # mobile
    if n == 13 and digits.startswith("86") and re.match(r"1[3-9]", digits[2:]):
        return "86 " + mask_number(digits[2:])  # +86 mobile
    if digits.startswith("0") and n <= 12:
        return digits[:4] + "*" * (n - 6) + digits[-2:]  # landline with area code
    if n >= 16 or (n >= 12 and (digits.startswith("62") or _BANKISH.search(context))):
        return mask_account(digits)  # bank account (12–19 digits)
    return raw  # e.g. a registration number 1301-2026-0001


def redact(text: str) -> str:
    if not text:
        return text
    for pattern, repl in _TOKENS:
        text = pattern.sub(repl, text)
    return _RUN.sub(_mask_run, text)
