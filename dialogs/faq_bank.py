"""The help desk's bank: entries written from the seed (dialogs/data/faq.json) and what an answer is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from dialogs.faq_text import normalize


@dataclass(frozen=True)
class FaqEntry:
    id: str
    section: str
    questions: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class FaqResult:
    # entry is the best candidate (None when empty or out of scope): show it only if confident.
    entry: FaqEntry | None
    score: float
    confident: bool
    reason: str  # "answered" | "out_of_scope" | "low_confidence" | "empty"
    more: tuple[FaqEntry, ...] = ()  # further entries a question spanning several also asks
    topic: str | None = None  # the out-of-scope class (dialogs.faq_scope.TOPICS) when handed off for it

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        """What to show: the best entry and, for a question spanning entries, the others."""
        if not self.confident or self.entry is None:
            return ()
        return (self.entry, *(e for e in self.more if e != self.entry))


def _raw_bank() -> str:
    return resources.files("dialogs").joinpath("data/faq.json").read_text(encoding="utf-8")


def load_bank() -> list[FaqEntry]:
    return [
        FaqEntry(id=e["id"], section=e["section"], questions=tuple(e["questions"]), answer=e["answer"])
        for e in json.loads(_raw_bank())
    ]


@cache
def bank_text() -> str:
    """All the bank's words, normalised: the vocabulary the tokenizer keeps."""
    return "\n".join(normalize(t) for e in load_bank() for t in (*e.questions, e.answer))
