"""The departments, stated once (seed 一, 四, 五(一)2–4): names, matters, platform, and what each receives.

Everything that names a department derives from `DEPARTMENTS`: routing and data minimisation, the
form schema's and the materials' per-item departments, texts, status views, PDF titles, CLI choices,
staff webhook ids and the dispatch configuration. A fourth department is one entry here (plus tests).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Department:
    key: str  # stored in cases, deliveries, staff rows and settings: never change it
    short: str  # 人社
    name: str  # 人力资源社会保障部门
    matters: tuple[str, ...]  # the seed's matters this department handles (一 主题事项, 五(一))
    platform: str  # the system its clerks work in (五(一)2–4)
    materials: tuple[str, ...]  # material slots it receives (dialogs.materials SLOTS keys), in order
    fields: tuple[str, ...]  # form fields it receives (dialogs.form FIELDS keys), in form order
    webhook_id: int  # the claimer id of its own system acting through the signed callback
    extras: tuple[str, ...] = ()  # frozen-application parts beyond fields and materials (packet data.json)

    @property
    def tasks(self) -> str:
        return "、".join(self.matters)

    @property
    def title(self) -> str:
        """How texts and PDFs name it: 人社部门."""
        return self.short + "部门"


_IDENTITY = ("name", "sex", "ethnic")
_ID = ("phone", "id_type", "id_number")
_BANK = ("medical_area", "bank_name", "bank_holder", "bank_account")
_PENSION = ("personal_status", "pension_place", "pension_start", "pension_grade")
_ID_CARD = ("id_front", "id_back")

DEPARTMENTS: tuple[Department, ...] = (
    Department(
        key="hrss",
        short="人社",
        name="人力资源社会保障部门",
        matters=("就业登记", "档案的接收和转递（流动人员）", "社会保险登记"),
        platform="人社一体化公共服务平台",
        # 五(一)2: 户口簿本人页、合同期内劳动合同、转出档案介绍信、居民身份证
        materials=("household", "contract", "archive_letter", *_ID_CARD),
        fields=(
            *_IDENTITY,
            "political",
            *_ID,
            "hukou_type",
            "hukou_address",
            "home_address",
            "employed_on",
            "registration_type",
            "birth_month",
            "education",
            "employment_type",
            "employer",
            "work_place",
            "person_category",
            "archive_agency_code",
            "archive_agency",
            *_PENSION,
            "has_si_card",
            "si_agent",
            "si_agent_name",
        ),
        webhook_id=-1,
        extras=("eligibility", "flags"),
    ),
    Department(
        key="medical",
        short="医保",
        name="医疗保障部门",
        matters=("基本医疗保险参保和变更登记",),
        platform="河北省医疗保障信息平台",
        # 五(一)3: 户口簿本人页、居民身份证
        materials=("household", *_ID_CARD),
        fields=(*_IDENTITY, *_ID, "hukou_type", "hukou_address", "home_address", "birth_month", *_BANK),
        webhook_id=-2,
    ),
    Department(
        key="tax",
        short="税务",
        name="税务部门",
        matters=("灵活就业人员社会保险费申报", "灵活就业人员医疗保险费申报"),
        platform="河北税务社保外网统一接入平台",
        # 五(一)4: 居民身份证
        materials=_ID_CARD,
        fields=(*_IDENTITY, *_ID, "home_address", "birth_month", *_BANK, *_PENSION, "si_agent", "si_agent_name"),
        webhook_id=-3,
    ),
)

BY_KEY: dict[str, Department] = {d.key: d for d in DEPARTMENTS}
KEYS: tuple[str, ...] = tuple(BY_KEY)
NAMES: dict[str, str] = {d.key: d.short for d in DEPARTMENTS}  # {"hrss": "人社", ...}
TASKS: dict[str, str] = {d.key: d.tasks for d in DEPARTMENTS}
JOINED = "、".join(d.short for d in DEPARTMENTS)  # 人社、医保、税务


def get(key: str) -> Department:
    """The department with this key; ValueError for anything else (routing refuses unknown keys)."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown department: {key!r}") from None


def order(key: str) -> int:
    """Sort position (registry order); unknown keys last."""
    return KEYS.index(key) if key in BY_KEY else len(KEYS)


def receiving_field(field_key: str) -> frozenset[str]:
    return frozenset(d.key for d in DEPARTMENTS if field_key in d.fields)


def receiving_material(slot_key: str) -> frozenset[str]:
    return frozenset(d.key for d in DEPARTMENTS if slot_key in d.materials)
