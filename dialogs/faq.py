"""Help-desk answer engine: BM25 over the notice's question bank, answering only when sure."""
from __future__ import annotations

import json
import logging
import math
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

__all__ = ["FaqEntry", "FaqResult", "FaqIndex", "load_bank", "tokenize", "looks_like_question"]


@dataclass(frozen=True)
class FaqEntry:
    id: str
    section: str
    questions: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class FaqResult:
    # entry: the best candidate (None when empty or out of scope); show it only if confident.
    entry: FaqEntry | None
    score: float
    confident: bool
    reason: str  # "answered" | "out_of_scope" | "low_confidence" | "empty"


def load_bank() -> list[FaqEntry]:
    raw = resources.files("dialogs").joinpath("data/faq.json").read_text(encoding="utf-8")
    return [
        FaqEntry(id=e["id"], section=e["section"], questions=tuple(e["questions"]), answer=e["answer"])
        for e in json.loads(raw)
    ]


# --- normalisation -------------------------------------------------------------------------
# Canonical forms map to themselves so longer spellings are not rewritten twice
# (身份证 -> 居民身份证 must leave 居民身份证 alone).
_SYNONYMS: dict[str, str] = {
    # typos and variants
    "灵活救业": "灵活就业", "零活就业": "灵活就业", "户口薄": "户口簿", "户口本": "户口簿",
    "户籍本": "户口簿", "身分证": "居民身份证", "身份证": "居民身份证", "居民身份证": "居民身份证",
    "社宝": "社保", "介绍性": "介绍信", "档按": "档案",
    # completion and time
    "办完": "办结", "办好": "办结", "办下来": "办结", "弄好": "办结", "搞定": "办结", "能好": "办结",
    "多长时间": "时限", "多久": "时限", "几天": "时限", "多少天": "时限", "几个工作日": "时限",
    "多少个工作日": "时限", "要等": "时限",
    # money
    "交钱": "缴费", "交费": "缴费", "缴钱": "缴费", "要钱": "收费", "花钱": "收费", "手续费": "收费",
    "免费": "收费", "收钱": "收费", "收不收费": "收费", "付钱": "收费",
    # insurance and departments
    "医疗保险": "医保", "医疗保障": "医保", "社会保险": "社保", "社会保障卡": "社保卡",
    "人社局": "人社", "人力资源社会保障": "人社", "人社厅": "人社", "医保局": "医保",
    "税务局": "税务", "税局": "税务",
    "谁来办": "负责部门", "谁办": "负责部门", "谁负责": "负责部门", "哪个部门": "负责部门",
    "哪个单位": "负责部门", "什么部门": "负责部门", "哪些部门": "负责部门", "由谁": "负责部门",
    "谁审核": "负责部门审核", "谁来审核": "负责部门审核",
    # places and channels
    "在哪办": "办理地点", "去哪办": "办理地点", "哪里办": "办理地点", "去哪": "办理地点",
    "什么地方": "办理地点", "哪儿": "哪里", "冀时办app": "冀时办", "app": "冀时办",
    "网上": "线上", "手机上": "线上", "手机": "线上", "线下": "窗口", "现场": "窗口",
    # people
    "个体户": "个体工商户", "小店": "个体工商户", "打零工": "非全日制", "兼职": "非全日制",
    "小时工": "非全日制", "零工": "非全日制", "外卖": "新就业形态", "骑手": "新就业形态",
    "快递员": "新就业形态", "网约车": "新就业形态", "主播": "新就业形态",
    # documents, steps and forms
    "样本": "样表", "模板": "样表", "范本": "样表", "资料": "材料", "证明材料": "材料",
    "交上去": "提交", "交完": "提交", "递交": "提交", "转接": "转递", "转移档案": "档案转递",
    "提供": "提交", "准备": "提交", "携带": "提交", "带上": "提交",
    "东西": "材料", "签名": "签字", "盖公章": "盖章", "公章": "盖章", "省里": "省级",
    "快递费": "邮寄服务费", "快递": "邮寄", "寄递": "邮寄", "寄": "邮寄", "邮寄": "邮寄",
    "档案转出介绍信": "转出档案介绍信", "转档介绍信": "转出档案介绍信",
    "要不要": "是否需要", "需不需要": "是否需要", "一定要": "是否需要", "必须": "是否需要",
    "用不用": "是否需要", "是不是必须": "是否需要", "是否需要": "是否需要",
    "步骤": "流程", "几步": "流程", "程序": "流程", "手续": "流程",
    "辞职": "离职", "解除劳动合同": "解除劳动关系", "申请表": "表单", "表格": "表单", "表": "表单",
    "打星号": "必填", "星号": "必填", "一定要填": "必填", "必须填": "必填", "必须要填": "必填", "得填": "必填",
    "岁数": "年龄", "年纪": "年龄", "门槛": "条件", "要求": "条件", "pdf": "扫描pdf",
    "扫描pdf": "扫描pdf", "复印件": "原件", "复印": "原件", "拍照": "上传", "照片": "上传",
}
_SYN_RE = re.compile("|".join(sorted(map(re.escape, _SYNONYMS), key=len, reverse=True)))
# Patterns a literal map cannot express.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\d{2}\s*(周岁|岁|了)|[一二三四五六七八九十]+多?(周岁|岁)"), " 年龄 "),
    (re.compile(r"归.{0,6}管"), " 负责部门 "),
)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    # Spaces keep a canonical word from fusing with its neighbours (在+线上 -> 在线).
    return _SYN_RE.sub(lambda m: f" {_SYNONYMS[m.group(0)]} ", text)


_USER_WORDS = (
    "灵活就业", "一件事一次办", "一件事", "人事档案", "流动人员", "转出档案介绍信", "档案介绍信",
    "介绍信", "户口簿", "户口簿本人页", "劳动合同", "居民身份证", "参保", "医保", "社保", "税务",
    "缴费基数", "缴费档次", "参保区划", "转入机构编号", "档案转入机构", "就业登记", "终止就业",
    "登记就业", "社会保险登记", "个体工商户", "非全日制", "新就业形态", "法定劳动年龄",
    "政务服务中心", "人社服务大厅", "冀时办", "省政务服务网", "一体化政务服务平台", "并联审批",
    "工作日", "负责部门", "是否需要", "转出", "线上", "窗口", "人社", "存档", "县级", "市级", "层级", "办理时限", "办结", "收费", "办理地点", "样表", "必填", "扫描pdf", "原件",
    "电子证照", "数据共享", "户籍地址", "常住地址", "户口性质", "人员类别", "就业类型",
    "登记类型", "社保卡", "社保代理", "公积金", "养老金", "退休金", "失业金", "退税", "个税",
)

_STOP = frozenset(
    "的 了 吗 呢 吧 啊 呀 嘛 哦 么 我 你 他 她 我们 您 是 在 有 和 与 或 就 都 也 还 又 要 "
    "会 能 可以 怎么 怎样 怎么样 如何 什么 啥 哪 哪个 哪些 些 个 这 那 这个 那个 一下 请问 "
    "请 想 问 问下 一个 得 着 过 被 把 给 让 从 到 对 下 上 里 中 吧 不 没 没有 需要 应该 "
    "可 已经 还是 是不是 能不能 不能 能否 可不可以 行 行不行 好 所以 因为 如果 时候 办理 办 "
    "为什么 干什么 什么样 怎么样 怎么办 怎么弄 咋办 咋 弄 搞 呀 啦 哈 嗯 那边 这边 一下子 到底 具体 大概 "
    # every question here is about this, so it tells entries apart by nothing
    "灵活就业 一件事一次办 一件事 一次办 这事 事".split()
)
_PUNCT_RE = re.compile(r"[\W_]+", re.UNICODE)
_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")


# --- jieba, initialised once per process, lazily --------------------------------------------
_jieba_lock = threading.Lock()
_tokenizer: "jieba.Tokenizer | None" = None


def _jieba() -> "jieba.Tokenizer":
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _jieba_lock:
        if _tokenizer is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
                import jieba
            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            cache_dir = os.path.join(tempfile.gettempdir(), "hebei-flexjob-jieba")
            os.makedirs(cache_dir, exist_ok=True)
            tk.tmp_dir = cache_dir
            tk.initialize()
            for word in _USER_WORDS:
                tk.add_word(word, freq=20000)
            _tokenizer = tk
    return _tokenizer


def tokenize(text: str) -> list[str]:
    """Search-mode jieba words plus character bigrams ("#"-prefixed), stop words dropped."""
    norm = _PUNCT_RE.sub(" ", normalize(text)).strip()
    if not norm:
        return []
    tk = _jieba()
    words: list[str] = []
    runs: list[str] = []
    current: list[str] = []
    # lcut_for_search, but on content words only: sub-words of a stop word must not leak.
    for w in tk.lcut(norm, HMM=False):
        if not w.strip() or w in _STOP:
            if current:
                runs.append("".join(current))
            current = []
            continue
        current.append(w)
        for n in (2, 3):
            if len(w) > n:
                words.extend(w[i : i + n] for i in range(len(w) - n + 1) if tk.FREQ.get(w[i : i + n]))
        words.append(w)
    if current:
        runs.append("".join(current))
    # Bigrams inside runs of content words, so 怎么/的 do not glue neighbours together.
    bigrams = [
        "#" + run[i : i + 2]
        for chunk in runs
        for run in _CJK_RUN_RE.findall(chunk)
        for i in range(len(run) - 1)
    ]
    return words + bigrams


# --- the out-of-scope guard -----------------------------------------------------------------
# Topics the notice does not answer; matched on normalised text, they force a hand-off.
_OUT_OF_SCOPE = re.compile(
    "|".join(
        (
            r"养老金|退休金|养老待遇|待遇|领多少|拿多少|能领|领取",
            r"公积金|退税|个税|所得税|发票|失业金|失业保险金|失业补助|生育|工伤|贷款|低保|救助",
            r"社保卡.{0,4}(挂失|补办|丢|激活|密码|申领|余额|领|换)|(申领|补办|挂失|激活|领取?|换)\S{0,3}社保卡",
            r"报销|起付线|门诊|住院|异地就医|就医|备案|医保卡.{0,6}(钱|余额|取)",
            r"(交|缴|扣).{0,8}多少|(社保|医保|养老).{0,8}多少钱",
            r"(基数|档次|标准|比例|费率).{0,4}(多少|哪些|最低|最高|怎么选|选哪)",
            r"(每|一)(个)?(月|年).{0,6}(交|缴费)|交满|补缴|断缴|停保|退保|欠费",
            r"转移接续|社保关系|医保关系|社保.{0,3}转移",
            r"补贴|津贴|补助|划算|值不值|利息|收益",
            r"办退休|退休手续|(几|多少)岁退休|延迟退休|什么时候退休",
            r"进度|查询|查不到|电话|热线|联系方式|投诉",
            r"营业执照|工商注册|落户|迁户口|居住证|护照|签证|驾照|居民医保|新农合|城乡居民",
        )
    )
)


def is_out_of_scope(text: str) -> bool:
    return bool(_OUT_OF_SCOPE.search(normalize(text)))


# --- the index ------------------------------------------------------------------------------
# Measured with bench/bench_faq.py --compare: one document per entry (its questions joined)
# plus the answer text at a lower weight generalises better to unseen paraphrases than
# scoring each bank question alone and taking the best.
ANSWER_WEIGHT = 1.0
MIN_SCORE = 4.0
MIN_MARGIN = 1.2  # best / second-best entry
MIN_COVERAGE = 0.5  # idf-weighted share of the question's terms found in the matched entry
_MAX_CHARS = 300


class FaqIndex:
    """BM25 over the bank, one document per entry; answers only past the confidence bars."""

    def __init__(
        self,
        entries: Iterable[FaqEntry],
        *,
        min_score: float = MIN_SCORE,
        min_margin: float = MIN_MARGIN,
        min_coverage: float = MIN_COVERAGE,
        answer_weight: float = ANSWER_WEIGHT,
        per_question: bool = False,
    ) -> None:
        self._entries: list[FaqEntry] = list(entries)
        self.min_score, self.min_margin, self.min_coverage = min_score, min_margin, min_coverage
        self.answer_weight = answer_weight
        self.per_question = per_question  # the alternative kept for the benchmark's comparison
        self._built = False

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return tuple(self._entries)

    def warm_up(self) -> None:
        if not self._built:
            self._build()

    def add(self, entry: FaqEntry) -> None:
        """Add or replace (same id) an entry; the index is rebuilt on the next question."""
        self._entries = [e for e in self._entries if e.id != entry.id] + [entry]
        self._built = False

    def _build(self) -> None:
        q_docs: list[list[str]] = []
        self._owner: list[int] = []
        for i, entry in enumerate(self._entries):
            toks = [tokenize(q) for q in entry.questions] or [[]]
            if self.per_question:
                q_docs.extend(toks)
                self._owner.extend([i] * len(toks))
            else:
                q_docs.append([t for tk in toks for t in tk])
                self._owner.append(i)
        a_docs = [tokenize(e.answer) for e in self._entries]
        self._vocab = [set(a) for a in a_docs] if self.answer_weight else [set() for _ in a_docs]
        for j, doc in enumerate(q_docs):
            self._vocab[self._owner[j]].update(doc)
        # rank_bm25 divides by the corpus size: an empty bank still needs one (empty) document.
        self._questions = BM25Okapi(q_docs or [[]])
        self._answers = BM25Okapi(a_docs) if self.answer_weight and a_docs else None
        self._built = True

    def answer(self, question: str) -> FaqResult:
        text = question[:_MAX_CHARS]
        terms = tokenize(text)
        if not terms:
            return FaqResult(None, 0.0, False, "empty")
        if is_out_of_scope(text):
            return FaqResult(None, 0.0, False, "out_of_scope")
        if not self._built:
            self._build()
        if not self._entries:
            return FaqResult(None, 0.0, False, "low_confidence")
        best = [0.0] * len(self._entries)
        for j, s in enumerate(self._questions.get_scores(terms)):
            i = self._owner[j]
            best[i] = max(best[i], float(s))
        if self._answers is not None:
            for i, s in enumerate(self._answers.get_scores(terms)):
                best[i] += self.answer_weight * float(s)
        order = sorted(range(len(best)), key=best.__getitem__, reverse=True)
        top = order[0]
        score = best[top]
        second = best[order[1]] if len(order) > 1 else 0.0
        confident = (
            score >= self.min_score
            and score >= self.min_margin * second
            and self._coverage(terms, self._vocab[top]) >= self.min_coverage
        )
        reason = "answered" if confident else "low_confidence"
        return FaqResult(self._entries[top], score, confident, reason)

    def _coverage(self, terms: list[str], vocab: set[str]) -> float:
        idf = self._questions.idf
        unknown = max(idf.values(), default=1.0)
        weights = {t: max(idf.get(t, unknown), 0.1) for t in terms}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in vocab) / total if total else 0.0


# --- is the applicant asking rather than answering? ------------------------------------------
_QUESTION_END = re.compile(r"[?？]\s*$")
_QUESTION_CUES = re.compile(
    r"吗|呢|怎么|怎样|如何|为什么|为啥|什么|啥|哪|能不能|可不可以|是不是|要不要|有没有|"
    r"需要|多久|多少|几天|几个|咋|请问|不知道|不清楚|不懂"
)
_DIGITISH = re.compile(r"^[\d\s\-/.:年月日号xX+()（）]*$")


def looks_like_question(text: str) -> bool:
    """Cheap test for free text typed during a form step that is a question, not an answer."""
    t = unicodedata.normalize("NFKC", text).strip()
    if len(t) < 3 or _DIGITISH.match(t):
        return False
    if _QUESTION_END.search(t):
        return True
    return len(t) >= 4 and bool(_QUESTION_CUES.search(t))
