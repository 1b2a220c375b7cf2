"""The form PDF a clerk opens, built from a frozen application like the worker builds it."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

from pypdf import PdfReader

from dispatch.formpdf import FormDocument, FormRow, FormSection, render_form_pdf
from dispatch.packet import PacketSource, build_full_packet
from tests.dispatch.conftest import frozen_data
from tests.dispatch.test_formpdf import COMMITMENT, text_of

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def full_form_text(blobs, **answers) -> str:
    data = frozen_data(blobs)
    data["answers"].update(answers)
    packet = build_full_packet(PacketSource(ref="LJ260302-00010", version=1, data=data), blobs, now=NOW)
    return text_of(packet.files["form.pdf"])


def test_archive_code_and_agency_name_each_in_their_own_row(blobs):
    text = full_form_text(blobs)
    assert "转入机构编号*130100（默认编号，以经办机构为准）" in text
    assert "档案转入机构石家庄市公共就业和人才服务中心" in text


def test_undecided_archive_agency_says_so_in_both_rows(blobs):
    text = full_form_text(blobs, archive_agency_code="office", archive_agency="由经办机构确定")
    assert "转入机构编号*由经办机构确定" in text and "档案转入机构由经办机构确定" in text


def test_person_category_carries_the_asterisk_of_the_seed(blobs):
    assert "人员类别*" in full_form_text(blobs)


def test_dates_print_as_year_month_day_like_the_seed(blobs):
    text = full_form_text(blobs)
    assert "就业时间*2026年3月1日" in text and "2026-03-01" not in text
    assert "养老保险申请参保时间2026年4月1日" in text


def _doc(rows: int) -> FormDocument:
    sections = [
        FormSection(f"第{k}部分", [FormRow(f"项目{k}-{i}", "内容" * (6 + i % 5)) for i in range(rows)])
        for k in range(1, 4)
    ]
    return FormDocument(
        title="灵活就业“一件事一次办”申报表单",
        reference="LJ1（第1版）",
        sections=sections,
        commitment=COMMITMENT,
        signer="张三",
        signed_at="2026年03月01日 16:00",
        generated_at="2026年03月02日 10:00",
    )


def test_signature_never_stands_alone_on_a_page():
    spilled = 0
    for rows in range(8, 16):
        reader = PdfReader(BytesIO(render_form_pdf(_doc(rows))))
        pages = [p.extract_text().replace("\x00", "").replace(" ", "") for p in reader.pages]
        if len(pages) > 1:
            spilled += 1
            assert "申请人（签字）" in pages[-1]
            assert "项目" in pages[-1], f"{rows} rows: pledge and signature alone on page {len(pages)}"
    assert spilled  # the sizes tried do reach a second page
