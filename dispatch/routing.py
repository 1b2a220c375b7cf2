"""Data minimisation: the part of a frozen application each department receives (dialogs.departments)."""

from __future__ import annotations

from typing import Any

from dialogs import departments
from dialogs.form import FIELDS

DEPARTMENTS: tuple[str, ...] = departments.KEYS
MATERIALS: dict[str, tuple[str, ...]] = {d.key: d.materials for d in departments.DEPARTMENTS}
FIELDS_BY_DEPARTMENT: dict[str, tuple[str, ...]] = {
    d: tuple(f.key for f in FIELDS if d in f.departments) for d in DEPARTMENTS
}


def check_department(dept: str) -> str:
    return departments.get(dept).key


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
