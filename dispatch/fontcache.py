"""A cached subset of the CJK face with the characters forms usually need, so that rendering a
PDF subsets ~8k glyphs instead of ~65k; text outside it falls back to the full face."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from fontTools import subset, ttLib

log = logging.getLogger(__name__)
VERSION = "2"  # 2: desubroutinized, for dispatch.cffsubset
_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x17F),
    (0x2000, 0x206F),
    (0x2100, 0x21FF),
    (0x2460, 0x24FF),
    (0x2500, 0x25FF),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
)
_SOURCES = ("dialogs", "dispatch")  # every text the project prints lives here


@functools.cache
def common_codepoints() -> frozenset[int]:
    """ASCII, punctuation, □■, the 7,445 GB2312 characters and every character of our own texts."""
    cps: set[int] = set()
    for lo, hi in _RANGES:
        cps.update(range(lo, hi + 1))
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                cps.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    root = Path(__file__).resolve().parent.parent
    for package in _SOURCES:
        for path in (root / package).rglob("*"):
            if path.suffix in (".py", ".json") and path.is_file():
                cps.update(ord(ch) for ch in path.read_text(encoding="utf-8", errors="ignore"))
    return frozenset(cps)


def cache_dir() -> Path:
    configured = os.environ.get("FONT_CACHE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "hebei-flexjob-fonts"


@functools.cache
def common_face(path: Path, index: int) -> tuple[Path, frozenset[int]] | None:
    """The subset font file (built once, then reused from disk) and the code points it covers."""
    stat = path.stat()
    key = hashlib.sha256(f"{VERSION}|{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    target = cache_dir() / f"{path.stem}-{index}-{key}.otf"
    try:
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            font = ttLib.TTFont(path, fontNumber=index, lazy=False, recalcBBoxes=False)
            wanted = common_codepoints() & set(font.getBestCmap())
            options = subset.Options()
            options.layout_features = []  # fpdf drops layout tables anyway
            options.name_IDs = ["*"]
            options.notdef_outline = True
            options.desubroutinize = True  # each charstring whole: a document's subset copies bytes
            sub = subset.Subsetter(options)
            sub.populate(unicodes=wanted)
            sub.subset(font)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            os.close(fd)
            font.save(tmp)
            os.replace(tmp, target)
            log.info("built the common CJK subset %s (%d characters)", target.name, len(wanted))
        with ttLib.TTFont(target, lazy=True) as built:
            return target, frozenset(built.getBestCmap())
    except Exception:
        log.warning("could not build the common CJK subset; using the full face", exc_info=True)
        return None


def warm() -> None:
    """Build the common subsets of the faces the forms use (regular and bold), once per machine:
    the set-up script runs it so that no first delivery pays the build (~7 s of CPU a face)."""
    from dispatch.formpdf import find_cjk_font  # formpdf imports this module

    font = find_cjk_font()
    for path in dict.fromkeys((font.path, font.bold or font.path)):
        common_face(path, font.index)


if __name__ == "__main__":
    warm()
