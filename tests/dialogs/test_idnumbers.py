from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.errors import InputError
from dialogs.idnumbers import (
    ID_TYPE_LABELS,
    IdInfo,
    IdType,
    check_id,
    mod11_2_check_char,
    normalize_id,
)

TODAY = date(2026, 11, 28)
R, P, F = IdType.RESIDENT, IdType.HMT_PERMIT, IdType.FOREIGN_PR


def with_check(first17: str) -> str:
    return first17 + mod11_2_check_char(first17)


def test_labels_cover_every_type():
    assert set(ID_TYPE_LABELS) == set(IdType)
    assert ID_TYPE_LABELS[R] == "居民身份证"


@pytest.mark.parametrize(
    ("first17", "check"),
    [("11010519491231002", "X"), ("44052418800101001", "4"), ("81000019900101001", "9")],
)
def test_mod11_2_standard_examples(first17, check):
    assert mod11_2_check_char(first17) == check


@pytest.mark.parametrize("bad", ["", "1234", "1101051949123100X", "１１０１０５１９４９１２３１００２"])
def test_mod11_2_rejects_non_digits(bad):
    with pytest.raises(ValueError):
        mod11_2_check_char(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002x", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        (" 110105 19491231 002X\n", "11010519491231002X"),
        ("110105-19491231-002X", "11010519491231002X"),
        ("110105\u300019491231\u200b002X", "11010519491231002X"),
    ],
)
def test_normalize_id(raw, expected):
    assert normalize_id(raw) == expected


@pytest.mark.parametrize(
    ("id_type", "raw", "birth", "sex"),
    [
        (R, "11010519491231002X", date(1949, 12, 31), "女"),
        (R, "11010519491231002x", date(1949, 12, 31), "女"),
        (R, "440524188001010014", date(1880, 1, 1), "男"),
        (R, with_check("13010219900307123"), date(1990, 3, 7), "男"),
        (R, with_check("13060219851120004"), date(1985, 11, 20), "女"),
        (R, with_check("11010520000229001"), date(2000, 2, 29), "男"),
        (R, "１１０１０５１９４９１２３１００２Ｘ", date(1949, 12, 31), "女"),
        (P, "810000199001010019", date(1990, 1, 1), "男"),
        (P, with_check("82000019850615002"), date(1985, 6, 15), "女"),
        (P, with_check("83000019920304003"), date(1992, 3, 4), "男"),
        (F, "934156198501010019", date(1985, 1, 1), None),
    ],
)
def test_valid_numbers(id_type, raw, birth, sex):
    info = check_id(id_type, raw, TODAY)
    assert info == IdInfo(normalize_id(raw), id_type, birth, sex, False)


def test_foreign_pr_2017_edition_has_no_derived_birth():
    info = check_id(F, "usa110085010123", TODAY)
    assert info == IdInfo("USA110085010123", F, None, None)


def test_legacy_15_digit_number_is_converted():
    info = check_id(R, "110105491231002", TODAY)
    assert info.number == "11010519491231002X"
    assert info.converted_from_15
    assert (info.birth, info.sex) == (date(1949, 12, 31), "女")


@pytest.mark.parametrize(
    ("id_type", "raw", "fragment"),
    [
        (R, "", "请输入证件号码"),
        (R, "1101051949123100", "应为18位，您输入的是16位"),
        (R, "11010519491231002XX", "您输入的是19位"),
        (R, "1101051949123A002X", "只能由数字组成"),
        (R, "110105194X1231002X", "字母X只能出现在号码的最后一位"),
        (R, "11010519491231002Y", "只能由数字组成"),
        (R, "11010519491231002٣", "只能由数字组成"),
        (R, "11010519491231002二", "只能由数字组成"),
        (R, with_check("99010519491231002"), "外国人永久居留身份证"),
        (R, with_check("00010519491231002"), "不是有效的省份代码"),
        (R, with_check("16010519491231002"), "不是有效的省份代码"),
        (R, with_check("11010519491331002"), "不是有效的日期"),
        (R, with_check("11010520010229002"), "不是有效的日期"),
        (R, with_check("11010517000101002"), "不是有效的日期"),
        (R, with_check("11010520261129002"), "晚于今天"),
        (R, "110105194912310021", "校验码"),
        (R, "11010519491213002X", "校验码"),
        (R, with_check("81000019900101001"), "港澳台居民居住证"),
        (R, with_check("83000019900101001"), "港澳台居民居住证"),
        (R, "USA110085010123", "外国人永久居留身份证"),
        (R, "11010549123100A", "只能由数字组成"),
        (R, "110105491331002", "不是有效的日期"),
        (R, "000105491231002", "不是有效的省份代码"),
        (P, "11010519491231002X", "居民身份证"),
        (P, with_check("81000119900101001"), "810000（香港）"),
        (P, with_check("81000019900230001"), "不是有效的日期"),
        (P, "810000199001010018", "校验码"),
        (P, with_check("93415619850101001"), "外国人永久居留身份证"),
        (P, "81000019900101001", "应为18位"),
        (F, "11010519491231002X", "居民身份证"),
        (F, "810000199001010019", "港澳台居民居住证"),
        (F, "934156198501010018", "校验码"),
        (F, with_check("93415619851301001"), "不是有效的日期"),
        (F, with_check("01415619850101001"), "应以数字9开头"),
        (F, "US1110085010123", "或15位"),
        (F, "12345", "您输入的是5位"),
    ],
)
def test_invalid_numbers(id_type, raw, fragment):
    with pytest.raises(InputError) as exc:
        check_id(id_type, raw, TODAY)
    assert fragment in exc.value.message


def test_error_messages_give_an_example():
    with pytest.raises(InputError) as exc:
        check_id(R, "123", TODAY)
    assert "11010519491231002X" in exc.value.message


def test_birth_today_is_accepted():
    number = with_check("110105" + TODAY.strftime("%Y%m%d") + "001")
    assert check_id(R, number, TODAY).birth == TODAY


def test_id_type_may_be_given_as_its_value():
    assert check_id("resident", "11010519491231002X", TODAY).id_type is R


@settings(max_examples=200, deadline=None)
@given(id_type=st.sampled_from(list(IdType)), raw=st.text())
def test_random_text_raises_only_input_error(id_type, raw):
    try:
        info = check_id(id_type, raw, TODAY)
    except InputError as exc:
        assert exc.message
    else:
        assert info.number == normalize_id(raw) or info.converted_from_15


@settings(max_examples=200, deadline=None)
@given(
    id_type=st.sampled_from(list(IdType)),
    raw=st.text(alphabet="0123456789Xx -８", min_size=14, max_size=20),
)
def test_digit_like_text_raises_only_input_error(id_type, raw):
    try:
        info = check_id(id_type, raw, TODAY)
    except InputError as exc:
        assert exc.message  # the user is told what is wrong
    else:
        assert info.number == normalize_id(raw) or info.converted_from_15


@settings(max_examples=200, deadline=None)
@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(0, 999),
    county=st.sampled_from(["130102", "110105", "650102", "440305"]),
)
def test_every_generated_valid_number_is_accepted(born, seq, county):
    number = with_check(f"{county}{born:%Y%m%d}{seq:03d}")
    info = check_id(R, number, TODAY)
    assert info.birth == born
    assert info.sex == ("男" if seq % 2 else "女")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(InputError):
        check_id(R, wrong, TODAY)
