"""The walk-in form rendered from the bot's schema (dialogs.form FIELDS) and checked by the same rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dialogs import divisions, notice
from dialogs.eligibility import ARCHIVE_OPTIONS, FAIL_TEXT, INSTEAD, NONE_OF_THEM, id_accepted
from dialogs.errors import InputError
from dialogs.fields import FieldStep, display_value
from dialogs.form import ASKED, SECTION_NOTES, SECTIONS, FieldSpec, Kind, applies
from dialogs.idnumbers import ID_TYPE_LABELS, IdType, check_id
from dialogs.masks import mask_account
from dialogs.model import Session
from dialogs.values import parse_free_text

STEPS = {spec.key: FieldStep(spec) for spec in ASKED}
SITUATION_OPTIONS = (*notice.SITUATIONS, (NONE_OF_THEM, "以上都不是"))
ELIGIBILITY = (
    {
        "key": "id_type",
        "label": "证件类型",
        "kind": "choice",
        "required": True,
        "options": [(t.value, ID_TYPE_LABELS[t]) for t in IdType],
    },
    {
        "key": "id_number",
        "label": "证件号码",
        "kind": "text",
        "required": True,
        "hint": "出生日期和性别将从证件号码中读取。例如：11010519491231002X",
    },
    {
        "key": "archive",
        "label": "人事档案是否存放在河北省内各级公共就业和人才服务机构",
        "kind": "choice",
        "required": True,
        "options": list(ARCHIVE_OPTIONS),
        "hint": "办理条件：" + notice.CONDITION_ARCHIVE,
    },
    {"key": "situation", "label": "办理情形", "kind": "choice", "required": True, "options": list(SITUATION_OPTIONS)},
)


@dataclass
class Widget:
    key: str
    label: str
    kind: str  # text | choice | place
    required: bool
    hint: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    groups: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    detail: bool = False
    condition: str = ""
    empty_label: str = "请选择"


@dataclass
class Checked:
    session: Session
    errors: dict[str, str]
    blocker: str | None = None  # an eligibility refusal, in words
    warnings: dict[str, str] = field(default_factory=dict)


def _place_groups(spec: FieldSpec) -> list[tuple[str, list[tuple[str, str]]]]:
    """Hebei down to counties (grouped by city); other provinces down to cities when allowed."""
    groups = []
    for city in divisions.cities(divisions.HEBEI):
        counties = divisions.counties(city.code)
        items = [(f"{divisions.HEBEI}-{city.code}-{c.code}", f"{city.name}{c.name}") for c in counties] or [
            (f"{divisions.HEBEI}-{city.code}-", city.name)
        ]
        groups.append((f"河北省{city.name}", items))
    if spec.nationwide:
        for p in divisions.provinces():
            if p.code == divisions.HEBEI:
                continue
            cities = divisions.cities(p.code)
            items = [(f"{p.code}-{c.code}-", f"{p.name}{c.name}") for c in cities] or [(f"{p.code}-{p.code}-", p.name)]
            groups.append((p.name, items))
    return groups


def web_hint(hint: str) -> str:
    """The schema's hint without the Telegram-only parts (tapping buttons, sharing the phone's number)."""
    kept = [part for part in hint.split("；") if "按钮" not in part and not part.startswith("可点选")]
    return "；".join(kept)


def widget(spec: FieldSpec) -> Widget:
    cond = ""
    if spec.condition is not None:
        parent = next(s for s in ASKED if s.key == spec.condition.field)
        shown = "、".join(dict(parent.options).get(v, v) for v in spec.condition.values)
        cond = f"仅当“{parent.label}”选择“{shown}”时填写"
    if spec.kind == Kind.choice:
        return Widget(
            spec.key,
            spec.label,
            "choice",
            spec.required,
            web_hint(spec.hint),
            list(spec.options),
            condition=cond,
            empty_label="请选择" if spec.required else f"不填写（{spec.skip_label}）",
        )
    if spec.kind in (Kind.address, Kind.region):
        return Widget(
            spec.key,
            spec.label,
            "place",
            spec.required,
            web_hint(spec.hint),
            groups=_place_groups(spec),
            detail=spec.with_detail,
            condition=cond,
        )
    return Widget(spec.key, spec.label, "text", spec.required, web_hint(spec.hint), condition=cond)


def sections() -> list[tuple[str, str, list[Widget]]]:
    return [
        (title, SECTION_NOTES.get(title, ""), [widget(s) for s in ASKED if s.section == title])
        for title in SECTIONS
        if any(s.section == title for s in ASKED)
    ]


def eligibility_widgets() -> list[Widget]:
    return [
        Widget(e["key"], e["label"], e["kind"], e["required"], e.get("hint", ""), list(e.get("options", [])))
        for e in ELIGIBILITY
    ]


def raw_values(session: Session) -> dict[str, str]:
    """What the form shows for a saved draft: the answers back in their input form."""
    out: dict[str, str] = {}
    for key in ("id_type", "id_number", "archive", "situation"):
        if session.answers.get(key):
            out[key] = str(session.answers[key])
    for spec in ASKED:
        value = session.answers.get(spec.key)
        if value in (None, ""):
            continue
        if spec.kind in (Kind.address, Kind.region) and isinstance(value, dict):
            out[spec.key] = f"{value.get('province', '')}-{value.get('city', '')}-{value.get('county', '')}"
            out[spec.key + "__detail"] = value.get("detail", "")
        else:
            out[spec.key] = str(value)
    return out


def _place(spec: FieldSpec, raw: str, detail: str) -> dict[str, str]:
    province, city, county = (raw.split("-") + ["", ""])[:3]  # "province-city-county" of the select
    if (
        not divisions.lookup(province)
        or (city and not divisions.lookup(city))
        or (county and not divisions.lookup(county))
    ):
        raise InputError(f"请从列表中选择{spec.label}所在地区。")
    if province == divisions.HEBEI and divisions.counties(city) and not county:
        raise InputError(f"请选择{spec.label}所在的县（市、区）。")
    value = {"province": province, "city": city or province}
    if county:
        value["county"] = county
    if spec.with_detail:
        if not detail.strip():
            raise InputError(f"请填写{spec.label}的详细地址（街道、门牌号等），例如：建设北大街12号3单元501")
        value["detail"] = parse_free_text(detail, 80)
    return value


def check(form: Mapping[str, Any], today: date, keep: Session | None = None) -> Checked:
    """Parse a posted form with the bot's parsers; every message is the one the bot would send."""
    s = Session(answers={}, materials=dict(keep.materials) if keep else {}, meta=keep.meta if keep else None)
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    blocker = None
    get = lambda k: str(form.get(k, "") or "").strip()  # noqa: E731
    id_type = get("id_type")
    if id_type not in {t.value for t in IdType}:
        errors["id_type"] = "请选择证件类型。"
    else:
        s.answers["id_type"] = id_type
        try:
            info = check_id(IdType(id_type), get("id_number"), today)
            done = id_accepted(s, info, today)
            s.answers.update(done.values)
            s.meta = s.meta.changed(done.meta)
            if done.trigger == "refuse":
                blocker = s.meta.fail_reason
        except InputError as e:
            errors["id_number"] = e.message
    archive = get("archive")
    if archive not in dict(ARCHIVE_OPTIONS):
        errors["archive"] = "请选择“是”“否”或“不清楚”。"
    else:
        s.answers["archive"] = archive
        blocker = blocker or ("archive" if archive == "no" else None)
    situation = get("situation")
    if situation not in dict(SITUATION_OPTIONS):
        errors["situation"] = "请选择办理情形。"
    else:
        s.answers["situation"] = situation
        blocker = blocker or ("situation" if situation == NONE_OF_THEM else None)
    for spec in ASKED:
        raw = get(spec.key)
        if not applies(spec, s.answers):
            continue
        if not raw:
            if spec.required:
                errors[spec.key] = (
                    f"请{'选择' if spec.kind in (Kind.choice, Kind.address, Kind.region) else '填写'}"
                    f"{spec.label}（必填）。"
                )
            continue
        try:
            if spec.kind == Kind.choice:
                if raw not in dict(spec.options):
                    raise InputError(f"请从列表中选择{spec.label}。")
                s.answers.update(STEPS[spec.key].derive({spec.key: raw}))
            elif spec.kind in (Kind.address, Kind.region):
                s.answers[spec.key] = _place(spec, raw, get(spec.key + "__detail"))
            elif spec.kind == Kind.bank_account:
                digits, luhn = STEPS[spec.key].parse(s, raw, today)
                if not luhn and get(spec.key + "__confirm") != "1":
                    warnings[spec.key] = (
                        f"您输入的账号 {mask_account(digits)} 未通过常见的卡号校验规则，"
                        "部分银行的卡号也可能如此。请核对卡面号码：无误请勾选“确认无误”，否则请重新输入。"
                    )
                s.answers[spec.key] = digits
            else:
                s.answers[spec.key] = STEPS[spec.key].parse(s, raw, today)
        except InputError as e:
            errors[spec.key] = e.message
    errors.update(warnings)
    return Checked(
        s, errors, blocker and f"暂不能申请：申请人{FAIL_TEXT.get(blocker, '')}{INSTEAD.get(blocker, '')}", warnings
    )


def shown(spec: FieldSpec, value: Any) -> str:
    return display_value(spec, value)
