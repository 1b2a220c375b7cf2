import pytest

from dialogs.codes import (
    EDUCATION,
    ETHNIC_COMMON,
    ETHNIC_GROUPS,
    POLITICAL_STATUS,
    find_ethnic,
    name_of,
)

ALL_LISTS = [ETHNIC_GROUPS, POLITICAL_STATUS, EDUCATION]


@pytest.mark.parametrize("items", ALL_LISTS)
def test_codes_and_names_are_unique(items):
    assert len({c for c, _ in items}) == len(items)
    assert len({n for _, n in items}) == len(items)
    assert all(c and n for c, n in items)


def test_ethnic_groups_in_code_order():
    assert len(ETHNIC_GROUPS) == 58
    assert [c for c, _ in ETHNIC_GROUPS] == [f"{i:02d}" for i in range(1, 57)] + ["97", "98"]
    assert ETHNIC_GROUPS[0] == ("01", "汉族")
    assert ETHNIC_GROUPS[55] == ("56", "基诺族")
    assert all(n.endswith("族") for _, n in ETHNIC_GROUPS[:56])


def test_ethnic_common_are_known_codes_with_han_first():
    known = {c for c, _ in ETHNIC_GROUPS}
    assert ETHNIC_COMMON[0] == "01"
    assert set(ETHNIC_COMMON) <= known
    assert {"01", "11", "03", "02"} <= set(ETHNIC_COMMON)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("汉", [("01", "汉族")]),
        ("汉族", [("01", "汉族")]),
        ("满", [("11", "满族")]),
        (" 满族 ", [("11", "满族")]),
        ("回", [("03", "回族")]),
        ("土", [("30", "土族")]),  # exact stem wins over 土家族
        ("土家", [("15", "土家族")]),
        ("蒙古", [("02", "蒙古族")]),
        ("维吾尔", [("05", "维吾尔族")]),
        ("其他", [("97", "其他（未识别民族）")]),
        ("11", [("11", "满族")]),
        ("1", [("01", "汉族")]),
        ("", []),
        ("火星", []),
    ],
)
def test_find_ethnic(query, expected):
    assert find_ethnic(query) == expected


def test_find_ethnic_partial_matches_several():
    names = [n for _, n in find_ethnic("鄂")]
    assert names == ["鄂温克族", "鄂伦春族"]


def test_political_status_uses_short_forms():
    assert len(POLITICAL_STATUS) == 13
    assert name_of(POLITICAL_STATUS, "01") == "中共党员"
    assert name_of(POLITICAL_STATUS, "03") == "共青团员"
    assert name_of(POLITICAL_STATUS, "13") == "群众"


def test_education_short_list_stores_graduate_codes():
    assert [c for c, _ in EDUCATION][-1] == "90"
    assert {"11", "14", "21", "31", "41", "44", "47", "61", "71", "81"} == {c for c, _ in EDUCATION[:-1]}


def test_name_of_unknown_code():
    assert name_of(EDUCATION, "99") is None
