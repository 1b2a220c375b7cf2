"""Help-desk answer engine: BM25 and character n-grams over the notice's bank, reranked, sure or silent."""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

from dialogs import faq_parse
from dialogs.faq_bank import FaqEntry, FaqResult, bank_text, load_bank
from dialogs.faq_scope import is_out_of_scope, looks_like_question, topic
from dialogs.faq_scope import warm_up as scope_warm_up
from dialogs.faq_scope import words as scope_words
from dialogs.faq_sound import Homophones
from dialogs.faq_text import bank_words, bigrams, char_grams, concepts, normalize, tokenize
from dialogs.faq_words import CANONICAL, USER_WORDS

__all__ = [
    "FaqEntry",
    "FaqResult",
    "FaqIndex",
    "load_bank",
    "bank_text",
    "tokenize",
    "normalize",
    "is_out_of_scope",
    "looks_like_question",
]


# Weights and bars: chosen by bench/calibrate_faq.py on the tuning split of bench/faq_eval.json.
W_SIM, W_BM25, W_COV = 1.0, 1.2, 0.7
W_UNKNOWN = 0.6  # share of the question's bigrams that no bank text has: another topic
W_AGREE = 0.0  # bonus when both retrievers rank the same entry first
# what the question asks (its canonical words: 必填, 时限, 收费, 条件 …) against what an entry's
# wordings ask: the share of the entry's bank questions that use each canonical word
W_INTENT = 0.5
# a question naming one department and what it reviews (医保那边要劳动合同吗, 税务局审什么): only
# that department's step of the procedure says which materials it checks
W_DEPT = 2.0
_DEPARTMENTS = ("人社", "医保", "税务")
_REVIEWS = re.compile(r"户口簿|合同|居民身份证|介绍信|材料|协议|审|核|校验|看|查")
# or what it does in the matter, as typed (医保局负责哪块, 税务局在这里头管啥; not 谁负责, which
# asks which department)
_ROLE = re.compile(r"(负责|管|干|做|办)(哪|什么|啥|些什么|些啥)|职责|作用")
_FILLS = re.compile(r"填|栏|选|勾|写")
# several matters at once (社保医保都办了, 一起办): the whole matter, not one department's step
_SEVERAL = re.compile(r"都|一起|一块|一并|同时|一次|全部|全都")
# the asking clause's kind (where, how long, cost, materials, fill: dialogs/faq_parse.py) against
# the notice's section that answers that kind: a prior for the entries of that family
W_FAMILY = 0.3
# a question naming a part of the form (档案那栏, 医保那一栏, 哪些栏目) asks about that part, not the
# form as a whole: the whole-form entries (and, for a part named by its name, the list of the parts)
# leave the fill family, and the part's own entry (the one
# the part's name alone ranks first among the form's parts; the sections' entry for 栏目 as such)
# gets this prior
W_PART = 0.8
PAIR_MIN = 1.1  # a runner-up this sure is shown beside the best entry
MIN_SCORE = 1.0  # reranked score of the best entry
MIN_GAP = 0.1  # ... over the second-best entry
# or: a lower score far ahead of every other entry (the question is about one entry only, in words
# the bank has few of: 15个工作日 周六周日算不算)
LOW_SCORE, WIDE_GAP = 0.7, 0.5
# or: a middle score when both retrievers (BM25 on words, TF-IDF on character n-grams) put the same
# entry first and the reranking keeps it there, clearly ahead (要不要带一寸照片: few of the bank's
# words, but every view of the question points at one entry)
AGREE_SCORE, AGREE_GAP = 0.7, 0.25
# or: the asking clause's family (materials, how long, cost …) holds the best entry, at this score,
# with every entry of another family AGREE_GAP behind (bench/calibrate_faq.py --quick)
FAMILY_SCORE = 0.7
CLAUSE_MIN = 1.0  # a clause of a longer question must be surer to add its own entry
# the notice's clause of a question that also asks something out of scope: answered only when
# clearly its own question (通知里写了吗 beside an out-of-scope clause asks nothing of its own)
MIXED_MIN = 2.0
ANSWER_WEIGHT = 0.5
_K1 = 1.5  # BM25Okapi's default: a term scores at most idf * (k1 + 1)
_TOP = 6
_MAX_CHARS = 300
# clause boundaries: punctuation, a space between two Chinese clauses (typed instead of a comma),
# and the words that join two questions
_CLAUSES = re.compile(
    r"[，,。？?！!；;\n]+|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])|还有|另外|以及|和|跟|顺便问一?下?|再问一?下?|"
    # a question particle with a second question typed straight after it (需要本人去吗要带身份证吗)
    r"(?<=[吗呢])(?=[\u4e00-\u9fff]{2})"
)


_SUBJECT = re.compile(r"一件事|一次办")
# what a question asks for by name: a question word and the thing after it, with the verb before
# (网上申请要传哪些材料 asks for the materials; 提交之后都要经过哪些部门 for the departments)
_FOCUS = re.compile(r"[\u4e00-\u9fff]{0,2}(哪些|哪几[个样种项类件]?|什么|啥|几个|几项|几样|多少)[\u4e00-\u9fff]{1,4}")
FOCUS_MIN = 1.5  # the asked-for thing's own entry, added beside the best one when this sure


def _key(question: str) -> str:
    return re.sub(r"[\s?？!！。,，.、]+", "", normalize(question))


class FaqIndex:
    """BM25 (words) and TF-IDF cosine (character n-grams) candidates, reranked, past two bars."""

    def __init__(
        self,
        entries: Iterable[FaqEntry],
        *,
        min_score: float = MIN_SCORE,
        min_gap: float = MIN_GAP,
        weights: tuple[float, float, float] = (W_SIM, W_BM25, W_COV),
        w_unknown: float = W_UNKNOWN,
        w_agree: float = W_AGREE,
        w_intent: float | None = None,
        pair_min: float = PAIR_MIN,
        answer_weight: float = ANSWER_WEIGHT,
        w_dept: float = W_DEPT,
        low_score: float = LOW_SCORE,
        wide_gap: float = WIDE_GAP,
        agree_score: float = AGREE_SCORE,
        agree_gap: float = AGREE_GAP,
        w_family: float | None = None,
        w_part: float = W_PART,
        family_score: float = FAMILY_SCORE,
    ) -> None:
        self._entries: list[FaqEntry] = list(entries)
        self.min_score, self.min_gap, self.weights = min_score, min_gap, weights
        self.w_unknown, self.w_agree, self.pair_min = w_unknown, w_agree, pair_min
        self.answer_weight = answer_weight
        self.w_dept = w_dept
        self.low_score, self.wide_gap = low_score, wide_gap
        self.agree_score, self.agree_gap = agree_score, agree_gap
        self.w_intent = W_INTENT if w_intent is None else w_intent
        self.w_family = W_FAMILY if w_family is None else w_family
        self.w_part = w_part
        self.family_score = family_score
        self._built = False
        self._changes = 0  # entry changes: a build that overlapped one is not taken as current
        self._lock = threading.Lock()  # one build at a time (`run` builds in a thread at start-up)

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return tuple(self._entries)

    def warm_up(self) -> None:
        if self._built:
            return
        with self._lock:
            while not self._built:  # again if an entry changed during the build (from another thread)
                changes = self._changes
                self._build()
                self._built = self._changes == changes
            scope_warm_up()

    def add(self, entry: FaqEntry) -> None:
        """Add, or replace by id, an entry; the index is rebuilt before the next answer."""
        self._entries = [e for e in self._entries if e.id != entry.id] + [entry]
        self._changes += 1
        self._built = False

    def add_variant(self, entry_id: str, question: str) -> bool:
        """A new wording of an existing entry (e.g. a staff-reviewed hand-off); False if no such entry."""
        for i, e in enumerate(self._entries):
            if e.id == entry_id:
                if question not in e.questions:
                    self._entries[i] = FaqEntry(e.id, e.section, (*e.questions, question), e.answer)
                    self._changes += 1
                    self._built = False
                return True
        return False

    def respelled(self, question: str) -> str:
        """The question with each stretch of two or more characters that the bank does not have but
        that sounds like exactly one bank word read as that word (档鞍 -> 档案)."""
        self.warm_up()
        return self._sound.correct(question, 2)

    def candidate(self, question: str) -> FaqEntry | None:
        """The likeliest entry for a question, however unsure (for staff review, never for answers)."""
        self.warm_up()
        ranked = self.ranked(question[:_MAX_CHARS])
        return self._entries[ranked[0][1]] if ranked else None

    def _build(self) -> None:
        from rank_bm25 import BM25Okapi  # with numpy: loaded by the build, not by importing this module

        per_q = [[tokenize(q) for q in e.questions] for e in self._entries]
        docs = [[t for q in qs for t in q] for qs in per_q]
        answers = [tokenize(e.answer) for e in self._entries]
        self._vocab = [set(d) | set(a) for d, a in zip(docs, answers, strict=True)]
        self._exact = {_key(q): i for i, e in enumerate(self._entries) for q in e.questions}
        self._bigrams = {b for e in self._entries for t in (*e.questions, e.answer) for b in bigrams(t)}
        # rank_bm25 divides by the vocabulary size: a bank with no words gets no model.
        self._bm25 = BM25Okapi(docs) if any(docs) else None
        self._bm25_answers = BM25Okapi(answers) if any(answers) else None
        self._idf_max = max(self._bm25.idf.values(), default=1.0) if self._bm25 is not None else 1.0
        # character n-gram TF-IDF over every bank question, as an inverted index
        grams = [(i, Counter(char_grams(q))) for i, e in enumerate(self._entries) for q in e.questions]
        df = Counter(g for _, c in grams for g in c)
        n = len(grams) or 1
        self._gram_idf = {g: math.log((n + 1) / (d + 1)) + 1 for g, d in df.items()}
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._q_owner = [i for i, _ in grams]
        for qi, (_, counts) in enumerate(grams):
            vec = {g: c * self._gram_idf[g] for g, c in counts.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for g, v in vec.items():
                self._postings[g].append((qi, v / norm))
        texts = [t for e in self._entries for t in (*e.questions, e.answer)]
        user = [*USER_WORDS, *(w for c, vs in CANONICAL.items() for w in (c, *vs))]
        words = [*bank_words(texts), *user]
        self._sound = Homophones(words, [*texts, *user], lambda w: normalize(w).strip())
        # and, for the scope check and the typos read at once, the scope classes' words too (退绣 -> 退休)
        scope = sorted(scope_words())
        self._scope_sound = Homophones([*words, *scope], [*texts, *user, *scope], lambda w: normalize(w).strip())
        self._intent: list[dict[str, float]] = []
        for e in self._entries:
            counts = Counter(c for q in e.questions for c in set(concepts(q)))
            self._intent.append({c: k / len(e.questions) for c, k in counts.items()} if e.questions else {})
        # a question that names only the matter itself (一件事一次办是什么意思): every content word is
        # a stop word; the bank's own such question says which entry explains it
        self._subject = list(
            dict.fromkeys(
                i for i, e in enumerate(self._entries) for q in e.questions if _SUBJECT.search(q) and not tokenize(q)
            )
        )
        # each department's own step of the procedure: the entry whose answer starts with it
        self._dept_step = {
            d: i for d in _DEPARTMENTS for i, e in enumerate(self._entries) if e.answer.startswith(f"{d}部门")
        }
        # the entries of each asking clause's family (faq_parse.family)
        self._family = {
            kind: {i for i, e in enumerate(self._entries) if faq_parse.family(kind, e.id, e.section)}
            for kind in faq_parse.FAMILY_KINDS
        }
        # the form's parts (表2 and its sections), and the entry that lists them
        self._parts = {i for i in self._family["fill"] if "表2" in self._entries[i].section}
        names = {self._entries[i].section.split("表2")[-1].strip() for i in self._parts} - {""}
        self._sections = max(  # the entry whose answer names the most parts: the list of the parts
            (i for i in self._parts if self._entries[i].section.endswith("表2")),
            key=lambda i: (sum(n in self._entries[i].answer for n in names), -i),
            default=None,
        )
        self._built = True

    def _dept_asked(self, text: str, asked: set[str]) -> int | None:
        """The step entry of the one department a question asks what it reviews, if any."""
        named = [d for d in _DEPARTMENTS if d in asked]
        if len(named) != 1 or named[0] not in self._dept_step:
            return None
        plain = normalize(text)
        if _SEVERAL.search(plain):
            return None
        role = _ROLE.search(unicodedata.normalize("NFKC", text))
        return self._dept_step[named[0]] if (role or _REVIEWS.search(plain)) and not _FILLS.search(plain) else None

    def _intent_share(self, asked: set[str], i: int) -> float:
        if not asked:
            return 0.0
        profile = self._intent[i]
        return sum(profile.get(c, 0.0) for c in asked) / len(asked)

    # ---- scoring ------------------------------------------------------------------------------
    def _similarity(self, text: str) -> list[float]:
        counts = Counter(char_grams(text))
        vec = {g: c * self._gram_idf.get(g, 0.0) for g, c in counts.items()}
        unknown = math.log(len(self._q_owner) + 1) + 1  # a gram no question has still counts
        norm = math.sqrt(sum((v or unknown) ** 2 for v in vec.values())) or 1.0
        acc: dict[int, float] = defaultdict(float)
        for g, v in vec.items():
            for qi, w in self._postings.get(g, ()):
                acc[qi] += v / norm * w
        best = [0.0] * len(self._entries)
        for qi, s in acc.items():
            i = self._q_owner[qi]
            best[i] = max(best[i], s)
        return best

    def _term_weights(self, terms: tuple[str, ...]) -> dict[str, float]:
        """Each term's idf (a word the bank never uses is as informative as the rarest): for coverage."""
        idf = self._bm25.idf if self._bm25 is not None else {}
        return {t: max(idf.get(t, self._idf_max), 0.1) for t in terms}

    @staticmethod
    def _coverage(weights: dict[str, float], total: float, vocab: set[str]) -> float:
        return sum(w for t, w in weights.items() if t in vocab) / total if total else 0.0

    def ranked(self, text: str) -> list[tuple[float, int]]:
        """(reranked score, entry index), best first: candidates of both retrievers, rescored."""
        return self._rank(text)[0]

    def _asked_family(self, text: str) -> set[int]:
        """The entries of the family the question's asking clause asks for (materials, where …;
        empty when its kind picks none, or without the family prior); a part of the form named:
        only the form's parts."""
        if not self.w_family:
            return set()
        clause = faq_parse.asking_clause(unicodedata.normalize("NFKC", text).lower())
        kind = faq_parse.asks_kind(clause)
        fam = self._family.get(kind, set())
        part = faq_parse.form_part(clause) if kind == "fill" else None
        if part is None:
            return fam
        # one part named by its name: that part, not the list of the parts either
        return fam & self._parts - ({self._sections} if tokenize(part) else set())

    def _part_asked(self, text: str) -> int | None:
        """The entry of the part of the form the asking clause names, if any."""
        clause = faq_parse.asking_clause(unicodedata.normalize("NFKC", text).lower())
        part = faq_parse.form_part(clause)
        if part is None or not self._parts:
            return None
        if not tokenize(part):
            return self._sections
        return next((i for _, i in self._rank(part)[0] if i in self._parts), None)

    def _rank(self, text: str) -> tuple[list[tuple[float, int]], int | None]:
        """The ranking and the entry both retrievers put first (None when they differ)."""
        terms = tokenize(text)
        if not terms or self._bm25 is None:
            return [], None
        bm = [float(s) for s in self._bm25.get_scores(terms)]
        if self._bm25_answers is not None and self.answer_weight:
            answers = self._bm25_answers.get_scores(terms)
            bm = [b + self.answer_weight * float(a) for b, a in zip(bm, answers, strict=True)]
        idf = self._bm25.idf
        unknown = self._idf_max  # a term no question has is as telling as the rarest
        weights = self._term_weights(terms)
        total = sum(weights.values())
        ceiling = (_K1 + 1) * sum(max(idf.get(t, unknown), 0.0) for t in terms) or 1.0
        sim = self._similarity(text)
        order = range(len(self._entries))
        by_bm = sorted(order, key=bm.__getitem__, reverse=True)[:_TOP]
        by_sim = sorted(order, key=sim.__getitem__, reverse=True)[:_TOP]
        pool = set(by_bm) | set(by_sim)
        agreed = by_bm[0] if by_bm and by_sim and by_bm[0] == by_sim[0] else None
        w_sim, w_bm, w_cov = self.weights
        grams = bigrams(text)
        foreign = self.w_unknown * sum(b not in self._bigrams for b in grams) / (len(grams) + 1)
        asked = set(concepts(text))
        dept = self._dept_asked(text, asked) if self.w_dept else None
        if dept is not None:
            pool.add(dept)
        fam = self._asked_family(text)
        pool |= fam
        part = self._part_asked(text) if self.w_part else None
        if part is not None:
            pool.add(part)
        scored = [
            (
                w_sim * sim[i]
                + w_bm * min(bm[i] / ceiling, 1.5)
                + w_cov * self._coverage(weights, total, self._vocab[i])
                - foreign
                + (self.w_agree if i == agreed else 0.0)
                + self.w_intent * self._intent_share(asked, i)
                + (self.w_dept if i == dept else 0.0)
                + (self.w_family if i in fam else 0.0)
                + (self.w_part if i == part else 0.0),
                i,
            )
            for i in pool
        ]
        return sorted(scored, reverse=True), agreed

    def _best(self, text: str, bar: float, wide: bool = False) -> tuple[float, int | None, bool, int | None]:
        """(score, best entry, confident, a runner-up just as sure: both are shown); `wide`: a
        lower score far ahead of the rest is sure too (for a whole question, not its clauses)."""
        ranked, agreed = self._rank(text)
        if not ranked:
            return 0.0, None, False, None
        score, top = ranked[0]
        second, runner = ranked[1] if len(ranked) > 1 else (0.0, None)
        if score >= bar and score - second >= self.min_gap:
            return score, top, True, None
        if wide and score >= self.low_score and score - second >= self.wide_gap:
            return score, top, True, None
        if wide and top == agreed and score >= self.agree_score and score - second >= self.agree_gap:
            return score, top, True, None
        # or: the asking clause's family (what it asks: materials, where …) holds the best entry,
        # and every entry of another family is clearly behind: the family is sure, and its best
        # entry (with a runner-up of the same family as close as the gap) answers
        fam = self._asked_family(text)
        outside = max((s for s, i in ranked if i not in fam), default=0.0)
        if wide and top in fam and score >= self.family_score and score - outside >= self.agree_gap:
            close = runner is not None and runner in fam and score - second < self.min_gap
            return score, top, True, runner if close else None
        if second >= self.pair_min:  # two entries, each clearly relevant: show both
            return score, top, True, runner
        return score, top, False, None

    def _about_subject(self, text: str) -> FaqResult | None:
        """The matter itself asked about, with nothing else (一件事一次办 到底啥意思)."""
        if not self._subject or tokenize(text) or not _SUBJECT.search(text) or topic(text) is not None:
            return None
        if not looks_like_question(text):
            return None
        first, *more = (self._entries[i] for i in self._subject)
        return FaqResult(first, self.min_score, True, "answered", tuple(more))

    def answer(self, question: str) -> FaqResult:
        text = faq_parse.standard(question[:_MAX_CHARS])  # 木有 -> 没有 (as respond reads it)
        self.warm_up()
        exact = self._exact.get(_key(text))
        if exact is not None:  # asked exactly as a bank question (staff additions included)
            return FaqResult(self._entries[exact], float("inf"), True, "answered")
        if not tokenize(text):
            return self._about_subject(text) or FaqResult(None, 0.0, False, "empty")
        # homophone typos of three or more characters are read as the bank's word at once; a
        # two-character one only when the question is not understood as written (short words
        # collide more often with words the applicant meant)
        text = self._sound.correct(faq_parse.set_aside(text), 3)  # what it sets aside is not asked
        # and a two-character one at once when the character replaced is one the bank never uses
        # (挡案, 档鞍: a character of no notice word, surely mistyped), among the words of the bank
        # and of the scope classes both (工伤 stays: it sounds like the bank's 工商 and is a word)
        text = self._scope_sound.correct(text, 2, strange=True)
        result = self._answer(text)
        if result.reason == "low_confidence":
            fixed = self._sound.correct(text, 2)
            if fixed != text:
                retry = self._answer(fixed)
                if retry.confident:
                    return retry
            # a sound several bank words share (时现: 时限 or 市县): the one reading that the
            # notice answers with confidence, when exactly one does
            # and that confirms the entry the question as typed already ranked first
            sure = [r for r in map(self._answer, self._sound.readings_of(fixed, 2)) if r.confident]
            if len(sure) == 1 and result.entry is not None and sure[0].entry == result.entry:
                return sure[0]
        return result

    def _answer(self, text: str) -> FaqResult:
        exact = self._exact.get(_key(text))
        if exact is not None:
            return FaqResult(self._entries[exact], float("inf"), True, "answered")
        if (subject := self._about_subject(text)) is not None:
            return subject
        score, top, confident, runner = self._best(text, self.min_score, wide=True)
        outside = topic(text)
        if outside is None and (heard := self._scope_sound.correct(text, 2, strange=True)) != text:
            outside = topic(heard)  # a typo of a scope class's word (医爆卡, 退绣手续)
        if outside is not None:  # only what staff added on such a topic may answer it
            if confident and top is not None and self._entries[top].id.startswith("staff"):
                return FaqResult(self._entries[top], score, True, "answered")
            return self._mixed(text) or FaqResult(None, 0.0, False, "out_of_scope", topic=outside)
        if top is None:
            return FaqResult(None, 0.0, False, "low_confidence")
        more = self._clauses(text)
        if not confident and len(more) >= 2:  # each part is clear though the whole is not
            return FaqResult(more[0], score, True, "answered", tuple(more[1:]))
        # the thing asked for by name (几个事项) is alone clearly the entry the whole question ranks
        # first, and the whole is near the bar: the rest of the question only made it unsure
        if not confident and score >= self.low_score and self._asked_thing(text) is top:
            return FaqResult(self._entries[top], score, True, "answered")
        if not confident and (lead := self._question_clause(text)) is not None:
            return lead
        entry = self._entries[top]
        if runner is not None:
            more = [self._entries[runner], *more]
        if confident and (focus := self._focus(text)) is not None:
            more = [*more, focus]
        return FaqResult(
            entry,
            score,
            confident,
            "answered" if confident else "low_confidence",
            tuple(e for e in dict.fromkeys(more) if e != entry) if confident else (),  # each shown once
        )

    def _focus(self, text: str) -> FaqEntry | None:
        """The entry of the thing a question names as what it asks for, when that phrase alone is
        clearly one entry's and the question says more than the phrase."""
        m = _FOCUS.search(unicodedata.normalize("NFKC", text))
        if m is None or len(tokenize(m.group(0))) >= len(tokenize(text)):
            return None
        score, top, ok, _ = self._best(m.group(0), FOCUS_MIN)
        return self._entries[top] if ok and score >= FOCUS_MIN and top is not None else None

    def _asked_thing(self, text: str) -> int | None:
        """The entry of the thing asked for by name, from the question word on (几个事项), when that
        phrase alone is clearly one entry's."""
        m = _FOCUS.search(unicodedata.normalize("NFKC", text))
        if m is None:
            return None
        score, top, ok, _ = self._best(m.group(0)[m.start(1) - m.start() :], FOCUS_MIN)
        return top if ok and score >= FOCUS_MIN else None

    def _question_clause(self, text: str) -> FaqResult | None:
        """A question after statements of one's situation (俺在外地打工回不去，户口在沧州，线上能申请吗):
        the one clause that asks, answered on its own when it is clear; the statements are left to
        the situation notes."""
        parts = [p for p in _CLAUSES.split(text) if p.strip()]
        if len(parts) < 2:
            return None
        asking = [p for p in parts if looks_like_question(p) or faq_parse.reads_as_question(p)]
        if len(asking) != 1 or asking[0] != parts[-1] or len(tokenize(asking[0])) < 2:
            return None
        # judged as a whole question (a lower score far ahead of the rest is sure too): the
        # statements before it were only what made the whole unsure
        score, top, ok, runner = self._best(asking[0], self.min_score, wide=True)
        if not ok or top is None:
            return None
        more = (self._entries[runner],) if runner is not None else ()
        return FaqResult(self._entries[top], score, True, "answered", more)

    def _mixed(self, text: str) -> FaqResult | None:
        """Two questions in one, one the notice's and one not (多久办好 办完了一个月交多少社保): the
        clauses that ask the notice's question on their own are answered, the rest keeps its topic
        (the caller hands that part off). None unless both kinds of clause are there."""
        parts = [p for p in _CLAUSES.split(text) if len(tokenize(p)) >= 2]
        if len(parts) < 2:
            return None
        found: list[FaqEntry] = []
        outside: str | None = None
        best = 0.0
        for part in parts:
            if (t := topic(part)) is not None:
                if not looks_like_question(part):
                    return None  # a bare topic (公积金，能一起办吗): what follows asks about it
                outside = outside or t
                continue
            if not looks_like_question(part):
                continue  # a bare noun phrase is the out-of-scope clause's subject, not a question
            score, top, ok, _ = self._best(part, MIXED_MIN)
            if ok and score >= MIXED_MIN and top is not None and self._entries[top] not in found:
                found.append(self._entries[top])
                best = max(best, score)
        if outside is None or not found:
            return None
        return FaqResult(found[0], best, True, "answered", tuple(found[1:]), topic=outside)

    def _clauses(self, text: str) -> list[FaqEntry]:
        """Entries that parts of a question spanning several topics answer on their own."""
        parts = [p for p in _CLAUSES.split(text) if len(tokenize(p)) >= 2]
        found: list[FaqEntry] = []
        if len(parts) < 2:
            return found
        for part in parts:
            if (exact := self._exact.get(_key(part))) is not None:
                entry = self._entries[exact]
            else:
                score, top, ok, _ = self._best(part, CLAUSE_MIN)
                # or, as for a whole question: the thing the clause asks for by name (几个事项) is
                # alone clearly the entry the clause ranks first, and the clause is near the bar
                if not ok and top is not None and score >= self.low_score:
                    ok = self._asked_thing(part) == top
                entry = self._entries[top] if ok and top is not None else None
            if entry is not None and entry not in found:
                found.append(entry)
        return found
