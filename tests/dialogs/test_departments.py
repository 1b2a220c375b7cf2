"""The department registry: faithful to the seed, consistent with the form and materials, and the one
place a department is stated (a fourth department flows everywhere from one entry)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dialogs import departments
from dialogs.form import FIELDS
from dialogs.materials import SLOTS
from dialogs.notice import SIX_MATTERS

ROOT = Path(__file__).resolve().parents[2]


def test_keys_names_and_platforms_follow_seed_section_five():
    assert departments.KEYS == ("hrss", "medical", "tax")
    assert [d.short for d in departments.DEPARTMENTS] == ["人社", "医保", "税务"]
    assert [d.platform for d in departments.DEPARTMENTS] == [
        "人社一体化公共服务平台",
        "河北省医疗保障信息平台",
        "河北税务社保外网统一接入平台",
    ]
    assert departments.JOINED == "人社、医保、税务"


def test_the_six_matters_are_each_handled_by_exactly_one_department():
    handled = [m for d in departments.DEPARTMENTS for m in d.matters]
    assert sorted(handled) == sorted(SIX_MATTERS)


def test_materials_and_fields_name_real_slots_and_fields():
    known_fields = {f.key for f in FIELDS}
    for d in departments.DEPARTMENTS:
        assert set(d.materials) <= set(SLOTS), d.key
        assert set(d.fields) <= known_fields, d.key
        assert len(set(d.fields)) == len(d.fields) and len(set(d.materials)) == len(d.materials)
    every = {k for d in departments.DEPARTMENTS for k in d.fields}
    assert every == known_fields  # no field is collected without a department that needs it


def test_form_and_slots_read_their_departments_from_the_registry():
    assert SLOTS["contract"].departments == {"hrss"}
    assert SLOTS["id_front"].departments == {"hrss", "medical", "tax"}
    by_key = {f.key: f for f in FIELDS}
    assert by_key["political"].departments == {"hrss"}
    assert by_key["bank_account"].departments == {"medical", "tax"}


def test_webhook_ids_are_stated_not_positional():
    ids = [d.webhook_id for d in departments.DEPARTMENTS]
    assert ids == [-1, -2, -3]  # stored as claimers of cases: must never shift when entries move
    assert len(set(ids)) == len(ids) and all(i < 0 for i in ids)


def test_unknown_department_is_refused():
    import pytest

    with pytest.raises(ValueError):
        departments.get("police")
    assert departments.order("police") == len(departments.KEYS)


FOURTH = r"""
import json, sys
from dialogs import departments as reg
reg.DEPARTMENTS = (*reg.DEPARTMENTS, reg.Department(
    key="civil", short="民政", name="民政部门", matters=("测试事项",), platform="民政平台",
    materials=("id_front",), fields=("name", "id_number"), webhook_id=-4))
reg.BY_KEY = {d.key: d for d in reg.DEPARTMENTS}
reg.KEYS = tuple(reg.BY_KEY)
reg.NAMES = {d.key: d.short for d in reg.DEPARTMENTS}
reg.TASKS = {d.key: d.tasks for d in reg.DEPARTMENTS}
reg.JOINED = "、".join(d.short for d in reg.DEPARTMENTS)
from bot.__main__ import DEPTS
from dialogs.form import BY_KEY
from dialogs.materials import SLOTS
from dialogs.status import DEPARTMENTS, confirmation
from dispatch import routing
from dispatch.config import DispatchConfig
from dispatch.packet import EXTRAS
from office.staff import WEBHOOK_IDS
from datetime import date
print(json.dumps({
    "cli": DEPTS, "routing": list(routing.DEPARTMENTS), "materials": list(routing.MATERIALS["civil"]),
    "fields": list(routing.FIELDS_BY_DEPARTMENT["civil"]), "config": sorted(DispatchConfig().departments),
    "webhook": WEBHOOK_IDS["civil"], "status": DEPARTMENTS["civil"], "extras": list(EXTRAS["civil"]),
    "field_departments": sorted(BY_KEY["name"].departments), "slot": sorted(SLOTS["id_front"].departments),
    "confirmation": "民政部门：办理测试事项" in confirmation("X", date(2026, 3, 2), False).text,
}))
"""


def test_a_fourth_department_is_one_entry():
    out = subprocess.run([sys.executable, "-c", FOURTH], cwd=ROOT, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["cli"] == got["routing"] == ["hrss", "medical", "tax", "civil"]
    assert got["materials"] == ["id_front"] and got["fields"] == ["name", "id_number"]
    assert got["config"] == ["civil", "hrss", "medical", "tax"] and got["webhook"] == -4
    assert got["status"] == "民政" and got["extras"] == [] and got["confirmation"]
    assert got["field_departments"] == ["civil", "hrss", "medical", "tax"]
    assert got["slot"] == ["civil", "hrss", "medical", "tax"]
