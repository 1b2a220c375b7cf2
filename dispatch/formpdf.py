"""Renders the unified application form (表2) and the materials bundle as PDFs."""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import hashlib
import logging
import os
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF, FontFace, XPos, YPos
from fpdf import output as fpdf_output
from fpdf.enums import TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont
from PIL import Image
from pypdf import PdfReader, PdfWriter

from dispatch.cffsubset import CidFont, Unsupported
from dispatch.fontcache import common_face

log = logging.getLogger(__name__)

FONT = "CJK"
CHECKED, UNCHECKED = "\u25a0", "\u25a1"  # ■ □: present in every CJK font, unlike ☑/☐
BODY_PT = 10
_PAD = 1.2  # mm inside every table cell
_MAX_LINES = 30  # per table row; a row taller than a page cannot be drawn
_COLS = (20, 30, 20, 30)  # label, value, label, value (per cent of the width)
_LABEL = FontFace(fill_color=(245, 245, 245))  # label cells of fpdf tables (office.receipt)
UNREADABLE_NOTE = "该文件无法读取，已单独隔离，其余材料不受影响。请联系申请人重新提交该材料。"


@dataclass
class FormRow:
    label: str
    value: str
    required: bool = False
    options: list[str] | None = None
    chosen: list[str] | None = None


@dataclass
class FormSection:
    title: str
    rows: list[FormRow]
    note: str | None = None


@dataclass
class FormDocument:
    title: str
    reference: str
    sections: list[FormSection]
    commitment: str
    signer: str
    signed_at: str
    generated_at: str
    signed_how: str = "线上确认"  # or "窗口当面确认" for a walk-in entered at the window


class FontMissing(RuntimeError):
    """No font with Chinese glyphs is installed."""


class FontChoice(NamedTuple):
    path: Path
    index: int  # face number inside a .ttc collection
    bold: Path | None = None  # a matching bold file, same index


NOTO_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-cjk")
WQY = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


@functools.cache
def find_cjk_font(noto_dirs: tuple[str, ...] = NOTO_DIRS, wqy: tuple[str, ...] = WQY) -> FontChoice:
    """CJK_FONT_PATH (+ CJK_FONT_INDEX), then Noto Sans/Serif CJK SC in `noto_dirs`, then `wqy`."""
    if env := os.environ.get("CJK_FONT_PATH"):
        path = Path(env)
        if path.is_file():
            return FontChoice(path, int(os.environ.get("CJK_FONT_INDEX", "0")))
        log.warning("CJK_FONT_PATH=%s does not exist; looking for system fonts", env)
    for family in ("NotoSansCJK", "NotoSerifCJK"):
        for directory in noto_dirs:
            regular = Path(directory, f"{family}-Regular.ttc")
            if regular.is_file():  # index 2 of the collection is Simplified Chinese
                bold = regular.with_name(f"{family}-Bold.ttc")
                return FontChoice(regular, 2, bold if bold.is_file() else None)
    for name in wqy:
        if Path(name).is_file():
            log.warning(
                "Noto CJK not found, using %s: rare name characters (e.g. 𫖮 𬌗) will be missing from PDFs", name
            )
            return FontChoice(Path(name), 0)
    raise FontMissing(
        "未找到中文字体，无法生成 PDF。请运行安装脚本（apt-get install -y "
        "fonts-noto-cjk）。No CJK font found: run the setup script to "
        "install fonts-noto-cjk, or set CJK_FONT_PATH."
    )


class _Pdf(FPDF):
    footer_text: str | None = None

    def footer(self) -> None:
        if self.footer_text is None:
            return
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text}    第 {self.page_no()} / {{nb}} 页", align="C")
        self.set_text_color(0)


_PARSED: dict[tuple[str, int], TTFFont] = {}
_DROPPED = ("GDEF", "GPOS", "GSUB", "MATH")  # layout tables fpdf's subsetting removes
_PARSED_LOCK = threading.Lock()


def _parsed(path: Path, index: int) -> TTFFont:
    """A CJK face parsed once per process (cmap and widths of ~65k glyphs: ~0.4 s a face)."""
    key = (str(path), index)
    with _PARSED_LOCK:
        if key not in _PARSED:
            scratch = FPDF()
            scratch.add_font("parsed", "", path, collection_font_number=index)
            template = scratch.fonts["parsed"]
            template.ttfont.close()  # each document opens its own: subsetting changes it
            _PARSED[key] = template
        return _PARSED[key]


class _DocumentFace(ttLib.TTFont):
    """One document's fontTools view of a face. For a CID-keyed CFF face fpdf 2.8 embeds only the
    'CFF ' table, compiled on its own: it first saves the whole subset font to a buffer, then compiles
    the CFF again and discards the buffer (fpdf/output.py `_add_fonts`). That first compile is skipped,
    and a subset already made for the same glyphs of the same face is reused (_SubsetCache)."""

    embeds_cff_only = False
    face_key: tuple[str, int] | None = None  # set for CID-keyed CFF faces: their subsets are cached
    shared_chars: frozenset[int] | None = None  # the document set's characters (document_set)
    _compiled: _Subset | None = None

    def save(self, file, reorderTables=True) -> None:
        if self.embeds_cff_only and hasattr(file, "write") and "CFF " in self:
            return
        super().save(file, reorderTables)

    def use_subset(self, subset: _Subset) -> None:
        self._compiled = subset

    def getGlyphID(self, glyphName):
        if self._compiled is not None:
            return self._compiled.glyph_ids[glyphName]
        return super().getGlyphID(glyphName)

    def __getitem__(self, tag):
        if tag == "CFF " and self._compiled is not None:
            return self._compiled
        return super().__getitem__(tag)


@dataclass(frozen=True)
class _Subset:
    """A face's subset for one set of glyphs: the compiled CFF table fpdf embeds and the glyph ids."""

    cff: bytes
    glyph_ids: dict[str, int]

    def compile(self, font) -> bytes:  # what fpdf calls on the 'CFF ' table
        return self.cff


class _Kept:
    """A map shared by the worker's threads that keeps at most `limit` entries, dropping the oldest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: dict = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._items.get(key)

    def put(self, key, value) -> None:
        with self._lock:
            while len(self._items) >= self.limit:
                self._items.pop(next(iter(self._items)))
            self._items[key] = value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class _SubsetCache:
    """fpdf's `Subsetter` for our CFF faces: one fontTools subset per (face, glyph set), kept for later
    documents with the same glyphs (a materials bundle's captions, an application's form rebuilt). Any
    other font goes to fontTools unchanged."""

    # What fontTools needs to subset the CFF table fpdf embeds; every other table of the face (cmap,
    # OS/2, name, vertical metrics...) would be decompiled and pruned only to be thrown away (fpdf embeds
    # the 'CFF ' table alone): the CFF comes out byte-identical, at about half the cost.
    KEEP = frozenset({"GlyphOrder", "head", "hhea", "maxp", "post", "hmtx", "CFF "})
    _done = _Kept(128)  # (face, glyph set) -> _Subset
    _cmaps: dict[tuple, dict[int, str]] = {}  # per face (path, index, size, mtime): read-only
    _cid_fonts: dict[tuple, CidFont | None] = {}  # per face, likewise
    _lock = threading.Lock()
    hits = misses = 0

    def __init__(self, options) -> None:
        self._real = ftsubset.Subsetter(options)
        self._glyphs: frozenset[str] = frozenset()

    def populate(self, glyphs=(), **kw) -> None:
        self._glyphs = frozenset(glyphs)
        self._real.populate(glyphs=glyphs, **kw)

    def subset(self, font) -> None:
        face = getattr(font, "face_key", None)
        if face is None:
            self._real.subset(font)
            return
        shared = font.shared_chars
        if shared is not None:  # one subset for the whole document set (document_set), if it covers us
            key = (face, "set", shared)
            done = self._done.get(key)
            if done is None:
                cmap = self._cmap(face, font)
                glyphs = [cmap[c] for c in shared if c in cmap]
                self._real.populate(glyphs=glyphs)  # added to this document's own glyphs
                self._store(key, font, self._glyphs.union(glyphs))
                return
            if self._glyphs <= done.glyph_ids.keys():
                with self._lock:
                    type(self).hits += 1
                font.use_subset(done)
                return
        self._store((face, self._glyphs), font, self._glyphs)

    @classmethod
    def _cmap(cls, face: tuple, font) -> dict[int, str]:
        with cls._lock:
            cmap = cls._cmaps.get(face)
        if cmap is None:
            cmap = dict(font.getBestCmap())
            with cls._lock:
                cls._cmaps[face] = cmap
        return cmap

    @classmethod
    def _cid_font(cls, face: tuple, font) -> CidFont | None:
        """The face's CFF parsed for cffsubset, or None when that cannot subset it (subroutines: the
        full face; only the cached common face is desubroutinized)."""
        with cls._lock:
            if face in cls._cid_fonts:
                return cls._cid_fonts[face]
        try:
            parsed: CidFont | None = CidFont(font.reader["CFF "])
        except (Unsupported, KeyError, IndexError, struct.error):
            parsed = None
        with cls._lock:
            cls._cid_fonts[face] = parsed
        return parsed

    def _store(self, key: tuple, font, glyphs) -> None:
        done = self._done.get(key)
        if done is None and (cid := self._cid_font(key[0], font)) is not None:
            # the charstrings copied as bytes: the same outlines, ~3 ms for 400 glyphs instead of ~100
            table, ids = cid.subset(glyphs)
            done = _Subset(_Program(table), ids)
            self._done.put(key, done)
            with self._lock:
                type(self).misses += 1
        elif done is None:
            for tag in set(font.keys()) - self.KEEP:
                del font[tag]
            self._real.subset(font)
            done = _Subset(
                _Program(super(_DocumentFace, font).__getitem__("CFF ").compile(font)),
                {name: super(_DocumentFace, font).getGlyphID(name) for name in font.getGlyphOrder()},
            )
            self._done.put(key, done)
            with self._lock:
                type(self).misses += 1
        else:
            with self._lock:
                type(self).hits += 1
        font.use_subset(done)


class _Program(bytes):
    """A cached subset's font program (_Subset.cff): the only programs _FontStream keeps."""


class _FontStream(fpdf_output.PDFFontStream):
    """fpdf's embedded font program, zlib-compressed; a cached subset's program is compressed once,
    not once per document (zlib is deterministic). Other programs (TrueType faces, which fpdf
    subsets itself per document) are compressed as fpdf does and not kept."""

    _packed = _Kept(64)  # font program -> its compressed bytes

    def __init__(self, contents: bytes) -> None:
        if not isinstance(contents, _Program):
            super().__init__(contents)
            return
        packed = self._packed.get(contents)
        if packed is None:
            super().__init__(contents)
            self._packed.put(contents, self._contents)
            return
        super().__init__(b"")
        self._contents, self.length, self.length1 = packed, len(packed), len(contents)


fpdf_output.ftsubset = SimpleNamespace(Options=ftsubset.Options, Subsetter=_SubsetCache)
fpdf_output.PDFFontStream = _FontStream
_SHARED: contextvars.ContextVar[frozenset[int] | None] = contextvars.ContextVar("formpdf_shared", default=None)
_SET_EXTRA = "编号：生成时间：第页/（续）0123456789-:年月日□■*"  # footer, continuation, dates, boxes


@contextlib.contextmanager
def document_set(*docs: FormDocument) -> Iterator[None]:
    """Forms rendered inside (in this thread or one it starts with asyncio.to_thread) share one font
    subset per face, made for every character of `docs`: an application's department forms subset the
    face once instead of once each. A document with a character outside the set is subset on its own."""
    chars = frozenset(
        ord(ch) for doc in docs for ch in doc.title + _document_text(doc) + _SET_EXTRA if not ch.isspace()
    )
    token = _SHARED.set(chars)
    try:
        yield
    finally:
        _SHARED.reset(token)


def _add_font(pdf: FPDF, style: str, path: Path, index: int, shared: frozenset[int] | None = None) -> None:
    """pdf.add_font(FONT, style, path) from the parsed face: the read-only metrics are shared, the
    document gets its own glyph subset and its own fontTools view of the file."""
    template = _parsed(path, index)
    font = TTFFont.__new__(TTFFont)
    for slot in TTFFont.__slots__:
        if hasattr(template, slot):
            setattr(font, slot, getattr(template, slot))
    font.desc = copy.copy(template.desc)  # a PDF object: output numbers it, so one per document
    font.i = len(pdf.fonts) + 1
    font.fontkey = FONT.lower() + style
    font.emphasis = TextEmphasis.coerce(style)
    font._hbfont = None
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    # Skipping the bounding-box recalculation on save saves ~0.3 s a face; the embedded subset then
    # declares the whole face's box, which is valid (the box only has to enclose every glyph).
    font.ttfont = _DocumentFace(path, fontNumber=index, lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    font.ttfont.embeds_cff_only = bool(font.is_cff and font.is_cid_keyed)
    if font.ttfont.embeds_cff_only:
        stat = path.stat()
        font.ttfont.face_key = (str(path), index, stat.st_size, stat.st_mtime_ns)
        font.ttfont.shared_chars = shared
    for tag in _DROPPED:  # fpdf drops these when subsetting, but only after decompiling them (~0.2 s)
        if tag in font.ttfont:
            del font.ttfont[tag]
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")


def _output(pdf: FPDF) -> bytes:
    try:
        return bytes(pdf.output())
    finally:
        _close(pdf)


def _close(pdf: FPDF) -> None:
    for font in pdf.fonts.values():
        if isinstance(font, TTFFont):
            font.ttfont.close()


def _face(path: Path, index: int, text: str) -> tuple[Path, int]:
    """The cached common subset when it covers every character of the document, else the full face."""
    common = common_face(path, index)
    if common is not None and all(ord(ch) in common[1] for ch in text if not ch.isspace()):
        return common[0], 0
    return path, index


def _new_pdf(title: str, bold: bool = True, text: str = "") -> _Pdf:
    font = find_cjk_font()
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    shared = _SHARED.get()
    if shared is not None and not all(ord(ch) in shared for ch in title + text if not ch.isspace()):
        shared = None  # not a document of the set (a materials bundle): its own subset
    chosen = title + text if shared is None else "".join(map(chr, shared))  # the same face for the set
    _add_font(pdf, "", *_face(font.path, font.index, chosen), shared)
    if bold:  # a second face, for headings: fixed texts, so its exact subsets recur across applications
        _add_font(pdf, "B", *_face(font.bold or font.path, font.index, title + text))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.set_creator("hebei-flexjob-assistant")
    return pdf


def _document_text(doc: FormDocument) -> str:
    parts = [doc.reference, doc.commitment, doc.signer, doc.signed_at, doc.generated_at, doc.signed_how]
    for section in doc.sections:
        parts += [section.title, section.note or ""]
        for row in section.rows:
            parts += [row.label, row.value, *(row.options or []), *(row.chosen or [])]
    return "".join(parts)


def render_form_pdf(doc: FormDocument) -> bytes:
    """The applicant's answers laid out like the seed's 表2, as an A4 PDF. The pledge and signature
    never stand alone on a page: first the table is set tighter, then the last section goes along."""
    for size in (BODY_PT, BODY_PT - 1):
        pdf, alone = _layout(doc, size, carry=0)
        if not alone:
            return _output(pdf)
        _close(pdf)
    return _output(_layout(doc, BODY_PT, carry=1)[0])


def _layout(doc: FormDocument, size: float, carry: int) -> tuple[FPDF, bool]:
    pdf = _new_pdf(doc.title, text=_document_text(doc))
    pdf.footer_text = f"编号：{doc.reference}    生成时间：{doc.generated_at}"
    pdf.add_page()
    pdf.set_font(FONT, size=9)
    pdf.cell(0, 5, f"编号：{doc.reference}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 9, doc.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(FONT, size=size)
    split = len(doc.sections) - carry
    _table(pdf, doc.sections[:split])
    if carry and doc.sections[split:]:
        pdf.add_page()
        _table(pdf, doc.sections[split:])
    alone = _commitment(pdf, doc)
    return pdf, alone and not carry


@dataclass
class _Cell:
    """One cell of a table row: its box, its text already broken into lines, and how it is drawn."""

    x: float
    w: float
    lines: list[str]
    fill: int | None = None  # grey level of the background; None: none
    bold: bool = False
    right: float | None = None  # right-aligned text ending this far inside the box; None: left, at _PAD


class _Row(NamedTuple):
    cells: list[_Cell]
    height: float


def _text_width(pdf: FPDF, text: str) -> float:
    """The width of `text` in the current font, as fpdf measures it (the face's advance widths; the
    forms use no character spacing, stretching or text shaping)."""
    cw = pdf.current_font.cw
    return sum(cw[ord(ch)] for ch in text) * pdf.font_size_pt * 0.001 / pdf.k


def _lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """`text` broken into lines no wider than `width` in the current font, by character (as fpdf's
    WrapMode.CHAR does); each newline starts a line."""
    cw = pdf.current_font.cw
    room = width * pdf.k / (pdf.font_size_pt * 0.001) + 1e-6  # in the face's units
    out: list[str] = []
    for par in text.split("\n"):
        if sum(cw[ord(ch)] for ch in par) <= room:
            out.append(par)
            continue
        start, used = 0, 0.0
        for i, ch in enumerate(par):
            advance = cw[ord(ch)]
            if used + advance > room and i > start:
                out.append(par[start:i])
                start, used = i, 0.0
            used += advance
        out.append(par[start:])
    return out


def _draw_row(pdf: FPDF, row: _Row, line_h: float, pad: float) -> None:
    """Backgrounds, then borders, then text (vertically centred, as fpdf's table does), then y moves
    to the row's bottom. The row is drawn where y is: the caller has made room for it."""
    y = pdf.y
    for cell in row.cells:
        if cell.fill is not None:
            pdf.set_fill_color(cell.fill)
            pdf.rect(cell.x, y, cell.w, row.height, style="F")
    for cell in row.cells:
        pdf.rect(cell.x, y, cell.w, row.height)
    size = pdf.font_size
    for cell in row.cells:
        if not any(cell.lines):
            continue
        if cell.bold:
            pdf.set_font(FONT, "B", pdf.font_size_pt)
        top = y + (row.height - len(cell.lines) * line_h) / 2 + 0.5 * line_h + 0.3 * size
        for k, line in enumerate(cell.lines):
            if line:
                x = cell.x + pad if cell.right is None else cell.x + cell.w - cell.right - _text_width(pdf, line)
                pdf.text(x, top + k * line_h, line)
        if cell.bold:
            pdf.set_font(FONT, "", pdf.font_size_pt)
    pdf.set_y(y + row.height)


def _room_for(pdf: FPDF, height: float) -> None:
    """A new page unless `height` fits above the page's bottom margin."""
    if pdf.will_page_break(height):
        pdf.add_page()


def _table(pdf: FPDF, sections: list[FormSection]) -> None:
    """The form's table, drawn directly: four columns (label, value, label, value), each section under
    a grey heading row spanning them. A row never breaks; a value too tall for a page continues in
    rows of its own (（续）), and a heading never ends a page alone: it goes with its first row."""
    if not sections:
        return
    x0, epw, pad = pdf.l_margin, pdf.epw, _PAD
    widths = [epw * c / 100 for c in _COLS]
    xs = [x0 + sum(widths[:i]) for i in range(4)]
    label_w, value_w = widths[0] - 2 * pad, widths[1] - 2 * pad
    wide_w = epw - widths[0] - 2 * pad
    line_h, min_h = pdf.font_size * 1.4, pdf.font_size * 2

    def row(*cells: _Cell) -> _Row:
        return _Row(list(cells), max(min_h, *(len(c.lines) * line_h + 2 * pad for c in cells)))

    for section in sections:
        header = section.title + (f"（{section.note}）" if section.note else "")
        pdf.set_font(FONT, "B", pdf.font_size_pt)
        heading = row(_Cell(x0, epw, _lines(pdf, header, epw - 2 * pad), fill=217, bold=True))
        pdf.set_font(FONT, "", pdf.font_size_pt)
        rows: list[_Row] = []
        for pair in _pairs(pdf, section.rows, label_w, value_w):
            if len(pair) == 2:
                cells = []
                for item, (lx, vx) in zip(pair, ((xs[0], xs[1]), (xs[2], xs[3])), strict=True):
                    cells.append(_Cell(lx, widths[0], _lines(pdf, _label(item), label_w), fill=245))
                    cells.append(_Cell(vx, widths[1], _lines(pdf, _value(pdf, item, value_w), value_w)))
                rows.append(row(*cells))
                continue
            item = pair[0]
            for i, part in enumerate(_chunks(pdf, _value(pdf, item, wide_w), wide_w)):
                label = _lines(pdf, _label(item) + ("（续）" if i else ""), label_w)
                rows.append(row(_Cell(xs[0], widths[0], label, fill=245), _Cell(xs[1], epw - widths[0], part)))
        _room_for(pdf, heading.height + (rows[0].height if rows else 0))
        _draw_row(pdf, heading, line_h, pad)
        for r in rows:
            _room_for(pdf, r.height)
            _draw_row(pdf, r, line_h, pad)


def _commitment(pdf: FPDF, doc: FormDocument) -> bool:
    """The pledge and the signature, kept together under the table; True when they had to start
    a new page of their own."""
    line_h = pdf.font_size * 1.4
    x0, epw = pdf.l_margin, pdf.epw
    pledge = _chunks(pdf, doc.commitment, epw - 4 * _PAD)
    pledge_lines = len(pledge[0]) if len(pledge) == 1 else 0
    moved = pdf.get_y() + (pledge_lines + 2) * line_h + 16 > pdf.page_break_trigger
    if moved:
        pdf.add_page()
    for part in pledge:  # 3 mm above and below, 2.4 mm either side
        r = _Row([_Cell(x0, epw, part)], len(part) * line_h + 2 * 3)
        _room_for(pdf, r.height)
        _draw_row(pdf, r, line_h, 2 * _PAD)
    signature = [f"申请人（签字）：{doc.signer}（{doc.signed_how}）", doc.signed_at]
    r = _Row([_Cell(x0, epw, signature, right=6 * _PAD)], len(signature) * line_h + 2 * 4)
    _room_for(pdf, r.height)
    _draw_row(pdf, r, line_h, 6 * _PAD)
    return moved


def _chunks(pdf: FPDF, text: str, width: float) -> list[list[str]]:
    """`text` broken into lines at `width`, in pieces of at most _MAX_LINES lines: a row cannot
    break across pages, so a value too tall for one page takes several rows."""
    lines = _lines(pdf, text, width)
    return [lines[i : i + _MAX_LINES] for i in range(0, len(lines), _MAX_LINES)]


def _label(row: FormRow) -> str:
    return row.label + ("*" if row.required and not row.label.endswith("*") else "")


def _value(pdf: FPDF, row: FormRow, width: float) -> str:
    if row.options is None:
        return row.value
    chosen = list(row.chosen or [])
    marks = [f"{CHECKED if o in chosen else UNCHECKED} {o}" for o in row.options]
    marks += [f"{CHECKED} {c}" for c in chosen if c not in row.options]
    lines: list[str] = []
    for mark in marks:  # keep each option whole on one line where it fits
        if lines and _text_width(pdf, f"{lines[-1]}\u3000{mark}") <= width:
            lines[-1] = f"{lines[-1]}\u3000{mark}"
        else:
            lines.append(mark)
    if row.value and row.value not in chosen:
        lines.append(row.value)
    return "\n".join(lines)


def _pairs(pdf: FPDF, rows: list[FormRow], label_w: float, value_w: float) -> list[list[FormRow]]:
    """Two short fields share a line; a long one, or a lone short one, takes the width."""

    def short(row: FormRow) -> bool:
        text = _value(pdf, row, value_w)
        return "\n" not in text and _text_width(pdf, text) <= value_w and _text_width(pdf, _label(row)) <= 2 * label_w

    lines: list[list[FormRow]] = []
    pending: FormRow | None = None
    for row in rows:
        if short(row):
            if pending is None:
                pending = row
                continue
            lines.append([pending, row])
        else:
            if pending is not None:
                lines.append([pending])
            lines.append([row])
        pending = None
    if pending is not None:
        lines.append([pending])
    return lines


Parts = list[tuple[str, list[tuple[str, bytes]]]]  # (material title, [(kind, bytes), ...]) in order


class Held(bytes):
    """A photo the application's PhotoSet already shows, not loaded again: empty bytes carrying the
    photo's blob reference (the SHA-256 of its content, which the blob store verifies on read)."""

    ref: str

    def __new__(cls, ref: str) -> Held:
        held = super().__new__(cls, b"")
        held.ref = ref
        return held


def _ref(data: bytes) -> str:
    return data.ref if isinstance(data, Held) else hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class PhotoSet:
    """An application's photos rendered once as captioned pages, for all its departments' bundles:
    page i shows photo i; `index` finds it by (caption, SHA-256 of the photo's bytes)."""

    pdf: bytes
    index: dict[tuple[str, str], int]
    failed: frozenset[int]  # pages saying the photo could not be shown
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @classmethod
    def of(cls, parts: Parts) -> PhotoSet:
        images = _images(parts)
        bad: list[str] = []
        pdf = _photo_pages(images, bad) if images else b""
        keys = [(photo_caption(title, i, n), _ref(data)) for title, i, n, data in images]
        failed = frozenset(k for k, key in enumerate(keys) if key[0] in bad)
        return cls(pdf, {key: k for k, key in enumerate(keys)}, failed)

    def holds(self, caption: str, ref: str | None) -> bool:
        return (caption, ref) in self.index

    @functools.cached_property
    def _reader(self) -> PdfReader:  # parsed once for all the departments' bundles
        return PdfReader(BytesIO(self.pdf))

    @contextlib.contextmanager
    def reading(self) -> Iterator[PdfReader]:
        """The set's pages, one thread at a time (pypdf reads objects lazily from one stream)."""
        with self._lock:
            yield self._reader


class _PhotoSets:
    """The last few applications' PhotoSets, keyed by every photo's caption and content hash (the
    blob store's reference, which it verifies on read): the worker builds an application's three
    department packets one after another, and each takes its own photos' pages from the one set."""

    _done = _Kept(2)  # photo bytes are large; one application at a time is what the worker needs
    _lock = threading.Lock()
    hits = misses = 0

    @classmethod
    def get(cls, key: tuple, parts: Callable[[], Parts]) -> PhotoSet:
        done = cls._done.get(key)
        if done is not None:
            with cls._lock:
                cls.hits += 1
            return done
        done = PhotoSet.of(parts())
        cls._done.put(key, done)
        with cls._lock:
            cls.misses += 1
        return done


def photo_set(key: tuple, parts: Callable[[], Parts]) -> PhotoSet:
    """The PhotoSet of an application's photos: `key` names every photo (caption, reference) so that
    equal keys mean equal pages; `parts` loads the photos when the set is not cached."""
    return _PhotoSets.get(key, parts)


def photo_caption(title: str, number: int, count: int) -> str:
    return title if count == 1 else f"{title}（{number}/{count}）"


def _images(parts: Parts) -> list[tuple[str, int, int, bytes]]:
    return [
        (title, i, len(items), data)
        for title, items in parts
        for i, (kind, data) in enumerate(items, 1)
        if kind == "image"
    ]


def materials_pdf(parts: Parts, unreadable: list[str] | None = None, photos: PhotoSet | None = None) -> bytes:
    """One PDF of all materials in order: photos as captioned A4 pages, PDFs as given. A file that cannot
    be read becomes a page saying which material it was (listed in `unreadable`), never a failed packet.
    `photos`: the application's photos already rendered (photo_set); only these parts' pages are taken
    from it (a photo it holds may be passed as Held, unloaded), and a photo it lacks is rendered here."""
    if not any(items for _, items in parts):
        raise ValueError("no materials to bundle")
    bad = unreadable if unreadable is not None else []
    images = _images(parts)
    keys = [(photo_caption(title, i, n), _ref(data)) for title, i, n, data in images]
    index = photos.index if photos is not None else {}
    own = [image for image, key in zip(images, keys, strict=True) if key not in index]
    own_bad: list[str] = []
    own_pages = iter(PdfReader(BytesIO(_photo_pages(own, own_bad))).pages if own else ())
    with photos.reading() if photos is not None and len(own) < len(images) else contextlib.nullcontext() as reader:
        photo_pages = []
        for key in keys:  # in order, each from the set or from this bundle's own pages
            if key in index:
                photo_pages.append(reader.pages[index[key]])
                failed = index[key] in photos.failed
            else:
                photo_pages.append(next(own_pages))
                failed = key[0] in own_bad
            if failed:
                bad.append(key[0])
        return _bundle(parts, bad, photo_pages)


def _bundle(parts: Parts, bad: list[str], photo_pages: list) -> bytes:
    writer = PdfWriter()
    next_photo = 0
    for title, items in parts:
        start = len(writer.pages)
        for number, (kind, data) in enumerate(items, 1):
            if kind == "image":
                writer.add_page(photo_pages[next_photo])
                next_photo += 1
            elif kind in ("pdf", "missing"):
                pages = _pdf_pages(data) if kind == "pdf" else None
                if pages is None:
                    label = title if len(items) == 1 else f"{title}（第{number}个文件）"
                    bad.append(label)
                    pages = _placeholder(label)
                for page in pages:
                    writer.add_page(page)
            else:
                raise ValueError(f"unknown material kind: {kind!r}")
        if len(writer.pages) > start:
            writer.add_outline_item(title=title, page_number=start)
    writer.add_metadata({"/Title": "灵活就业申报材料"})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_pages(data: bytes) -> list | None:
    """The pages of one material PDF, copied through a writer of its own so a failure stays contained."""
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        alone = PdfWriter()
        alone.append(reader, import_outline=False)
        buffer = BytesIO()
        alone.write(buffer)
        return list(PdfReader(buffer).pages)
    except Exception:  # noqa: BLE001 - any parser failure: this material only is replaced
        log.warning("a material PDF could not be read; a placeholder page stands in for it")
        return None


def _placeholder(label: str) -> list:
    text = f"材料“{label}”无法显示。"
    pdf = _new_pdf("灵活就业申报材料", bold=False, text=text + UNREADABLE_NOTE)
    pdf.add_page()
    pdf.set_font(FONT, size=14)
    pdf.multi_cell(0, 9, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(0, 7, UNREADABLE_NOTE)
    return list(PdfReader(BytesIO(_output(pdf))).pages)


def _photo_pages(images: list[tuple[str, int, int, bytes]], bad: list[str]) -> bytes:
    pdf = _new_pdf("灵活就业申报材料", bold=False, text="".join(t for t, *_ in images) + UNREADABLE_NOTE)
    pdf.set_auto_page_break(False)
    for title, number, count, data in images:
        caption = photo_caption(title, number, count)
        try:
            with Image.open(BytesIO(data)) as im:
                landscape = im.width > im.height
        except Exception:  # noqa: BLE001 - an unreadable photo gets a page saying so
            landscape = None
        pdf.add_page(orientation="L" if landscape else "P")
        pdf.set_font(FONT, size=9)
        pdf.cell(0, 6, caption, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        top = pdf.get_y() + 2
        if landscape is not None:
            try:
                pdf.image(
                    BytesIO(data),
                    x=pdf.l_margin,
                    y=top,
                    w=pdf.epw,
                    h=pdf.h - top - pdf.b_margin,
                    keep_aspect_ratio=True,
                )
                continue
            except Exception:  # noqa: BLE001
                pass
        bad.append(caption)
        pdf.set_font(FONT, size=14)
        pdf.multi_cell(0, 9, f"材料“{caption}”无法显示。", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=11)
        pdf.multi_cell(0, 7, UNREADABLE_NOTE)
    return _output(pdf)
