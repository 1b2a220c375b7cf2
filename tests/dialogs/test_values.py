from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.errors import InputError
from dialogs.values import (
    luhn_digit,
    luhn_ok,
    parse_bank_account,
    parse_date,
    parse_free_text,
    parse_name,
    parse_phone,
)

TODAY = date(2026, 11, 28)
PARSERS = [
    lambda s: parse_date(s, TODAY),
    parse_phone,
    parse_bank_account,
    parse_name,
    parse_free_text,
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("2026/3/1", date(2026, 3, 1)),
        ("2026.3.1", date(2026, 3, 1)),
        ("2026年3月1日", date(2026, 3, 1)),
        ("2026年3月1号", date(2026, 3, 1)),
        ("2026 年 3 月 1 日", date(2026, 3, 1)),
        ("20260301", date(2026, 3, 1)),
        ("2026-3-1", date(2026, 3, 1)),
        ("２０２６－０３－０１", date(2026, 3, 1)),
        ("２０２６年３月１日", date(2026, 3, 1)),
        (" 2024-02-29 ", date(2024, 2, 29)),
        ("今天", TODAY),
        ("昨天", date(2026, 11, 27)),
        ("明天", date(2026, 11, 29)),
    ],
)
def test_parse_date_valid(raw, expected):
    assert parse_date(raw, TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "无法识别"),
        ("下周一", "无法识别"),
        ("2026-3", "无法识别"),
        ("26-3-1", "无法识别"),
        ("2026-13-01", "不是有效的日期"),
        ("2026-02-29", "不是有效的日期"),
        ("2026年4月31日", "不是有效的日期"),
        ("20260230", "不是有效的日期"),
        ("2026-00-10", "不是有效的日期"),
        ("0000-01-01", "不在合理范围"),
        ("2026-٠٣-٠١", "无法识别"),
    ],
)
def test_parse_date_invalid(raw, fragment):
    with pytest.raises(InputError) as exc:
        parse_date(raw, TODAY)
    assert fragment in exc.value.message
    assert "2026-03-01" in exc.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("(138)12345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_parse_phone_valid(raw, expected):
    assert parse_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "11位"),
        ("1381234567", "您输入的是10位"),
        ("138123456789", "您输入的是12位"),
        ("12812345678", "第二位是3到9"),
        ("23812345678", "以1开头"),
        ("0311-87654321", "座机"),
        ("138abc45678", "只能包含数字"),
        ("+1 202 555 0100", "只能包含数字"),
        ("86138123456", "第二位是3到9"),
    ],
)
def test_parse_phone_invalid(raw, fragment):
    with pytest.raises(InputError) as exc:
        parse_phone(raw)
    assert fragment in exc.value.message
    assert "13812345678" in exc.value.message


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("4111111111111111", True),
        ("6222021234567890128", True),
        ("60142870670591508", False),  # real BoCom card failing Luhn (gogf/gf #3360)
        ("4111111111111112", False),
        ("", False),
        ("12a4", False),
    ],
)
def test_luhn(digits, ok):
    assert luhn_ok(digits) is ok


def test_luhn_digit_is_the_one_luhn_ok_accepts():
    assert luhn_digit("7992739871") == "3"  # the textbook example
    assert luhn_digit("411111111111111") == "1" and luhn_digit("622202123456789012") == "8"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6222 0212 3456 7890 128", ("6222021234567890128", True)),
        ("6222-0212-3456-7890-128", ("6222021234567890128", True)),
        ("６２２２０２１２３４５６７８９０１２８", ("6222021234567890128", True)),
        ("60142870670591508", ("60142870670591508", False)),
        ("123456789012", ("123456789012", False)),
    ],
)
def test_parse_bank_account_valid(raw, expected):
    assert parse_bank_account(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "请输入银行卡号"),
        ("12345678901", "您输入的是11位"),
        ("12345678901234567890", "您输入的是20位"),
        ("6222 0212 3456 789O", "只能包含数字"),
        ("工商银行6222021234567890", "只能包含数字"),
    ],
)
def test_parse_bank_account_invalid(raw, fragment):
    with pytest.raises(InputError) as exc:
        parse_bank_account(raw)
    assert fragment in exc.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "张三"),
        (" 张 三 ", "张三"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("王𫖮", "王𫖮"),  # CJK Ext-B..G characters in names
        ("𬌗子", "𬌗子"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("爱新觉罗·溥仪", "爱新觉罗·溥仪"),
        ("JOHN SMITH", "JOHN SMITH"),
        ("  John   O’Brien ", "John O'Brien"),
        ("Jean-Luc Müller", "Jean-Luc Müller"),
        ("ＪＯＨＮ　ＳＭＩＴＨ", "JOHN SMITH"),
        ("李〇", "李〇"),
    ],
)
def test_parse_name_valid(raw, expected):
    assert parse_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "至少需要2个字"),
        ("张", "至少需要2个字"),
        ("张3", "不能包含数字"),
        ("张三２", "不能包含数字"),
        ("张三😀", "不能包含“😀”"),
        ("张三!", "不能包含“!”"),
        ("·张三", "间隔号"),
        ("张三·", "间隔号"),
        ("阿依古丽··买买提", "间隔号"),
        ("김철수", "不能包含"),
        ("张" * 31, "最多30个字"),
        ("张\x00三", "无法显示的字符"),
    ],
)
def test_parse_name_invalid(raw, fragment):
    with pytest.raises(InputError) as exc:
        parse_name(raw)
    assert fragment in exc.value.message
    assert "张三" in exc.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  石家庄市长安区建设北大街1号 ", "石家庄市长安区建设北大街1号"),
        ("第一行\n第二行", "第一行 第二行"),
        ("全角，标点。", "全角，标点。"),
        ("a\u200bb", "ab"),
    ],
)
def test_parse_free_text_valid(raw, expected):
    assert parse_free_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "max_len", "fragment"),
    [
        ("", 100, "不能为空"),
        ("   \n ", 100, "不能为空"),
        ("x" * 101, 100, "最多100个字"),
        ("abcdef", 5, "最多5个字"),
        ("a\x00b", 100, "控制字符"),
        ("evil\u202etxt.exe", 100, "控制字符"),
    ],
)
def test_parse_free_text_invalid(raw, max_len, fragment):
    with pytest.raises(InputError) as exc:
        parse_free_text(raw, max_len)
    assert fragment in exc.value.message


@settings(max_examples=200, deadline=None)
@given(parser=st.sampled_from(PARSERS), raw=st.text())
def test_random_text_raises_only_input_error(parser, raw):
    try:
        parser(raw)
    except InputError as exc:
        assert exc.message


@settings(max_examples=200, deadline=None)
@given(
    parser=st.sampled_from(PARSERS),
    raw=st.text(alphabet="0123456789年月日号-/.+() 今天", max_size=25),
)
def test_form_like_text_raises_only_input_error(parser, raw):
    try:
        parser(raw)
    except InputError as exc:
        assert exc.message  # the user is told what is wrong


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_date_formats_round_trip(day):
    for raw in (
        day.isoformat(),
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}/{day.month}/{day.day}",
    ):
        assert parse_date(raw, TODAY) == day
