"""Tests for the form PDF (表2) and the materials bundle."""

from __future__ import annotations

import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter

from dispatch.formpdf import (
    FontMissing,
    FormDocument,
    FormRow,
    FormSection,
    find_cjk_font,
    materials_pdf,
    render_form_pdf,
)

TITLE = "灵活就业“一件事一次办”申报表单"
COMMITMENT = (
    "本人承诺填报的以上内容均真实、准确、有效，如与实际情况不一致，本人愿意承担相应责任，同时纳入人社信用记录。"
)
LONG_ADDRESS = "河北省石家庄市长安区建设北大街88号金石小区3号楼2单元501室（东侧楼梯上楼右手边第二户）" * 2


def sample_doc(sections: list[FormSection] | None = None) -> FormDocument:
    rows = [
        FormRow("姓名", "张𫖮", required=True),
        FormRow("性别", "", required=True, options=["男", "女"], chosen=["女"]),
        FormRow("民族", "汉族", required=True),
        FormRow("曾用名", "李𬌗"),
        FormRow("证件号码", "130102199001011234", required=True),
        FormRow("户籍地址", LONG_ADDRESS, required=True),
        FormRow(
            "就业类型",
            "",
            required=True,
            options=[
                "企业吸纳",
                "自主创业（个体工商户、中小微、大型企业）",
                "灵活就业",
                "单位（机关、事业单位、民办非企业）就业",
                "公益性岗位",
                "其他",
            ],
            chosen=["灵活就业"],
        ),
        FormRow("银行账号", "6222021234567890123"),
    ]
    return FormDocument(
        title=TITLE,
        reference="HB-2025-000123",
        sections=sections
        or [
            FormSection("个人基本信息", rows),
            FormSection("特定群体登记信息", [FormRow("人员类别", "其他")], note="办理就业登记不用填写"),
        ],
        commitment=COMMITMENT,
        signer="张𫖮",
        signed_at="2025年3月2日 10:15",
        generated_at="2025-03-02 10:16",
    )


def text_of(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\x00]", "", text)  # pypdf pads CID text with NULs and spaces


def squash(value: str) -> str:
    return re.sub(r"\s", "", value)


@pytest.fixture(scope="module")
def form_pdf() -> bytes:
    return render_form_pdf(sample_doc())


@pytest.fixture
def fresh_font_lookup():
    find_cjk_font.cache_clear()
    yield
    find_cjk_font.cache_clear()


def test_is_a4_portrait_pdf(form_pdf):
    reader = PdfReader(BytesIO(form_pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert form_pdf.startswith(b"%PDF-")


def test_every_value_label_and_heading_appears(form_pdf):
    text = text_of(form_pdf)
    doc = sample_doc()
    for section in doc.sections:
        assert squash(section.title) in text
        for row in section.rows:
            assert squash(row.value) in text
            assert squash(row.label) in text
    for piece in (TITLE, "HB-2025-000123", COMMITMENT, "2025年3月2日10:15", "办理就业登记不用填写"):
        assert squash(piece) in text


def test_required_labels_carry_an_asterisk(form_pdf):
    text = text_of(form_pdf)
    assert "姓名*" in text and "证件号码*" in text
    assert "曾用名*" not in text and "银行账号*" not in text


def test_rare_name_characters_survive(form_pdf):
    text = text_of(form_pdf)
    assert "张𫖮" in text
    assert "李𬌗" in text


def test_choices_show_every_option_with_filled_box_for_chosen(form_pdf):
    text = text_of(form_pdf)
    assert "□男" in text and "■女" in text
    assert "■灵活就业" in text and "□企业吸纳" in text and "□其他" in text
    assert "☐" not in text and "☑" not in text


def test_signature_line_after_commitment(form_pdf):
    text = text_of(form_pdf)
    signature = "申请人（签字）：张𫖮（线上确认）"
    assert signature in text
    assert text.index(squash(COMMITMENT)) < text.index(signature)


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_font_is_embedded(form_pdf, tmp_path):
    path = tmp_path / "form.pdf"
    path.write_bytes(form_pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = out.splitlines()[2:]
    assert fonts
    for line in fonts:
        emb = line.split()[-5]
        assert emb == "yes", line


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_page_renders_non_blank(form_pdf, tmp_path):
    path = tmp_path / "form.pdf"
    path.write_bytes(form_pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    with Image.open(next(tmp_path.glob("page*.png"))) as page:
        assert page.convert("L").getextrema()[0] < 100  # some dark ink on the page


def test_long_form_breaks_pages_and_loses_nothing():
    sections = [
        FormSection(f"第{n}部分", [FormRow(f"字段{n}-{i}", f"值{n}-{i}-𫖮") for i in range(12)]) for n in range(8)
    ]
    pdf = render_form_pdf(sample_doc(sections))
    assert len(PdfReader(BytesIO(pdf)).pages) > 1
    text = text_of(pdf)
    for n in range(8):
        for i in range(12):
            assert f"值{n}-{i}-𫖮" in text


def test_value_taller_than_a_page_is_continued_not_crashed():
    huge = "河北" * 3000
    pdf = render_form_pdf(sample_doc([FormSection("地址", [FormRow("详细地址", huge)])]))
    assert text_of(pdf).count("河北") == 3000
    assert "详细地址（续）" in text_of(pdf)


def test_font_from_environment_wins(monkeypatch, fresh_font_lookup, tmp_path):
    font = tmp_path / "custom.ttc"
    font.write_bytes(b"not really a font")
    monkeypatch.setenv("CJK_FONT_PATH", str(font))
    monkeypatch.setenv("CJK_FONT_INDEX", "3")
    assert find_cjk_font() == (font, 3, None)


def test_missing_environment_font_falls_back(monkeypatch, fresh_font_lookup, caplog):
    monkeypatch.setenv("CJK_FONT_PATH", "/nonexistent/font.ttc")
    choice = find_cjk_font()
    assert choice.path != Path("/nonexistent/font.ttc")
    assert "CJK_FONT_PATH" in caplog.text


def test_noto_sans_sc_is_preferred(monkeypatch, fresh_font_lookup):
    monkeypatch.delenv("CJK_FONT_PATH", raising=False)
    noto = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if not noto.is_file():
        pytest.skip("fonts-noto-cjk not installed")
    assert find_cjk_font()[:2] == (noto, 2)


def test_noto_collection_is_found_with_its_bold_face(monkeypatch, fresh_font_lookup, tmp_path):
    monkeypatch.delenv("CJK_FONT_PATH", raising=False)
    (tmp_path / "NotoSansCJK-Regular.ttc").write_bytes(b"ttc")
    (tmp_path / "NotoSansCJK-Bold.ttc").write_bytes(b"ttc")
    wqy = tmp_path / "wqy-microhei.ttc"
    wqy.write_bytes(b"ttc")
    assert find_cjk_font((str(tmp_path),), (str(wqy),)) == (
        tmp_path / "NotoSansCJK-Regular.ttc",
        2,
        tmp_path / "NotoSansCJK-Bold.ttc",
    )


def test_wqy_is_the_fallback_with_a_warning(monkeypatch, fresh_font_lookup, tmp_path, caplog):
    monkeypatch.delenv("CJK_FONT_PATH", raising=False)
    wqy = tmp_path / "wqy-microhei.ttc"
    wqy.write_bytes(b"ttc")
    assert find_cjk_font((str(tmp_path / "none"),), (str(wqy),)) == (wqy, 0, None)
    assert "rare name characters" in caplog.text


def test_no_font_raises_with_setup_hint(monkeypatch, fresh_font_lookup, tmp_path):
    monkeypatch.delenv("CJK_FONT_PATH", raising=False)
    with pytest.raises(FontMissing, match="fonts-noto-cjk") as err:
        find_cjk_font((str(tmp_path),), (str(tmp_path / "none.ttc"),))
    assert "中文字体" in str(err.value)


def test_lookup_is_cached(fresh_font_lookup):
    assert find_cjk_font() is find_cjk_font()


# --- materials bundle -----------------------------------------------------------------


def photo(size, color) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def two_page_pdf(password: str | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    for n in range(2):
        pdf.add_page()
        pdf.cell(text=f"contract page {n + 1}")
    data = bytes(pdf.output())
    if password is None:
        return data
    writer = PdfWriter(clone_from=BytesIO(data))
    writer.encrypt(password, owner_password="owner", algorithm="AES-256")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def outline(reader: PdfReader) -> list[tuple[str, int]]:
    return [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]


def test_materials_three_photos_and_a_two_page_pdf_make_five_pages():
    parts = [
        ("居民身份证", [("image", photo((1600, 1000), "red")), ("image", photo((1600, 1000), "blue"))]),
        ("劳动合同", [("pdf", two_page_pdf())]),
        ("户口簿本人页", [("image", photo((900, 1400), "green"))]),
    ]
    reader = PdfReader(BytesIO(materials_pdf(parts)))
    assert len(reader.pages) == 5
    assert outline(reader) == [("居民身份证", 0), ("劳动合同", 2), ("户口簿本人页", 4)]
    pages = [re.sub(r"[\s\x00]", "", p.extract_text()) for p in reader.pages]
    assert "居民身份证（1/2）" in pages[0] and "居民身份证（2/2）" in pages[1]
    assert "contractpage1" in pages[2] and "contractpage2" in pages[3]
    assert "户口簿本人页" in pages[4]
    assert float(reader.pages[0].mediabox.width) > float(reader.pages[0].mediabox.height)
    assert float(reader.pages[4].mediabox.width) < float(reader.pages[4].mediabox.height)


def test_materials_accepts_pdf_encrypted_with_empty_password():
    reader = PdfReader(BytesIO(materials_pdf([("劳动合同", [("pdf", two_page_pdf(""))])])))
    assert len(reader.pages) == 2
    assert not reader.is_encrypted


def test_materials_skip_empty_parts_and_refuse_nothing():
    reader = PdfReader(
        BytesIO(materials_pdf([("转出档案介绍信", []), ("居民身份证", [("image", photo((800, 500), "gray"))])]))
    )
    assert outline(reader) == [("居民身份证", 0)]
    with pytest.raises(ValueError):
        materials_pdf([("居民身份证", [])])
    with pytest.raises(ValueError):
        materials_pdf([("x", [("docx", b"PK")])])


def test_common_subset_serves_ordinary_text_and_rare_names_use_the_full_face(tmp_path, monkeypatch):
    from dispatch import fontcache, formpdf

    monkeypatch.setenv("FONT_CACHE_DIR", str(tmp_path))
    fontcache.common_face.cache_clear()
    font = formpdf.find_cjk_font()
    fontcache.warm()  # what scripts/setup.sh runs: both faces' subsets built before any delivery
    built = sorted(p.name for p in tmp_path.glob("*.otf"))
    assert len(built) == len({font.path, font.bold or font.path}), built
    common = fontcache.common_face(font.path, font.index)
    assert common is not None and common[0].parent == tmp_path
    assert ord("张") in common[1] and ord("□") in common[1] and ord("𠀾") not in common[1]
    assert formpdf._face(font.path, font.index, "张三 河北省石家庄市") == (common[0], 0)
    assert formpdf._face(font.path, font.index, "张𠀾") == (font.path, font.index)
    fontcache.common_face.cache_clear()


def test_a_material_that_cannot_be_read_becomes_a_page_saying_which_one():
    bad: list[str] = []
    parts = [
        ("居民身份证", [("image", photo((800, 500), "gray")), ("image", b"\xff\xd8\xff broken")]),
        ("劳动合同", [("pdf", two_page_pdf()), ("pdf", b"%PDF-1.7\n garbage"), ("missing", b"")]),
    ]
    reader = PdfReader(BytesIO(materials_pdf(parts, bad)))
    pages = [re.sub(r"[\s\x00]", "", p.extract_text()) for p in reader.pages]
    assert len(pages) == 6  # photo, placeholder, two contract pages, two placeholders
    assert "材料“居民身份证（2/2）”无法显示" in pages[1]
    assert "contractpage1" in pages[2] and "材料“劳动合同（第2个文件）”无法显示" in pages[4]
    assert "材料“劳动合同（第3个文件）”无法显示" in pages[5]
    assert bad == ["居民身份证（2/2）", "劳动合同（第2个文件）", "劳动合同（第3个文件）"]


def test_a_section_heading_never_ends_a_page_alone():
    """Wherever the first section ends, the next one's heading is on the page of its first row."""
    for fields in range(56, 68):  # two short fields a row: the first page ends near its 31st row
        sections = [
            FormSection("第一部分", [FormRow(f"字段{i}", "值") for i in range(fields)]),
            FormSection("第二部分", [FormRow("首行字段", "首行值")]),
            FormSection("第三部分", [FormRow(f"尾{i}", "值") for i in range(30)]),
        ]
        reader = PdfReader(BytesIO(render_form_pdf(sample_doc(sections))))
        pages = [re.sub(r"[\s\x00]", "", page.extract_text()) for page in reader.pages]
        heading = next(k for k, text in enumerate(pages) if "第二部分" in text)
        assert "首行字段" in pages[heading], f"{fields} fields: the heading ends page {heading + 1} alone"
