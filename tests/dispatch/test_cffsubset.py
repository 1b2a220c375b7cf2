"""The byte-copying subsetter of the cached common face (dispatch.cffsubset): a subset must draw every
kept glyph exactly as the face does, keep its CIDs, and hold nothing but the glyphs asked for."""

from __future__ import annotations

from io import BytesIO

import pytest
from fontTools import cffLib, ttLib
from fontTools.pens.recordingPen import RecordingPen

from dispatch import formpdf
from dispatch.cffsubset import CidFont, Unsupported
from dispatch.fontcache import common_face

TEXT = "灵活就业申报表单张伟河北省石家庄市长安区建设北大街88号（）：■□0123456789ABCxyz"


@pytest.fixture(scope="module")
def face() -> ttLib.TTFont:
    font = formpdf.find_cjk_font()
    common = common_face(font.path, font.index)
    if common is None:
        pytest.skip("no common CJK subset could be built")
    with ttLib.TTFont(common[0], lazy=True) as face:
        yield face


def decompiled(table: bytes):
    fonts = cffLib.CFFFontSet()
    fonts.decompile(BytesIO(table), None)
    return fonts[fonts.fontNames[0]]


def test_a_subset_draws_each_glyph_as_the_face_does_with_its_cid_and_width(face):
    cmap = face.getBestCmap()
    wanted = [cmap[ord(ch)] for ch in TEXT]
    table, ids = CidFont(face.reader["CFF "]).subset(wanted)
    sub = decompiled(table)
    source = face["CFF "].cff[face["CFF "].cff.fontNames[0]]
    assert sub.ROS == source.ROS
    order = face.getGlyphOrder()
    assert sub.charset == sorted({".notdef", *wanted}, key=order.index)  # the face's order, its CIDs
    assert ids == {name: gid for gid, name in enumerate(sub.charset)}
    for name in {".notdef", *wanted}:
        mine, theirs = RecordingPen(), RecordingPen()
        sub.CharStrings[name].draw(mine)
        source.CharStrings[name].draw(theirs)
        assert mine.value == theirs.value, name
        assert sub.CharStrings[name].width == source.CharStrings[name].width, name
    fds = {sub.FDArray[sub.FDSelect[gid]].FontName for gid in range(len(sub.charset))}
    assert fds == {source.FDArray[source.FDSelect[order.index(n)]].FontName for n in sub.charset}


def test_a_subset_holds_only_the_glyphs_asked_for(face):
    cmap = face.getBestCmap()
    table, _ = CidFont(face.reader["CFF "]).subset([cmap[ord("张")], "no-such-glyph"])
    assert decompiled(table).charset == [".notdef", cmap[ord("张")]]


def test_a_face_with_subroutines_is_left_to_fonttools():
    font = formpdf.find_cjk_font()
    with ttLib.TTFont(font.path, fontNumber=font.index, lazy=True) as full:
        if "CFF " not in full:
            pytest.skip("the installed CJK face has no CFF table")
        with pytest.raises(Unsupported):
            CidFont(full.reader["CFF "])
