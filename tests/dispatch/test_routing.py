"""Data minimisation: each department's packet holds only what the seed says it checks."""

from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from pypdf import PdfReader

from dialogs.form import FIELDS
from dispatch.packet import PacketSource, build_full_packet, build_packet
from dispatch.routing import DEPARTMENTS, FIELDS_BY_DEPARTMENT, MATERIALS, fields_for, materials_for
from tests.dispatch.conftest import BANK, ID_NUMBER, NAME, T0, frozen_data


@pytest.fixture
def data(blobs):
    return frozen_data(blobs, with_contract=True)


def source(data, **kw) -> PacketSource:
    from datetime import date

    return PacketSource(
        ref="LJ260302-00010", version=1, data=data, accepted_at=T0, deadline=date(2026, 3, 23), case_id=11, **kw
    )


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return re.sub(r"[\s\x00]", "", "".join(p.extract_text() for p in reader.pages))


def test_materials_per_seed_section_five(data):
    assert list(materials_for("hrss", data)) == ["household", "contract", "archive_letter", "id_front", "id_back"]
    assert list(materials_for("medical", data)) == ["household", "id_front", "id_back"]
    assert list(materials_for("tax", data)) == ["id_front", "id_back"]


def test_fields_come_from_the_form_schema(data):
    for dept in DEPARTMENTS:
        expected = {f.key for f in FIELDS if dept in f.departments}
        assert set(fields_for(dept, data)) == expected & set(data["answers"])
    tax = fields_for("tax", data)
    assert "hukou_address" not in tax and "employed_on" not in tax and "political" not in tax
    assert "hukou_type" not in fields_for("tax", data)
    with pytest.raises(ValueError):
        fields_for("police", data)


@pytest.mark.parametrize("dept", DEPARTMENTS)
def test_packet_data_json_is_minimal(dept, data, blobs):
    packet = build_packet(source(data), dept, blobs, render_pdfs=False)
    doc = json.loads(packet.files["data.json"])
    assert doc["schema_version"] == "hebei-flexjob-packet/1"
    assert (doc["ref"], doc["department"], doc["version"], doc["deadline"]) == ("LJ260302-00010", dept, 1, "2026-03-23")
    assert set(doc["fields"]) == set(FIELDS_BY_DEPARTMENT[dept]) & set(data["answers"])
    assert list(doc["materials"]) == [k for k in MATERIALS[dept] if k in data["materials"]]
    for slot in doc["materials"].values():
        assert all(len(f["sha256"]) == 64 for f in slot["files"])
    assert ("eligibility" in doc) == (dept == "hrss")
    assert packet.key == f"LJ260302-00010:{dept}:v1"


def test_tax_packet_has_no_household_register_contract_or_foreign_fields(data, blobs):
    packet = build_packet(source(data), "tax", blobs)
    assert set(packet.files) == {"form.pdf", "materials.pdf", "data.json"}
    doc = json.loads(packet.files["data.json"])
    assert "household" not in doc["materials"] and "contract" not in doc["materials"]
    raw = packet.files["data.json"].decode()
    assert "户口簿" not in raw and "劳动合同" not in raw and "户籍路1号" not in raw
    materials = PdfReader(BytesIO(packet.files["materials.pdf"]))
    assert [o.title for o in materials.outline] == ["居民身份证（人像面）", "居民身份证（国徽面）"]
    assert len(materials.pages) == 2
    form = pdf_text(packet.files["form.pdf"])
    assert "（税务部门）" in form and NAME in form and ID_NUMBER in form and BANK in form
    assert "户籍地址" not in form and "就业时间" not in form and "转入机构编号" not in form


def test_medical_packet_gets_the_household_page_but_not_the_contract(data, blobs):
    packet = build_packet(source(data), "medical", blobs)
    outline = [o.title for o in PdfReader(BytesIO(packet.files["materials.pdf"])).outline]
    assert outline == ["户口簿本人页", "居民身份证（人像面）", "居民身份证（国徽面）"]
    form = pdf_text(packet.files["form.pdf"])
    assert "户籍地址" in form and "就业类型" not in form


def test_hrss_form_marks_the_chosen_option_and_carries_the_commitment(data, blobs):
    form = pdf_text(build_packet(source(data), "hrss", blobs).files["form.pdf"])
    assert "■灵活就业" in form and "□企业吸纳" in form and "■登记就业" in form
    assert "汉族" in form and "□汉族" not in form  # 56 options: the name, not boxes
    assert "本人承诺填报的以上内容均真实" in form and f"申请人（签字）：{NAME}（线上确认）" in form
    assert "2026年03月01日16:00" in form  # the commitment time, in Beijing time
    assert "开户行名称" not in form and BANK not in form


def test_full_packet_is_the_union(data, blobs):
    packet = build_full_packet(source(data), blobs, render_pdfs=False)
    doc = json.loads(packet.files["data.json"])
    assert packet.department == "all"
    assert set(doc["materials"]) == set(data["materials"])
    assert set(doc["fields"]) == {f.key for f in FIELDS} & set(data["answers"])
