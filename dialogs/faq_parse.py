"""A help-desk question read as its parts: who it is about, what it states, and what it asks.

The wording lists of the retrieval and of the situation notes overfit the questions they were
tuned on; what carries over to new questions is the sentence's structure. A question is one or
more statements of the applicant's situation (俺爹六十一了，还在工地上打零工) and one clause that
asks (能给他登记个灵活就业不). `parse` splits the two:
- the subject: the applicant, or a relative or someone else they ask for (俺爹, 帮我妈问问);
- the stated facts: an age (digits or Chinese numerals, rough: 过了60, 六十出头, 快五十了), and
  where the archive is, negations included (档案不在河北 is outside Hebei);
- the asking clause and its kind: whether one can (能…不, 中不中), which materials, how long,
  where, how, what it costs, what to fill in.
The asking clause says which family of the notice's entries answers; the facts add situation
notes (dialogs/situations.py) to whatever entry answers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from dialogs import situation_age

# clause boundaries of a question (as the retrieval's, without the joining words)
_CLAUSE = re.compile(r"[，,。？?！!；;\n]+|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")

# someone else the applicant asks for: a relative named as theirs, or asking on someone's behalf
_KIN = (
    r"爹|爸爸?|老爸|妈妈?|老妈|娘|父亲|母亲|老公|媳妇|老婆|爱人|丈夫|妻子|对象|儿子|闺女|女儿|孩子|"
    r"哥哥?|姐姐?|弟弟?|妹妹?|公公|婆婆|岳父|岳母|老丈人|丈母娘|爷爷|奶奶|姥爷|姥姥|叔叔?|婶婶?|舅舅?|"
    r"姨|姑姑?|亲戚|朋友|邻居|同事|老乡|家里老人"
)
_RELATIVE = re.compile(
    rf"(?:我|俺|咱|他|她)(?:家)?(?:的)?(?P<kin>{_KIN})|"
    rf"(?:帮|替|给)(?:我|俺)?(?:家)?(?P<for>{_KIN}|家里人|家人|别人|老人)(?:问|咨询|打听|看看|办)"
)
_KIN_SEX = {
    "男": re.compile(r"爹|爸|父亲|老公|丈夫|儿子|哥|弟|公公|岳父|老丈人|爷爷|姥爷|叔|舅"),
    "女": re.compile(r"妈|娘|母亲|媳妇|老婆|妻子|闺女|女儿|姐|妹|婆婆|岳母|丈母娘|奶奶|姥姥|婶|姨|姑"),
}

# the asking clause's kind, tried in order (能去哪当面办 asks where, not whether one can)
_ASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cost", re.compile(r"多少钱|收费|收钱|要钱|花钱|(交|给|掏|付|出)钱|费用|手续费|工本费|免费")),
    ("how_long", re.compile(r"多久|多长时间|几天|多少天|工作日|时限|办理时间|什么时候能|啥时候能|多会儿")),
    ("where", re.compile(r"哪里|哪儿|哪个地方|什么地方|啥地方|去哪|在哪|到哪|窗口|大厅|地址")),
    ("fill", re.compile(r"填|栏|选哪|选啥|选什么|勾哪|勾选|怎么写|写什么|写啥|空着")),
    (
        # which materials, or whether a document serves as one (not 交材料 as a doing: 一次交材料就能…)
        "materials",
        re.compile(
            r"(啥|什么|哪些|哪几|几样|几种|哪个|哪种)(材料|证件|证明|东西|资料|手续)|"
            r"带(啥|什么|哪些)|(要不要|用不用|需不需要|得不得|要|需要|用|得)带(上|着|去|过去)?(吗|不|么|$)|带不带|"
            r"准备(啥|什么|哪些|些)|(要|需要|得|该)准备的(东西|材料|资料|证件)|交(啥|什么|哪些)|"
            r"(拿|用|交|带|提供)[\u4e00-\u9fff]{0,4}(本|簿|证|合同|协议|信|件|照片)(就)?(行|可以|中|成)(不|吗|么)?$|"
            r"(当|算|作为|做|充当)(材料|证明)|代替|替代|复印|原件|扫描|几份"
        ),
    ),
    ("how", re.compile(r"怎么|咋|如何|怎样|流程|步骤|手续")),
    (
        "can",
        re.compile(
            r"(能|可以|可|行|中|成|够|算|符合|让|给)[^，,。？?]{0,12}(不|吗|么|没|不了|得了)[?？]?$|"
            r"能不能|可不可以|可以不|行不行|中不中|成不成|够不够|算不算|符合不|能否|是否(能|可以)|有没有资格|资格|影响|"
            # any other A-not-A at the clause's end asks whether (年龄超没超, 够数没够数)
            r"(?P<ab>[\u4e00-\u9fff])[不没](?P=ab)$"
        ),
    ),
)
_ASKING = re.compile(
    r"[?？吗呢么]|(.)不\1|怎么|什么|啥|哪|多少|多长|多久|几|谁|咋|能不能|可不可以|不$|没$|"
    # a request to be told (给我列一下呗, 跟我说说): asks as a question does
    r"(列|说|讲|介绍|解释|讲解|列举|告诉)(一下|一列|一说|一讲|说|讲|下|我)|(给|跟|帮)(我|俺)(列|说|讲|捋)"
)


# how a note names the person asked for (俺爹 -> 父亲): the notice's register, not the dialect
_KIN_NAME = (
    (re.compile(r"爹|爸|父亲"), "父亲"),
    (re.compile(r"妈|娘|母亲"), "母亲"),
    (re.compile(r"老公|丈夫"), "丈夫"),
    (re.compile(r"媳妇|老婆|妻子"), "妻子"),
    (re.compile(r"爱人|对象"), "爱人"),
)


def kin_name(kin: str) -> str:
    """The person asked for, as a note names them: 父亲, 母亲 …, else 家人."""
    return next((name for p, name in _KIN_NAME if p.search(kin)), "家人")


@dataclass(frozen=True)
class Parsed:
    """What a question is about, states and asks."""

    subject: str  # "self" | "relative" (someone the applicant asks for)
    kin: str | None  # how they named that person: 爹, 妈, 老公 …
    person: situation_age.Person | None  # the age stated, with the sex said or implied by `kin`
    archive: tuple[str, bool] | None  # where the archive is said to be: (place, in Hebei)
    asking: str  # the clause that asks (the last one that reads as a question)
    asks: str  # "can" | "materials" | "how_long" | "where" | "how" | "cost" | "fill" | "other"


def clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c.strip()]


# a clause the applicant sets aside (医保报销啥的先不问, 别的不管): it is not what they ask
_SET_ASIDE = re.compile(
    r"(先|暂时|暂且|今天|这会儿?|现在)?(不问|不说|不提|不管|不聊|不考虑|放一边|搁一边|以后再问|回头再问|另说)(了|啦)?$|"
    r"^(别的|其他的?|其它的?)(都)?(先)?不(管|问|说)"
)


# a set-aside clause that names nothing of its own but points back (这个先不管, 那些不问): it sets
# aside the clause before it (我以后还打算自己交公积金，这个先不管，…)
_POINTS_BACK = re.compile(
    r"^(这个|那个|这些|那些|这事|那事|这块|那块|这|那)(事|个|些)?(儿)?(的话)?(先|暂时|暂且)?(都)?不"
)


def set_aside(text: str) -> str:
    """The question without the clauses it sets aside; the whole question if nothing is left."""
    parts = re.split(r"([，,。？?！!；;\n]+)", text)
    dropped = {i for i, p in enumerate(parts) if not i % 2 and _SET_ASIDE.search(p.strip())}
    dropped |= {i - 2 for i in dropped if i >= 2 and _POINTS_BACK.search(parts[i].strip())}
    kept = [p for i, p in enumerate(parts) if i % 2 or i not in dropped]
    out = "".join(kept).strip("，,。；; ")
    return out if out and len(out) < len(text.strip("，,。；; ")) else text


# dialect and colloquial words read in the notice's register: only forms with one meaning (木有 is
# 没有 wherever it is typed; 咋整 asks what to do); 咋, 啥, 俺 are read by every pattern as they are
_DIALECT = (
    (re.compile(r"木有|冇有|冇|莫得|么得"), "没有"),
    (re.compile(r"咋整|咋弄|咋个办|咋搞|怎么整|怎么搞"), "怎么办"),
    (re.compile(r"啥子"), "什么"),
)


def standard(text: str) -> str:
    """The question with its dialect words (木有, 咋整) in the notice's register."""
    for pattern, word in _DIALECT:
        text = pattern.sub(word, text)
    return text


# an A-not-A question (上不上班, 开不开门, 收不收费) asks as "A吗" does: the word A whole again, for
# the patterns that read "上班吗", "开门吗"
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")


def plain_questions(text: str) -> str:
    """Each clause with an A-not-A question (周六上不上班) as its plain form (周六上班吗)."""
    out = []
    for c in re.split(r"([，,。？?！!；;\n]+)", text):
        if _A_NOT_A.search(c):
            c = _A_NOT_A.sub(r"\1", c) + "吗"
        out.append(c)
    return "".join(out)


def reads_as_question(clause: str) -> bool:
    """Whether a clause asks (几趟, 超没超, …吗), as opposed to stating."""
    return bool(_ASKING.search(clause))


def asking_clause(text: str) -> str:
    """The clause that asks: the last one that reads as a question, else the last one."""
    parts = clauses(text)
    asking = [c for c in parts if _ASKING.search(c)]
    return (asking or parts or [""])[-1]


# the notice's entries that answer each kind of asking clause, by the notice's sections (and the
# three entries of section 四/五 that say where and through which channel); kinds that many
# sections answer (can, how, other) pick no family
_FAMILY_SECTIONS = {
    "how_long": ("（三）办理时限",),
    "cost": ("（六）收费事项",),
    "materials": ("（四）申报材料",),
    "fill": ("三、统一申报表单",),
    "where": ("（五）办理层级",),
}
_FAMILY_IDS = {"where": ("where_offline", "acceptance", "online")}
FAMILY_KINDS = tuple(_FAMILY_SECTIONS)


def family(kind: str, entry_id: str, section: str) -> bool:
    """Whether an entry is of the family that answers a kind of asking clause."""
    return entry_id in _FAMILY_IDS.get(kind, ()) or any(s in section for s in _FAMILY_SECTIONS.get(kind, ()))


# a part of the form named by its field or section (档案那栏, 医保那一栏, 哪些栏目): the word before
# the 栏 names the part; 栏目 / 哪几部分 alone ask for the form's parts as such
_PART = re.compile(r"(?P<part>[\u4e00-\u9fff]{0,8}?)(那一|这一|那|这|哪|一)?(栏目|栏|部分)")
_ON_THE_FORM = re.compile(
    r"^.*(表格?|申请表|申报表|表单)(上|里|中)的?|^(表格?|申请表|申报表|表单)|^(都有|有|包括|分)?(哪些|哪几|几)个?|的$"
)


def form_part(clause: str) -> str | None:
    """The part of the form the clause names ("" for the parts as such), or None."""
    m = _PART.search(clause)
    if m is None:
        return None
    return _ON_THE_FORM.sub("", _ON_THE_FORM.sub("", m.group("part")))


def asks_kind(clause: str) -> str:
    for kind, pattern in _ASKS:
        if pattern.search(clause):
            return kind
    return "other"


def subject(text: str) -> tuple[str, str | None]:
    m = _RELATIVE.search(text)
    if m is None:
        return "self", None
    return "relative", m.group("kin") or m.group("for")


# a place named after a negation (不在河北, 没放在省内): not where the archive is
_NEGATED = re.compile(r"(不|没|没有|并不|不是)(在|放在|存在|搁在|放|存)?$")
_PROVINCE = ("河北省", "省内")  # 不在河北 / 不在省内: outside Hebei; 不在石家庄 says nothing of Hebei


def archive_place(text: str) -> tuple[str, bool] | None:
    """Where the question says the archive is, from the clause that names it: (place, in Hebei);
    a Hebei place after a negation (档案不在河北) is outside Hebei, another negated place says
    nothing."""
    from dialogs.situations import places_in  # the division register's place names

    m = re.search(r"档[案按]", text)
    if m is None:
        return None
    clause = next((c for c in clauses(text) if re.search(r"档[案按]", c)), "")
    for span in (text[m.start() :], clause):
        for (full, in_hebei), start in places_in(span):
            if not _NEGATED.search(span[max(0, start - 4) : start]):
                return full, in_hebei
            if full in _PROVINCE:
                return "河北省外", False
            # 不在石家庄，在保定: the next place says where it is
    return None


def parse(question: str, today: date) -> Parsed:
    text = unicodedata.normalize("NFKC", question).lower()
    who, kin = subject(text)
    person = situation_age.parse(text, today)
    if person is not None and person.sex is None and kin is not None:
        sex = next((s for s, p in _KIN_SEX.items() if p.search(kin)), None)
        person = situation_age.Person(person.births, sex, person.said)
    asking = asking_clause(text)
    return Parsed(who, kin, person, archive_place(text), asking, asks_kind(asking))
