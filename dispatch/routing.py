"""Data minimisation as data: which fields and materials each department receives (seed 五(一))."""

from __future__ import annotations

from typing import Any

from dialogs.form import FIELDS

HRSS, MEDICAL, TAX = "hrss", "medical", "tax"
DEPARTMENTS: tuple[str, ...] = (HRSS, MEDICAL, TAX)

# 五(一)2 人社: 户口簿本人页、合同期内劳动合同、转出档案介绍信、居民身份证
# 五(一)3 医保: 户口簿本人页、居民身份证      五(一)4 税务: 居民身份证
MATERIALS: dict[str, tuple[str, ...]] = {
    HRSS: ("household", "contract", "archive_letter", "id_front", "id_back"),
    MEDICAL: ("household", "id_front", "id_back"),
    TAX: ("id_front", "id_back"),
}
FIELDS_BY_DEPARTMENT: dict[str, tuple[str, ...]] = {
    d: tuple(f.key for f in FIELDS if d in f.departments) for d in DEPARTMENTS
}


def check_department(dept: str) -> str:
    if dept not in DEPARTMENTS:
        raise ValueError(f"unknown department: {dept!r}")
    return dept


def materials_for(dept: str, app_data: dict[str, Any]) -> dict[str, Any]:
    """The frozen application's materials that `dept` may see, in the seed's order."""
    allowed = MATERIALS[check_department(dept)]
    materials = app_data.get("materials") or {}
    return {k: materials[k] for k in allowed if k in materials}


def fields_for(dept: str, app_data: dict[str, Any]) -> dict[str, Any]:
    """The frozen application's answers that `dept` needs (dialogs.form FIELDS `departments`)."""
    allowed = FIELDS_BY_DEPARTMENT[check_department(dept)]
    answers = app_data.get("answers") or {}
    return {k: answers[k] for k in allowed if k in answers}


def all_materials(app_data: dict[str, Any]) -> dict[str, Any]:
    """The window's and staff's view: every department's materials together."""
    return dict(app_data.get("materials") or {})


def all_fields(app_data: dict[str, Any]) -> dict[str, Any]:
    known = {f.key for f in FIELDS}
    return {k: v for k, v in (app_data.get("answers") or {}).items() if k in known}
