import pytest

from dialogs import divisions
from dialogs.divisions import (
    HANDLING_PLACES,
    XIONGAN,
    XIONGAN_COUNTIES,
    Region,
    cities,
    counties,
    full_name,
    handling_counties,
    handling_place_of,
    is_direct_admin,
    lookup,
    provinces,
)


def hebei_counties() -> list[Region]:
    return [k for c in cities("130000") for k in counties(c.code)]


def test_hebei_has_11_cities_and_167_counties():
    assert len(cities("130000")) == 11
    found = hebei_counties()
    assert len(found) == 167
    assert len({k.code for k in found}) == 167
    kinds = ["自治县" if k.name.endswith("自治县") else k.name[-1] for k in found]
    assert (kinds.count("区"), kinds.count("市"), kinds.count("县"), kinds.count("自治县")) == (49, 21, 91, 6)


def test_counties_belong_to_their_city():
    for city in cities("130000"):
        assert all(k.code[:4] == city.code[:4] for k in counties(city.code))


def test_34_province_level_units():
    found = provinces()
    assert len(found) == 34
    assert len({p.code for p in found}) == 34
    assert all(p.code.endswith("0000") for p in found)
    assert Region("130000", "河北省") in found
    assert {"710000", "810000", "820000"} <= {p.code for p in found}


def test_every_mainland_province_has_cities():
    for p in provinces():
        found = cities(p.code)
        if p.code in ("710000", "810000", "820000"):
            assert found == []
        else:
            assert found, p
            assert all(c.code[:2] == p.code[:2] for c in found)


def test_counts_match_mca_2024():
    found = [c for p in provinces() for c in cities(p.code)]
    # 333 prefecture-level units, 4 municipalities and 4 headings of directly administered counties
    assert len(found) == 333 + 4 + 4
    assert sum(len(counties(c.code)) for c in found) == 2846


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("110105", "朝阳区"),
        ("110100", "北京市"),  # a municipality's city level is itself
        ("500112", "渝北区"),
        ("429000", "省直辖县级行政区划"),
        ("440300", "深圳市"),
        ("429004", "仙桃市"),
        ("652300", "昌吉回族自治州"),
        ("130682", "定州市"),
        ("131182", "深州市"),
        (XIONGAN, "雄安新区"),
    ],
)
def test_lookup(code, name):
    assert lookup(code) == Region(code, name)


@pytest.mark.parametrize("code", ["", "999999", "130000x", "130699"])
def test_lookup_unknown(code):
    assert lookup(code) is None


def test_every_province_goes_down_to_counties():
    assert [k.name for k in counties("370100")][:2] == ["历下区", "市中区"]
    assert cities("110000") == [Region("110100", "北京市")] and len(counties("110100")) == 16
    assert [c.name for c in cities("500000")] == ["重庆市"] and len(counties("500100")) == 38
    assert [k.name for k in counties("419000")] == ["济源市"]
    assert counties("441900") == []  # 东莞市 has no county level
    assert counties("110105") == [] and cities("999999") == []


@pytest.mark.parametrize(
    ("codes", "text"),
    [
        (("130000", "130600", "130638"), "河北省保定市雄县"),
        (("130000", "130100", "130181"), "河北省石家庄市辛集市"),
        (("110000", "110105"), "北京市朝阳区"),
        (("110000", "110100", "110105"), "北京市朝阳区"),
        (("440000", "440300"), "广东省深圳市"),
        (("130000", None, ""), "河北省"),
        (("130000", "130199"), "河北省130199"),
        ((), ""),
    ],
)
def test_full_name(codes, text):
    assert full_name(*codes) == text


def test_handling_places_are_hebei_cities_plus_xiongan():
    assert len(HANDLING_PLACES) == 12
    assert list(HANDLING_PLACES[:11]) == cities("130000")
    assert HANDLING_PLACES[-1] == Region(XIONGAN, "雄安新区")


def test_xiongan_takes_its_three_counties_from_baoding():
    xiongan = handling_counties(XIONGAN)
    assert [k.code for k in xiongan] == list(XIONGAN_COUNTIES)
    assert [k.name for k in xiongan] == ["雄县", "容城县", "安新县"]
    baoding = handling_counties("130600")
    assert len(baoding) == 24 - 3
    assert not {k.code for k in baoding} & set(XIONGAN_COUNTIES)
    served = [k.code for p in HANDLING_PLACES for k in handling_counties(p.code)]
    assert sorted(served) == sorted(k.code for k in hebei_counties())


@pytest.mark.parametrize(
    ("county", "place"),
    [
        ("130638", XIONGAN),
        ("130629", XIONGAN),
        ("130602", "130600"),
        ("130682", "130600"),
        ("130181", "130100"),
        ("131182", "131100"),
    ],
)
def test_handling_place_of(county, place):
    assert handling_place_of(county).code == place


def test_handling_place_of_outside_hebei():
    assert handling_place_of("110105") is None


def test_direct_admin_flags():
    assert is_direct_admin("130682") and is_direct_admin("130181")
    assert not is_direct_admin("130602")
    assert {lookup(c).name for c in divisions.DIRECT_ADMIN_COUNTIES} == {"定州市", "辛集市"}
