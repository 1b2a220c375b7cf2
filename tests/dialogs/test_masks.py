"""Masked display of personal values: ID and phone numbers, bank accounts, names."""

from __future__ import annotations

import pytest

from dialogs.masks import mask_account, mask_name, mask_number


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13010219900307123X", "130***********123X"),
        ("USA110085010123", "USA********0123"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_number_id(number, masked):
    assert mask_number(number) == masked
    assert len(mask_number(number)) == len(number)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("123", "***")],
)
def test_mask_number_phone(phone, masked):
    assert mask_number(phone) == masked


@pytest.mark.parametrize(
    ("digits", "masked"),
    [
        ("6222021234561234", "6222 **** **** 1234"),
        ("6222021234567891234", "6222 **** **** 1234"),
        ("12345678", "****5678"),
    ],
)
def test_mask_account(digits, masked):
    assert mask_account(digits) == masked


@pytest.mark.parametrize(
    ("name", "masked"), [("张𫖮", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), ("", "*"), (None, "*")]
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked
