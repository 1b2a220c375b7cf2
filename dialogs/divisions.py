"""Administrative divisions nationwide, province → city → county (民政部 县级以上行政区划代码, 2024)."""

from dataclasses import dataclass
from functools import cache
from importlib import resources

HEBEI = "130000"
BAODING = "130600"
XIONGAN = "xiongan"  # 雄安新区 is no MCA division, so it gets a marker instead of a code
XIONGAN_COUNTIES = ("130638", "130629", "130632")  # 雄县, 容城县, 安新县 (coded under 保定市)
# 省直管 county-level cities: they keep their 石家庄/保定 codes, but 人社/医保 often treat them apart.
DIRECT_ADMIN_COUNTIES = frozenset({"130181", "130682"})  # 辛集市, 定州市


@dataclass(frozen=True)
class Region:
    code: str
    name: str


# Where an application is handled: Hebei's 11 prefecture-level cities plus 雄安新区.
HANDLING_PLACES: tuple[Region, ...] = (
    Region("130100", "石家庄市"),
    Region("130200", "唐山市"),
    Region("130300", "秦皇岛市"),
    Region("130400", "邯郸市"),
    Region("130500", "邢台市"),
    Region("130600", "保定市"),
    Region("130700", "张家口市"),
    Region("130800", "承德市"),
    Region("130900", "沧州市"),
    Region("131000", "廊坊市"),
    Region("131100", "衡水市"),
    Region(XIONGAN, "雄安新区"),
)


DATA_FILE = "mca_divisions_2024.txt"  # source and date: dialogs/data/mca_divisions_2024.md
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
# County-level units a province administers directly (济源, 仙桃, 五指山, 石河子…) carry codes
# xx90xx; MCA groups them under this city-level heading, which has no code line of its own.
DIRECT_HEADING = {"650000": "自治区直辖县级行政区划"}


@dataclass(frozen=True)
class _Index:
    provinces: tuple[Region, ...]
    cities: dict[str, tuple[Region, ...]]
    counties: dict[str, tuple[Region, ...]]
    by_code: dict[str, Region]


def _read_lines() -> list[tuple[str, str]]:
    text = resources.files("dialogs").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return [(code, name) for code, _, name in (line.partition(" ") for line in text.splitlines()) if code]


def _city_of(code: str, province: Region, known: set[str]) -> Region:
    """The city-level unit a county belongs to: its prefecture, else the municipality itself,
    else the province's heading for directly administered counties."""
    prefecture = code[:4] + "00"
    if prefecture in known:
        return Region(prefecture, "")
    if province.code in MUNICIPALITIES:
        return Region(province.code[:2] + "0100", province.name)
    return Region(code[:2] + "9000", DIRECT_HEADING.get(province.code, "省直辖县级行政区划"))


@cache
def _index() -> _Index:
    lines = _read_lines()
    known = {code for code, _ in lines}
    provinces: list[Region] = []
    cities: dict[str, list[Region]] = {}
    counties: dict[str, list[Region]] = {}
    names = dict(lines)
    for code, name in lines:
        if code.endswith("0000"):
            provinces.append(Region(code, name))
            cities[code] = []
        elif code.endswith("00"):
            cities[code[:2] + "0000"].append(Region(code, name))
        else:
            province = provinces[-1]
            city = _city_of(code, province, known)
            city = Region(city.code, names.get(city.code) or city.name)
            if city not in cities[province.code]:
                cities[province.code].append(city)
            counties.setdefault(city.code, []).append(Region(code, name))
    by_code = {r.code: r for r in provinces}
    for group in (*cities.values(), *counties.values(), HANDLING_PLACES):
        by_code.update((r.code, r) for r in group)
    return _Index(
        tuple(provinces), {k: tuple(v) for k, v in cities.items()}, {k: tuple(v) for k, v in counties.items()}, by_code
    )


def provinces() -> list[Region]:
    return list(_index().provinces)


def cities(province_code: str) -> list[Region]:
    return list(_index().cities.get(province_code, ()))


def counties(city_code: str) -> list[Region]:
    """County-level units of a city; [] for the few cities that have none (东莞, 中山, 儋州, 嘉峪关)."""
    return list(_index().counties.get(city_code, ()))


def lookup(code: str) -> Region | None:
    return _index().by_code.get(code)


def full_name(*codes: str | None) -> str:
    """Names joined from the top level down; an unknown code shows as itself rather than failing."""
    parts: list[str] = []
    for code in codes:
        if not code:
            continue
        region = lookup(code)
        name = region.name if region else code
        if not parts or parts[-1] != name:
            parts.append(name)
    return "".join(parts)


def handling_counties(place_code: str) -> list[Region]:
    """Counties served by a handling place; 保定市 excludes the three counties 雄安 administers."""
    if place_code == XIONGAN:
        return [r for code in XIONGAN_COUNTIES if (r := lookup(code))]
    found = counties(place_code)
    if place_code == BAODING:
        found = [r for r in found if r.code not in XIONGAN_COUNTIES]
    return found


def handling_place_of(county_code: str) -> Region | None:
    if county_code in XIONGAN_COUNTIES:
        return lookup(XIONGAN)
    city = county_code[:4] + "00"
    return next((p for p in HANDLING_PLACES if p.code == city), None)


def is_direct_admin(county_code: str) -> bool:
    return county_code in DIRECT_ADMIN_COUNTIES
