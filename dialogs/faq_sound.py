"""Homophone typos: a word the bank never uses that sounds like a word it does, read as that word.

Applicants type with pinyin input methods, so their typos are other characters of the same sound
(冀时半 for 冀时办, 医报 for 医保, 介少信 for 介绍信). The bank's own words are keyed by their
toneless pinyin; a stretch of the question that the bank does not contain but that reads exactly
like one bank word (and only one) is replaced by it. Readings come from pypinyin's character table
(read as data, not imported: the package's phrase dictionary costs ~50 MB), kept for the common
characters (GB2312) that input methods offer.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

_ENTRY = re.compile(r'\s*"(\d+)"\s*:\s*"([^",]+)')
_LENGTHS = (4, 3, 2)  # longest first: 劳动和同 before 和同


def _toneless(syllable: str) -> str:
    base = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")  # ü -> v
    return sys.intern("".join(c for c in base if not unicodedata.combining(c)))


_FIRST, _LAST = 0x4E00, 0x9FFF  # the CJK block the table covers


class Readings:
    """Character -> toneless reading, as an array of syllable numbers over the CJK block (42 kB;
    a dict of 6,763 one-character keys held 1.2 MB)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._syllables: list[str] = [""]
        number: dict[str, int] = {}
        self._codes = array("H", bytes(2 * (_LAST - _FIRST + 1)))
        for char, syllable in pairs:
            if syllable not in number:
                number[syllable] = len(self._syllables)
                self._syllables.append(syllable)
            self._codes[ord(char) - _FIRST] = number[syllable]

    def get(self, char: str, default: str | None = None) -> str | None:
        o = ord(char) - _FIRST
        code = self._codes[o] if 0 <= o <= _LAST - _FIRST else 0
        return self._syllables[code] if code else default

    def __getitem__(self, char: str) -> str:
        if (found := self.get(char)) is None:
            raise KeyError(char)
        return found

    def __len__(self) -> int:
        return sum(1 for c in self._codes if c)


def _common(path: Path) -> Iterable[tuple[str, str]]:
    # line by line ("19968": "yī,..."): json.load would hold all 42k entries at once (~5 MB more RSS)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            m = _ENTRY.match(line)
            if m is None:
                continue
            char = chr(int(m.group(1)))
            if not _FIRST <= ord(char) <= _LAST:
                continue
            try:
                char.encode("gb2312")
            except UnicodeEncodeError:
                continue
            yield char, _toneless(m.group(2))


@cache
def readings() -> Readings:
    """Common characters (GB2312) to their first (commonest) toneless reading, from pypinyin's
    pinyin_dict.json: rarer readings would make most text sound like some bank word."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        return Readings(())
    return Readings(_common(Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.json"))


def _keys(word: str, table: Readings) -> list[tuple[str, ...]]:
    key = tuple(table.get(c, "") for c in word)
    return [key] if all(key) else []


class Homophones:
    """Bank words by sound; `correct` replaces unknown stretches of a question that sound like one."""

    def __init__(self, words: Iterable[str], known: Iterable[str], same: Callable[[str], str] | None = None) -> None:
        self._table = readings()
        known = list(known)
        self._known_bigrams = {t[i : i + 2] for t in known for i in range(len(t) - 1)}
        self._known_chars = {c for t in known for c in t}
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for w in {w for w in words if len(w) in _LENGTHS}:
            for key in _keys(w, self._table):
                by_sound.setdefault(key, set()).add(w)
        self._vocab = {w for w in words if len(w) in _LENGTHS}
        # a sound two bank words share says nothing about which was meant, unless they are spellings
        # of one word (`same`: 身份证 and 身分证 both read as the notice's 居民身份证)
        spelled = same or (lambda w: w)
        canon = {w: spelled(w) for ws in by_sound.values() for w in ws}  # each word's spelling, once
        # (of one word's spellings, the notice's own: 档案, not 档按)
        self._words = {
            k: min(ws, key=lambda w: (canon[w] != w, w))
            for k, ws in by_sound.items()
            if len({canon[w] for w in ws}) == 1
        }
        # the sounds two or more bank words share (时限 and 市县 are both shi xian): which was meant
        # is for the question's sense to say (`readings_of`)
        self._shared = {
            k: tuple(sorted({canon[w]: w for w in ws}.values())) for k, ws in by_sound.items() if k not in self._words
        }

    def _crosses(self, text: str, start: int, end: int) -> bool:
        """Whether a bank word in `text` overlaps [start, end) and reaches outside it."""
        for s in range(max(0, start - _LENGTHS[0] + 1), end):
            for n in _LENGTHS:
                e = s + n
                if (s < start < e or s < end < e) and text[s:e] in self._vocab:
                    return True
        return False

    def _meant(self, piece: str, word: str) -> bool:
        """Whether a character of `piece` that `word` would replace is one the known texts use."""
        return len(piece) != len(word) or any(
            a != b and a in self._known_chars for a, b in zip(piece, word, strict=True)
        )

    def correct(self, text: str, min_len: int = 2, strange: bool = False) -> str:
        """`text` with each stretch (of at least `min_len` characters) that is not the bank's but
        sounds like exactly one bank word replaced by it; unchanged when there is none.
        `strange`: only where each character replaced is one no known text uses (退绣 -> 退休, but
        not 开出租 -> 开除租: 出 is a character the bank uses, likelier meant than mistyped)."""
        if not self._words:
            return text
        unknown = [text[j : j + 2] not in self._known_bigrams for j in range(len(text) - 1)]
        if not any(unknown):
            return text  # every pair of characters is the bank's as written
        sounds = [self._table.get(c) for c in text]
        out: list[str] = []
        i = 0
        while i < len(text):
            for n in _LENGTHS:
                if n < min_len or i + n > len(text) or not any(unknown[i : i + n - 1]):
                    continue  # too short, or the bank has this stretch as written
                key = tuple(sounds[i : i + n])
                word = self._words.get(key)  # type: ignore[arg-type]
                piece = text[i : i + n]
                if word is not None and strange and self._meant(piece, word):
                    continue  # a character replaced that the bank uses: likelier meant than mistyped
                # not when part of a word the bank has reaches past it (扫描一下: not 扫描仪)
                if word is not None and word != piece and not self._crosses(text, i, i + n):
                    out.append(word)
                    i += n
                    break
            else:
                out.append(text[i])
                i += 1
        return "".join(out)

    def readings_of(self, text: str, min_len: int = 2, most: int = 4) -> list[str]:
        """`text` read with its first unknown stretch that sounds like several bank words as each
        of them (办理时现多长: 办理时限多长, 办理市县多长), for the caller to keep the one that makes
        sense; [] when there is none."""
        unknown = [text[j : j + 2] not in self._known_bigrams for j in range(len(text) - 1)]
        if not any(unknown):
            return []
        sounds = [self._table.get(c) for c in text]
        for i in range(len(text)):
            for n in _LENGTHS:
                if n < min_len or i + n > len(text) or not all(unknown[i : i + n - 1]):
                    continue  # the whole stretch unknown: a word typed wrong, not two known halves
                words = self._shared.get(tuple(sounds[i : i + n]))  # type: ignore[arg-type]
                if words and text[i : i + n] not in words and not self._crosses(text, i, i + n):
                    return [text[:i] + w + text[i + n :] for w in words[:most]]
        return []
