"""Scripted applicant inputs shared by engine, bot, console tests and the benchmarks."""

from __future__ import annotations

import io

from PIL import Image

from dialogs.idnumbers import mod11_2_check_char


def id_number(body17: str) -> str:
    return body17 + mod11_2_check_char(body17)


ADULT_MAN = id_number("13010219900307123")  # born 1990-03-07, male
ADULT_WOMAN = id_number("13010219900307122")  # born 1990-03-07, female
TOO_YOUNG = id_number("13010220150101123")  # born 2015
RETIRED_MAN = id_number("13010219600101123")  # born 1960, retired 2020
# Born 1975-06-15, female: past the 50-baseline date (2027-ish?) is checked in tests by date.


def jpeg(color: str = "red", size=(800, 600)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


ELIGIBILITY = [
    ("choose", "g|apply"),
    ("choose", "notice_ack|ack"),
    ("choose", "consent|agree"),
    ("choose", "id_type|resident"),
    ("text", ADULT_MAN),
    ("choose", "archive|yes"),
    ("choose", "situation|self_employed"),
]

FORM = [
    ("choose", "eligible|go"),
    ("text", "张𫖮"),
    ("choose", "f_ethnic|01"),
    ("choose", "f_political|skip"),
    ("text", "13812345678"),
    ("choose", "f_hukou_type|10"),
    ("choose", "f_hukou_address|p:130000"),
    ("choose", "f_hukou_address|c:130100"),
    ("choose", "f_hukou_address|x:130102"),
    ("text", "建设北大街12号"),
    ("choose", "f_home_address|p:130000"),
    ("choose", "f_home_address|c:130100"),
    ("choose", "f_home_address|x:130104"),
    ("text", "中山路1号"),
    ("text", "2026-03-01"),
    ("choose", "f_registration_type|register"),
    ("choose", "f_education|21"),
    ("choose", "f_employment_type|flexible"),
    ("choose", "f_employer|skip"),
    ("choose", "f_work_place|c:130100"),
    ("choose", "f_work_place|x:130104"),
    ("choose", "f_person_category|skip"),
    ("choose", "f_archive_agency_code|130100"),
    ("choose", "f_medical_area|130100"),
    ("text", "中国工商银行石家庄分行"),
    ("choose", "f_bank_holder|default"),
    ("text", "6222 0212 3456 7890 128"),
    ("choose", "f_personal_status|54"),
    ("choose", "f_pension_place|130100"),
    ("text", "2026-12-01"),
    ("choose", "f_pension_grade|60"),
    ("choose", "f_has_si_card|1"),
    ("choose", "f_si_agent|0"),
]

MATERIALS = [
    ("choose", "m_doc_choice|household"),
    ("upload", [jpeg("red")]),
    ("choose", "m_doc|done"),
    ("choose", "m_entrusted|no"),
    ("upload", [jpeg("white")]),
    ("upload", [jpeg("black")]),
]

SUBMIT = [
    ("choose", "review|ok"),
    ("choose", "commitment|accept"),
]

FULL = ELIGIBILITY + FORM + MATERIALS + SUBMIT


def as_input(kind: str, value, now, **extra):
    """One scripted step as the engine's UserInput: a button payload, a command, a text or files."""
    from dialogs.model import Upload, UserInput

    if kind == "choose":
        kw = {"payload": value}
    elif kind == "command":
        kw = {"command": value}
    elif kind == "text":
        kw = {"text": value}
    else:
        kw = {"files": [Upload(data=v, size=len(v)) for v in value]}
    return UserInput(kind=kind, now=now, **kw, **extra)
