"""The worker's PDF fast path: a CFF face's subset is made once per glyph set and reused, and a
reused subset gives the same PDF as a fresh one (dispatch.formpdf _SubsetCache)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import pytest

from dispatch import formpdf
from dispatch.formpdf import FormRow, FormSection, materials_pdf, render_form_pdf
from tests.dispatch.test_formpdf import sample_doc, text_of
from tests.scripts import jpeg


def cff_face() -> bool:
    try:
        return formpdf.find_cjk_font().path.suffix.lower() in (".ttc", ".otf", ".otc")
    except formpdf.FontMissing:
        return False


pytestmark = pytest.mark.skipif(not cff_face(), reason="the subset cache serves CFF (OpenType) faces only")


@pytest.fixture
def empty_cache():
    formpdf._SubsetCache._done.clear()
    yield formpdf._SubsetCache
    formpdf._SubsetCache._done.clear()


def counts() -> tuple[int, int]:
    return formpdf._SubsetCache.hits, formpdf._SubsetCache.misses


def without_dates(pdf: bytes) -> bytes:
    pdf = re.sub(rb"/CreationDate \(D:[^)]*\)", b"", pdf)
    return re.sub(rb"/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"", pdf)  # the file id hashes the date


def test_the_same_glyphs_reuse_the_subset_and_give_the_same_pdf(empty_cache):
    doc = sample_doc()
    hits, misses = counts()
    first = render_form_pdf(doc)
    assert counts() == (hits, misses + 2)  # two faces, regular and bold, subset once each
    second = render_form_pdf(doc)
    assert counts() == (hits + 2, misses + 2)
    assert without_dates(first) == without_dates(second)


def test_a_new_character_makes_a_new_subset_that_shows_it(empty_cache):
    render_form_pdf(sample_doc())
    hits, misses = counts()
    doc = sample_doc()
    section = doc.sections[0]
    changed = dataclasses.replace(doc, sections=[FormSection(section.title, [*section.rows, FormRow("备注", "龘")])])
    pdf = render_form_pdf(changed)
    assert counts()[1] > misses  # new glyphs, a new subset (a rare character may also switch faces)
    assert "龘" in text_of(pdf)


def test_materials_of_other_applications_reuse_the_caption_subset(empty_cache):
    parts = [("身份证", [("image", jpeg("red")), ("image", jpeg("blue"))]), ("户口簿", [("image", jpeg("green"))])]
    materials_pdf(parts)
    hits, misses = counts()
    other = [("身份证", [("image", jpeg("yellow")), ("image", jpeg("gray"))]), ("户口簿", [("image", jpeg("white"))])]
    bundle = materials_pdf(other)
    assert counts() == (hits + 1, misses)
    assert "身份证" in text_of(bundle)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_a_reused_subset_renders_its_glyphs(empty_cache, tmp_path):
    render_form_pdf(sample_doc())
    path = tmp_path / "again.pdf"
    path.write_bytes(render_form_pdf(sample_doc()))  # from the cache
    subprocess.run(
        ["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True, timeout=60
    )
    page = next(tmp_path.glob("p*.pgm")).read_bytes()
    header_end = page.index(b"255\n") + 4
    dark = sum(1 for b in page[header_end:] if b < 128)
    assert dark > 500  # text drawn, not an empty font


def test_an_applications_forms_share_one_subset_of_the_regular_face(empty_cache):
    doc = sample_doc()
    first, second = dataclasses.replace(doc, title="表一"), dataclasses.replace(doc, title="表二")
    other = FormSection("另一部分", [FormRow("备注", "另一段文字")])
    second = dataclasses.replace(second, sections=[*doc.sections, other])
    with formpdf.document_set(first, second):
        a = render_form_pdf(first)
        hits, misses = counts()
        b = render_form_pdf(second)
    assert counts()[0] >= hits + 1  # the regular face: the set's subset again
    assert counts()[1] <= misses + 1  # at most the bold face (other headings) is new
    assert "表一" in text_of(a) and "另一段文字" in text_of(b)


def test_a_form_outside_the_set_gets_its_own_subset(empty_cache):
    doc = sample_doc()
    stranger = dataclasses.replace(doc, sections=[FormSection("其他", [FormRow("备注", "龘")])])
    with formpdf.document_set(doc):
        pdf = render_form_pdf(stranger)
    assert "龘" in text_of(pdf)
