"""The one masking module: numbers caught however they are written, references left readable."""

from __future__ import annotations

import pytest

from dialogs.redact import redact

ID = "130102199003071233"
PHONE = "13912340987"
BANK = "6222021234567890128"


@pytest.mark.parametrize(
    "written",
    [
        ID,
        "1301 0219 9003 0712 33",
        "130102-19900307-1233",
        "130102.19900307.1233",
        "１３０１０２１９９００３０７１２３３",
        "130102　1990　0307　1233",
        "13010219900307123X",
        "13010219900307123ｘ",
        PHONE,
        "139 1234 0987",
        "139-1234-0987",
        "139.1234.0987",
        "１３９－１２３４－０９８７",
        "+86 139 1234 0987",
        BANK,
        "6222 0212 3456 7890 128",
        "6222-0212-3456-7890-128",
        "６２２２ ０２１２ ３４５６ ７８９０ １２８",
        "0311-87654321",
        "010 1234 5678",
        "6222 0212 3456",
        "卡号 4367 4212 3456",
    ],
)
def test_numbers_are_masked_however_written(written):
    out = redact(f"我的号码是{written}，请帮忙")
    digits = "".join(c for c in written.translate(str.maketrans("０１２３４５６７８９", "0123456789")) if c.isdigit())
    assert digits not in "".join(c for c in out if c.isdigit())
    assert "*" in out and out.startswith("我的号码是") and out.endswith("，请帮忙")


@pytest.mark.parametrize(
    "kept",
    [
        "受理编号 LJ261123-1234567",
        "2026-12-01 10:30",
        "第3/45项",
        "update 123456789 handled",
        "127.0.0.1",
        "金额 1234.56 元",
        "就业登记号 1301-2026-0001",
    ],
)
def test_ordinary_text_and_references_stay_readable(kept):
    assert redact(kept) == kept


def test_masks_keep_only_the_ends():
    assert redact(ID) == "130***********1233"
    assert redact("139 1234 0987") == "139****0987"
    assert redact(BANK) == "6222 **** **** 0128"


def test_bot_tokens_are_removed():
    assert redact("GET /bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe") == "GET /bot<token>/getMe"
