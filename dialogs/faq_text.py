"""Help-desk text: applicants' words to the notice's words, and tokens for retrieval."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING

from dialogs.faq_words import CANONICAL, PATTERNS, STOP, USER_WORDS

if TYPE_CHECKING:
    import jieba

_SYNONYMS = {v: c for c, vs in CANONICAL.items() for v in (c, *vs)}
_SYN_RE = re.compile("|".join(sorted(map(re.escape, _SYNONYMS), key=len, reverse=True)))
_CANON_WEIGHT = 2  # a canonical word counts like a jieba word plus its bigram
_PUNCT_RE = re.compile(r"[\W_]+")
# multi-character stop words cut the text before segmentation, whatever jieba would make of them
_STOP_RE = re.compile("|".join(sorted((re.escape(w) for w in STOP if len(w) > 1), key=len, reverse=True)))
_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")
_CN_NUM = re.compile(r"[一二三四五六七八九十两]{1,3}(?=个|项|份|张|天|日|页|步|类|种|样|部门|周岁|岁|趟|件(?!事一次))")
_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_to_digits(m: re.Match[str]) -> str:
    text = m.group(0)
    if "十" not in text:
        return str(_DIGITS[text]) if len(text) == 1 else text
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return text
    return str(_DIGITS.get(tens, 1) * 10 + _DIGITS.get(ones, 0))


def normalize(text: str) -> str:
    """NFKC, lower case, Chinese numerals of counts as digits, synonyms to canonical words."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _CN_NUM.sub(_cn_to_digits, text)
    for pattern, repl in PATTERNS:
        text = pattern.sub(repl, text)
    return _SYN_RE.sub(lambda m: f" {_SYNONYMS[m.group(0)]} ", text)


# --- jieba with a dictionary trimmed to the bank's vocabulary, built once per process --------
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_MAX_WORD = 6


def vocabulary_words(vocab: str) -> set[str]:
    """Every substring (up to 6 characters) of the bank's text: the words jieba may keep."""
    return {vocab[i : i + n] for n in range(1, _MAX_WORD + 1) for i in range(len(vocab) - n + 1)}


def init_tokenizer(vocab: str) -> None:
    """jieba over only the dictionary words that occur in `vocab` (the bank), with its full counts.

    The full dictionary costs ~60 MB of Python dicts; words that never occur in the bank can only
    split differently the questions' words no entry contains, so they are left out.
    """
    global _tokenizer
    with _lock:
        if _tokenizer is not None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            import jieba
        jieba.setLogLevel(logging.WARNING)
        keep = vocabulary_words(vocab) | set(USER_WORDS) | set(CANONICAL) | STOP  # stop words must cut
        tk = jieba.Tokenizer()
        freq: dict[str, int] = {}
        total = 0
        with tk.get_dict_file() as f:
            for raw in f:
                word, count = raw.decode("utf-8").split(" ", 2)[:2]
                total += int(count)
                if word in keep:
                    freq[word] = int(count)
        for word in USER_WORDS:
            freq[word] = max(freq.get(word, 0), 20000)
        for word in STOP:
            freq.setdefault(word, 1000)
        for word in list(freq):  # jieba's DAG walks prefixes: each needs a (zero) entry
            for i in range(1, len(word)):
                freq.setdefault(word[:i], 0)
        tk.FREQ, tk.total, tk.initialized = freq, total + 20000 * len(USER_WORDS), True
        _tokenizer = tk


def _jieba() -> jieba.Tokenizer:
    if _tokenizer is None:
        from dialogs.faq_bank import bank_text

        init_tokenizer(bank_text())
    assert _tokenizer is not None
    return _tokenizer


@lru_cache(maxsize=4096)
def content_runs(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(canonical words and jieba content words, runs of content characters between stop words)."""
    words: list[str] = []
    runs: list[str] = []
    chunks: list[str] = []
    for chunk in _PUNCT_RE.sub(" ", normalize(text)).split():
        # canonical words are atomic (their sub-words would only add noise); elsewhere a
        # multi-character stop word cuts the text, whatever jieba would make of it
        chunks.extend([chunk] if chunk in CANONICAL else _STOP_RE.sub(" ", chunk).split())
    for chunk in chunks:
        if chunk in CANONICAL:
            words.append(chunk)
            runs.append(" ")
            continue
        current: list[str] = []
        for w in _jieba().lcut(chunk, HMM=False):
            if w in STOP:
                runs.append("".join(current))
                current = []
                continue
            current.append(w)
            words.append(w)
        runs.append("".join(current))
    return tuple(words), tuple(r for run in runs for r in _CJK_RUN_RE.findall(run))


def bigrams(text: str) -> list[str]:
    """Character bigrams inside the content runs (what is left once stop words are gone)."""
    return [run[i : i + 2] for run in content_runs(text)[1] for i in range(len(run) - 1)]


@lru_cache(maxsize=4096)
def tokenize(text: str) -> tuple[str, ...]:
    """BM25 terms: canonical words (twice), content words, their known sub-words, "#"-bigrams."""
    words, runs = content_runs(text)
    freq = _jieba().FREQ
    tokens: list[str] = []
    for w in words:
        if w in CANONICAL:
            tokens.extend([w] * _CANON_WEIGHT)
            continue
        for n in (2, 3):
            if len(w) > n:
                tokens.extend(w[i : i + n] for i in range(len(w) - n + 1) if freq.get(w[i : i + n]))
        tokens.append(w)
    for run in runs:
        tokens.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
    return tuple(tokens)


def concepts(text: str) -> tuple[str, ...]:
    """The canonical words of a text: what it asks about in the notice's terms (必填, 时限, 收费 …)."""
    return tuple(w for w in content_runs(text)[0] if w in CANONICAL)


def char_grams(text: str) -> list[str]:
    """Similarity features: canonical words, and character 1- to 3-grams inside content runs."""
    words, runs = content_runs(text)
    grams = [w for w in words if w in CANONICAL]
    for run in runs:
        for n in (1, 2, 3):
            grams.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return grams
