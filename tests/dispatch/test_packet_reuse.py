"""The worker's reuse across packets: an application's photos rendered once for its three departments
(formpdf.photo_set) and font subsets reused across documents (formpdf._SubsetCache). Reuse must never
put one department's materials into another's bundle, nor one applicant's text, glyphs or photos into
another applicant's packet."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from io import BytesIO

import pytest
from fontTools import cffLib, ttLib
from PIL import Image
from pypdf import PdfReader

from dialogs import departments
from dispatch import formpdf, routing
from dispatch.fontcache import common_face
from dispatch.packet import PacketSource, build_packet
from tests.dispatch.conftest import frozen_data, image, material
from tests.dispatch.test_formpdf import text_of

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
COLORS = {"red": (255, 0, 0), "orange": (255, 165, 0), "purple": (128, 0, 128), "yellow": (255, 255, 0)}
COLORS |= {"blue": (0, 0, 255), "green": (0, 128, 0), "white": (255, 255, 255), "black": (0, 0, 0)}
COLORS |= {"cyan": (0, 255, 255), "magenta": (255, 0, 255), "gray": (128, 128, 128), "navy": (0, 0, 128)}


@pytest.fixture(autouse=True)
def empty_caches():
    formpdf._PhotoSets._done.clear()
    yield
    formpdf._PhotoSets._done.clear()


def colors_of(pdf: bytes) -> list[str]:
    """The colour of every photo on the bundle's pages, in page order."""
    seen = []
    for page in PdfReader(BytesIO(pdf)).pages:
        for img in page.images:
            rgb = Image.open(BytesIO(img.data)).convert("RGB").getpixel((1, 1))
            seen.append(min(COLORS, key=lambda c: sum((a - b) ** 2 for a, b in zip(COLORS[c], rgb, strict=True))))
    return seen


def images_in_file(pdf: bytes) -> int:
    """Image objects anywhere in the file, referenced by a page or not."""
    return len(re.findall(rb"/Subtype\s*/Image", pdf))


def photos_of(blobs, data: dict) -> list[tuple[str, list[tuple[str, bytes]]]]:
    return [(m["title"], [("image", blobs.get(f["sha256"])) for f in m["files"]]) for m in data["materials"].values()]


def colors_by_sha(data: dict, colors: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {
        f["sha256"]: color
        for key, m in data["materials"].items()
        for f, color in zip(m["files"], colors[key], strict=True)
    }


def expected_colors(dept: str, data: dict, by_sha: dict[str, str]) -> list[str]:
    return [by_sha[f["sha256"]] for m in routing.materials_for(dept, data).values() for f in m["files"]]


FIRST = {
    "household": ("red", "orange"),
    "contract": ("purple",),
    "archive_letter": ("yellow",),
    "id_front": ("blue",),
    "id_back": ("green",),
}


def other_application(blobs) -> dict:
    """A second applicant: another name, other photos."""
    data = frozen_data(blobs, with_contract=True)
    data["answers"] |= {"name": "龚鑫", "bank_holder": "龚鑫"}
    data["materials"] = {
        "household": material(blobs, "户口簿本人页", "white", "black"),
        "contract": material(blobs, "有效期内劳动合同", "cyan"),
        "archive_letter": material(blobs, "转出档案介绍信或解除终止劳动关系协议", "magenta"),
        "id_front": material(blobs, "居民身份证（人像面）", "gray"),
        "id_back": material(blobs, "居民身份证（国徽面）", "navy"),
    }
    return data


SECOND = {
    "household": ("white", "black"),
    "contract": ("cyan",),
    "archive_letter": ("magenta",),
    "id_front": ("gray",),
    "id_back": ("navy",),
}


def test_an_applications_photos_are_rendered_once_and_each_bundle_holds_only_its_own(blobs):
    data = frozen_data(blobs, with_contract=True)
    source = PacketSource(ref="LJ260302-00021", version=1, data=data)
    misses, hits = formpdf._PhotoSets.misses, formpdf._PhotoSets.hits
    packets = {d: build_packet(source, d, blobs, now=NOW) for d in departments.KEYS}
    assert (formpdf._PhotoSets.misses, formpdf._PhotoSets.hits) == (misses + 1, hits + len(departments.KEYS) - 1)
    by_sha = colors_by_sha(data, FIRST)
    sizes = set()
    for dept, packet in packets.items():
        bundle = packet.files["materials.pdf"]
        want = expected_colors(dept, data, by_sha)
        sizes.add(len(want))
        assert colors_of(bundle) == want, dept
        assert images_in_file(bundle) == len(want), dept  # no other department's photo rides along
        titles = [m["title"] for m in routing.materials_for(dept, data).values()]
        outline = [item.title for item in PdfReader(BytesIO(bundle)).outline]
        assert outline == titles
    assert len(sizes) > 1  # the departments really see different materials


def test_each_photo_is_read_from_the_store_once_for_all_the_departments(blobs, monkeypatch):
    data = frozen_data(blobs, with_contract=True)
    source = PacketSource(ref="LJ260302-00022", version=1, data=data)
    photos = {f["sha256"] for m in data["materials"].values() for f in m["files"] if f["kind"] == "image"}
    reads: list[str] = []
    real_get = blobs.get
    monkeypatch.setattr(blobs, "get", lambda ref: reads.append(ref) or real_get(ref))
    packets = {d: build_packet(source, d, blobs, now=NOW) for d in departments.KEYS}
    assert sorted(r for r in reads if r in photos) == sorted(photos)  # the set's one read each
    by_sha = colors_by_sha(data, FIRST)
    for dept, packet in packets.items():  # and each bundle still shows its own photos
        assert colors_of(packet.files["materials.pdf"]) == expected_colors(dept, data, by_sha), dept
        assert packet.meta["unreadable"] == [], dept


def test_a_bundle_from_the_shared_set_reads_like_one_rendered_alone(blobs, tmp_path):
    data = frozen_data(blobs, with_contract=True)
    everything = photos_of(blobs, data)
    mine = [part for part in everything if part[0].startswith("居民身份证")]
    shared = formpdf.materials_pdf(mine, [], formpdf.PhotoSet.of(everything))
    alone = formpdf.materials_pdf(mine, [])
    assert text_of(shared) == text_of(alone)
    assert colors_of(shared) == colors_of(alone) == ["blue", "green"]
    assert len(PdfReader(BytesIO(shared)).pages) == len(PdfReader(BytesIO(alone)).pages) == 2
    if shutil.which("pdftoppm"):
        pages = _pixels(shared, tmp_path / "shared")
        assert len(pages) == 2 and pages == _pixels(alone, tmp_path / "alone")


def _pixels(pdf: bytes, where) -> list[bytes]:
    where.mkdir()
    (where / "in.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(where / "in.pdf"), str(where / "page")], check=True)
    return [page.read_bytes() for page in sorted(where.glob("page*.pgm"))]


def test_a_photo_missing_from_the_set_makes_the_bundle_render_its_own(blobs):
    data = frozen_data(blobs)
    everything = photos_of(blobs, data)
    changed = [("居民身份证（人像面）", [("image", image("purple"))])]  # same caption, other bytes
    bundle = formpdf.materials_pdf(changed, [], formpdf.PhotoSet.of(everything))
    assert colors_of(bundle) == ["purple"]


def test_two_applications_packets_hold_only_their_own_text_glyphs_and_photos(blobs):
    # The first applicant's forms print every character the second's print, and more (龚鑫): a subset
    # cache that let the second reuse the first's subset would embed those two glyphs in its forms.
    first = other_application(blobs)
    first["answers"]["bank_holder"] = frozen_data(blobs)["answers"]["name"]
    second = frozen_data(blobs, with_contract=True)
    sources = [PacketSource(ref=f"LJ260302-0003{i}", version=1, data=d) for i, d in enumerate((first, second))]
    packets = [{d: build_packet(s, d, blobs, now=NOW) for d in departments.KEYS} for s in sources]
    for mine, data, colors in ((packets[0], first, SECOND), (packets[1], second, FIRST)):
        by_sha = colors_by_sha(data, colors)
        for dept, packet in mine.items():
            assert colors_of(packet.files["materials.pdf"]) == expected_colors(dept, data, by_sha), dept
    cmap = _face_cmap()
    for dept, packet in packets[1].items():
        form = packet.files["form.pdf"]
        text = text_of(form)
        assert second["answers"]["name"] in text and "龚" not in text and "鑫" not in text
        assert not {cmap[ord("龚")], cmap[ord("鑫")]} & embedded_glyphs(form), dept
    assert any("龚鑫" in text_of(p.files["form.pdf"]) for p in packets[0].values())


def _face_cmap() -> dict[int, str]:
    font = formpdf.find_cjk_font()
    common = common_face(font.path, font.index)
    path, index = (common[0], 0) if common else (font.path, font.index)
    with ttLib.TTFont(path, fontNumber=index, lazy=True) as face:
        return dict(face.getBestCmap())


def embedded_glyphs(pdf: bytes) -> set[str]:
    """The glyph names of every CFF font program embedded in the PDF."""
    names: set[str] = set()
    for page in PdfReader(BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile3" in descriptor:
                    cff = cffLib.CFFFontSet()
                    cff.decompile(BytesIO(descriptor["/FontFile3"].get_object().get_data()), None)
                    names.update(cff[cff.fontNames[0]].charset)
    return names


def test_a_departments_form_embeds_no_glyph_of_what_only_another_department_prints(blobs):
    # The archive agency is printed on 人社's form only (routing.FIELDS_BY_DEPARTMENT): a font subset
    # shared by the application's forms would put its glyphs into 医保's and 税务's forms too.
    data = frozen_data(blobs, with_contract=True)
    data["answers"]["archive_agency"] = "龚鑫人才服务中心"
    source = PacketSource(ref="LJ260302-00041", version=1, data=data)
    forms = {d: build_packet(source, d, blobs, now=NOW).files["form.pdf"] for d in departments.KEYS}
    only_hrss = {_face_cmap()[ord(ch)] for ch in "龚鑫"}
    assert "龚鑫人才服务中心" in text_of(forms["hrss"])
    assert only_hrss <= embedded_glyphs(forms["hrss"])
    for dept in ("medical", "tax"):
        assert "龚" not in text_of(forms[dept]), dept
        assert not only_hrss & embedded_glyphs(forms[dept]), dept
