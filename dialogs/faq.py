"""Help-desk answer engine: BM25 over the notice's question bank, answering only when sure."""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Iterable

from rank_bm25 import BM25Okapi

if TYPE_CHECKING:
    import jieba

__all__ = [
    "FaqEntry", "FaqResult", "FaqIndex", "load_bank", "tokenize", "normalize",
    "is_out_of_scope", "looks_like_question",
]


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

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return (self.entry,) if self.confident and self.entry is not None else ()


def load_bank() -> list[FaqEntry]:
    raw = resources.files("dialogs").joinpath("data/faq.json").read_text(encoding="utf-8")
    return [
        FaqEntry(id=e["id"], section=e["section"], questions=tuple(e["questions"]), answer=e["answer"])
        for e in json.loads(raw)
    ]


# --- normalisation: canonical word <- what applicants type ----------------------------------
_CANONICAL: dict[str, tuple[str, ...]] = {
    "灵活就业": ("灵活救业", "零活就业"),
    "户口簿": ("户口本", "户口薄", "户籍本"),
    "居民身份证": ("身份证", "身分证"),
    "社保": ("社会保险", "社宝"),
    "医保": ("医疗保险", "医疗保障", "医保局"),
    "社保卡": ("社会保障卡",),
    "人社": ("人社局", "人社厅", "人力资源社会保障", "人力资源和社会保障"),
    "税务": ("税务局", "税局"),
    "档案": ("档按",),
    "转递": ("转接",),
    "转出档案介绍信": ("档案转出介绍信", "转档介绍信"),
    "介绍信": ("介绍性",),
    "办结": ("办完", "办好", "办下来", "弄好", "搞定", "能好"),
    "时限": ("多长时间", "多久", "几天", "多少天", "几个工作日", "多少个工作日", "要等"),
    "缴费": ("交钱", "交费", "缴钱"),
    "收费": ("要钱", "花钱", "手续费", "免费", "收钱", "收不收费", "付钱", "费用"),
    "邮寄": ("快递", "寄递", "寄"),
    "负责部门": ("谁来办", "谁办", "谁负责", "哪个部门", "哪个单位", "什么部门", "哪些部门", "由谁"),
    "办理地点": ("在哪办", "去哪办", "哪里办", "去哪"),
    "手机号码": ("手机号", "电话号码"),
    "线上": ("网上", "手机上", "手机", "在线", "冀时办app"),
    "窗口": ("线下", "现场", "大厅"),
    "个体工商户": ("个体户", "小店"),
    "非全日制": ("打零工", "兼职", "小时工", "零工"),
    "新就业形态": ("外卖", "骑手", "快递员", "网约车", "主播"),
    "样表": ("样本", "模板", "范本", "样式", "样子"),
    "材料": ("资料", "证明材料", "东西"),
    "提交": ("交上去", "交完", "递交", "提供", "准备", "携带", "带上"),
    "是否需要": ("要不要", "需不需要", "一定要", "必须", "用不用", "是不是必须"),
    "流程": ("步骤", "几步", "程序", "手续", "过程"),
    "离职": ("辞职",),
    "解除劳动关系": ("解除劳动合同",),
    "表单": ("申请表", "表格", "表"),
    "必填": ("打星号", "星号", "一定要填", "必须填", "必须要填", "得填"),
    "年龄": ("岁数", "年纪"),
    "条件": ("门槛", "要求", "限制"),
    "扫描pdf": ("pdf",),
    "复印件": ("复印",),
    "上传": ("拍照", "照片", "手机拍"),
    "哪些人": ("什么人员", "哪类人"),
    "签字": ("签名",),
    "盖章": ("公章", "盖公章"),
    "省级": ("省里",),
}
_SYNONYMS = {v: c for c, vs in _CANONICAL.items() for v in (c, *vs)}
_SYN_RE = re.compile("|".join(sorted(map(re.escape, _SYNONYMS), key=len, reverse=True)))
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (  # what a literal map cannot express
    (re.compile(r"\d{2}\s*(周岁|岁|了)|[一二三四五六七八九十]+多?(周岁|岁)"), " 年龄 "),
    (re.compile(r"归.{0,6}管"), " 负责部门 "),
    # "does it cost anything?" is about the service fee; "how much / how to pay" is not
    (re.compile(r"(交钱|交费|缴费|花钱|付费|付钱|收钱)(吗|不|么)"), " 收费 "),
    (re.compile(r"谁可以|谁能"), " 哪些人 "),
)
_CANON_WEIGHT = 2  # a canonical word counts like a jieba word plus its bigram

_USER_WORDS = (
    "人事档案", "流动人员", "档案介绍信", "户口簿本人页", "劳动合同", "参保", "缴费基数",
    "缴费档次", "参保区划", "转入机构编号", "档案转入机构", "就业登记", "终止就业", "登记就业",
    "社会保险登记", "法定劳动年龄", "政务服务中心", "人社服务大厅", "冀时办", "省政务服务网",
    "一体化政务服务平台", "并联审批", "工作日", "转出", "存档", "县级", "市级", "层级",
    "电子证照", "数据共享", "户籍地址", "常住地址", "户口性质", "人员类别", "就业类型",
    "登记类型", "社保代理", "公积金", "养老金", "退休金", "失业金", "退税", "个税",
)
_STOP = frozenset(
    "的 了 吗 呢 吧 啊 呀 嘛 哦 么 啦 哈 嗯 我 你 他 她 我们 您 是 在 有 和 与 或 就 都 也 还 又 "
    "要 会 能 可以 怎么 怎样 怎么样 如何 什么 啥 哪 哪个 哪些 些 个 这 那 这个 那个 一下 请问 "
    "请 想 问 问下 一个 得 着 过 被 把 给 让 从 到 对 下 上 里 中 不 没 没有 需要 应该 可 已经 "
    "还是 是不是 能不能 不能 能否 可不可以 行 行不行 好 所以 因为 如果 时候 办理 办 为什么 "
    "干什么 什么样 怎么办 怎么弄 咋办 咋 弄 搞 那边 这边 到底 具体 大概 "
    # every question here is about this, so it tells entries apart by nothing
    "一件事一次办 一件事 一次办 这事 事".split()
)
_PUNCT_RE = re.compile(r"[\W_]+")
_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")


def normalize(text: str) -> str:
    """NFKC, lower case, synonyms to canonical words set off by spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return _SYN_RE.sub(lambda m: f" {_SYNONYMS[m.group(0)]} ", text)


# --- jieba, initialised once per process, lazily --------------------------------------------
_jieba_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _jieba_lock:
            if _tokenizer is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
                    import jieba
                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.tmp_dir = os.path.join(tempfile.gettempdir(), "hebei-flexjob-jieba")
                os.makedirs(tk.tmp_dir, exist_ok=True)
                tk.initialize()
                for word in _USER_WORDS:
                    tk.add_word(word, freq=20000)
                _tokenizer = tk
    return _tokenizer


def tokenize(text: str) -> list[str]:
    """Canonical words, search-mode jieba words and "#"-prefixed character bigrams."""
    tokens: list[str] = []
    runs: list[str] = []
    for chunk in _PUNCT_RE.sub(" ", normalize(text)).split():
        if chunk in _CANONICAL:  # atomic: its sub-words would only add noise
            tokens.extend([chunk] * _CANON_WEIGHT)
            continue
        tk = _jieba()
        current: list[str] = []
        # lcut_for_search, but over content words only: a stop word's sub-words must not leak.
        for w in tk.lcut(chunk, HMM=False):
            if w in _STOP:
                runs.append("".join(current))
                current = []
                continue
            current.append(w)
            for n in (2, 3):
                if len(w) > n:
                    tokens.extend(w[i : i + n] for i in range(len(w) - n + 1) if tk.FREQ.get(w[i : i + n]))
            tokens.append(w)
        runs.append("".join(current))
    # Bigrams only inside runs of content words, so 怎么/的 do not glue neighbours together.
    for run in (r for chunk in runs for r in _CJK_RUN_RE.findall(chunk)):
        tokens.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
    return tokens


# --- topics the notice does not answer: these force a hand-off ------------------------------
_OUT_OF_SCOPE = re.compile(
    "|".join(
        (
            r"养老金|退休金|养老待遇|待遇|领多少|拿多少|能领|领取|领钱",
            r"公积金|退税|个税|所得税|发票|失业金|失业保险金|失业补助|生育|工伤|贷款|低保|救助",
            r"社保卡.{0,4}(挂失|补办|丢|激活|密码|申领|余额|领|换)|(申领|补办|挂失|激活|领取?|换).{0,3}社保卡",
            r"报销|起付线|门诊|住院|看病|就医|备案|医保卡.{0,6}(钱|余额|取)",
            r"(交|缴|扣).{0,8}多少(?!份|个|页|张|项|次)|(社保|医保|养老).{0,8}多少钱",
            r"(基数|档次|标准|比例|费率).{0,4}(多少|哪些|最低|最高|怎么选|选哪)",
            r"(每|一)个?(月|年).{0,6}(交|缴费)|交满|补缴|断缴|停保|退保|欠费",
            r"(怎么|如何|在哪|去哪|哪里|什么时候)(缴费|缴纳|交社保|交医保)|缴费(方式|渠道|时间|日期)",
            r"转移接续|社保关系|医保关系|社保.{0,3}转移",
            r"补贴|津贴|补助|划算|值不值|利息|收益",
            r"办退休|退休手续|(几|多少)岁退休|延迟退休|什么时候退休|退休(以|之)?后",
            r"进度|查询|查不到|咨询电话|打电话|电话是?多少|热线|联系方式|投诉",
            r"营业执照|工商注册|落户|迁户口|居住证|护照|签证|驾照|居民医保|新农合|城乡居民",
        )
    )
)


def is_out_of_scope(text: str) -> bool:
    return bool(_OUT_OF_SCOPE.search(normalize(text).replace(" ", "")))


# --- the index ------------------------------------------------------------------------------
# Measured with bench/bench_faq.py --compare: one document per entry (its questions joined)
# plus the answer text generalises better to unseen wording than the best single question.
ANSWER_WEIGHT = 1.0
MIN_SCORE = 8.0
MIN_MARGIN = 1.2  # best / second-best entry
MIN_COVERAGE = 0.4  # idf-weighted share of the question's terms found in the chosen entry
_MAX_CHARS = 300


def _key(question: str) -> str:
    return re.sub(r"[\s?？!！。,，.、]+", "", normalize(question))


class FaqIndex:
    """BM25 over the bank; answers only past the score, margin and coverage bars."""

    def __init__(
        self,
        entries: Iterable[FaqEntry],
        *,
        min_score: float = MIN_SCORE,
        min_margin: float = MIN_MARGIN,
        min_coverage: float = MIN_COVERAGE,
        answer_weight: float = ANSWER_WEIGHT,
        per_question: bool = False,  # the alternative, kept for the benchmark's comparison
    ) -> None:
        self._entries: list[FaqEntry] = list(entries)
        self.min_score, self.min_margin, self.min_coverage = min_score, min_margin, min_coverage
        self.answer_weight, self.per_question = answer_weight, per_question
        self._built = False

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return tuple(self._entries)

    def warm_up(self) -> None:
        if not self._built:
            self._build()

    def add(self, entry: FaqEntry) -> None:
        """Add, or replace by id, an entry; the index is rebuilt before the next answer."""
        self._entries = [e for e in self._entries if e.id != entry.id] + [entry]
        self._built = False

    def _build(self) -> None:
        docs: list[list[str]] = []
        owner: list[int] = []
        for i, entry in enumerate(self._entries):
            per_q = [tokenize(q) for q in entry.questions] or [[]]
            docs.extend(per_q if self.per_question else [[t for q in per_q for t in q]])
            owner.extend([i] * (len(per_q) if self.per_question else 1))
        answers = [tokenize(e.answer) for e in self._entries] if self.answer_weight else []
        vocab = [set(a) for a in answers] or [set() for _ in self._entries]
        for doc, i in zip(docs, owner):
            vocab[i].update(doc)
        self._owner, self._vocab = owner, vocab
        # A question asked exactly as a bank question (after normalisation) is answered by it.
        self._exact = {_key(q): i for i, e in enumerate(self._entries) for q in e.questions}
        # rank_bm25 divides by the vocabulary size: a bank with no words gets no model.
        self._questions = BM25Okapi(docs) if any(docs) else None
        self._answers = BM25Okapi(answers) if any(answers) else None
        self._built = True

    def answer(self, question: str) -> FaqResult:
        text = question[:_MAX_CHARS]
        terms = tokenize(text)
        if not terms:
            return FaqResult(None, 0.0, False, "empty")
        self.warm_up()
        # Asked exactly as a bank question (staff additions included): that entry answers it.
        exact = self._exact.get(_key(text))
        if exact is not None:
            return FaqResult(self._entries[exact], float("inf"), True, "answered")
        if is_out_of_scope(text):
            return FaqResult(None, 0.0, False, "out_of_scope")
        if self._questions is None:
            return FaqResult(None, 0.0, False, "low_confidence")

        best = [0.0] * len(self._entries)
        for i, s in zip(self._owner, self._questions.get_scores(terms)):
            best[i] = max(best[i], float(s))
        if self._answers is not None:
            for i, s in enumerate(self._answers.get_scores(terms)):
                best[i] += self.answer_weight * float(s)
        order = sorted(range(len(best)), key=best.__getitem__, reverse=True)
        top, score = order[0], best[order[0]]
        second = best[order[1]] if len(order) > 1 else 0.0
        confident = (
            score >= self.min_score
            and score >= self.min_margin * second
            and self._coverage(terms, self._vocab[top]) >= self.min_coverage
        )
        return FaqResult(self._entries[top], score, confident, "answered" if confident else "low_confidence")

    def _coverage(self, terms: list[str], vocab: set[str]) -> float:
        idf = self._questions.idf if self._questions is not None else {}
        unknown = max(idf.values(), default=1.0)  # a word the bank never uses is informative
        weights = {t: max(idf.get(t, unknown), 0.1) for t in terms}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in vocab) / total if total else 0.0


# --- is the applicant asking rather than answering? ------------------------------------------
_QUESTION_END = re.compile(r"[?？]\s*$")
_QUESTION_CUES = re.compile(
    r"吗|呢|怎么|怎样|如何|为什么|为啥|什么|啥|哪|能不能|可不可以|是不是|要不要|有没有|"
    r"需不需要|多久|多少|几天|几个|咋|请问|不知道|不清楚|不懂"
)
_DIGITISH = re.compile(r"^[\d\s\-/.:年月日号xX+()]*$")


def looks_like_question(text: str) -> bool:
    """Cheap test for free text typed during a form step that is a question, not an answer."""
    t = unicodedata.normalize("NFKC", text).strip()
    if len(t) < 3 or _DIGITISH.match(t):
        return False
    return bool(_QUESTION_END.search(t)) or (len(t) >= 4 and bool(_QUESTION_CUES.search(t)))
