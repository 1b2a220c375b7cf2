"""The notice applied to a stated situation: age and sex, kind of work, where the archive is, place."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

from dialogs import divisions, faq_parse, situation_age

DECIDES = "以上是按您描述的情况对照办事指南作的说明；能否办理，以提交后对证件号码的核验和对申报材料的审核为准。"
SITUATIONS = (
    "办事指南 二、（二）办理情形：“无雇工的个体工商户、未在用人单位参加基本养老保险的非全日制就业人员、"
    "新就业形态就业人员以及在我省的其他灵活就业人员”。"
)
ARCHIVE = (
    "办事指南 二、（一）办理条件：“就业登记对象人事档案须符合流动人员人事档案管理服务规定，且为省内各级"
    "公共档案管理服务存档人员”。"
)
LETTER = (
    "表1第2项：档案在原存档机构为单位集体委托的，须提供“转出档案介绍信或解除终止劳动关系协议”"
    "（原件1份，单位加盖公章，扫描PDF）。"
)


@dataclass(frozen=True)
class Note:
    kind: str  # "age" | "work" | "archive" | "place"
    entry: str  # the bank entry whose notice section the note applies
    text: str
    also: tuple[str, ...] = ()  # further entries the answer should include
    # further stated situations the note applies: an archive note naming where the archive is
    # applies the place stated for it (档案在天津: the notice's one rule on that place, the
    # archive condition)
    applies: tuple[str, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind, *self.applies)


# An eligibility question ("can I", "does it count"), not e.g. "which option do I tick".
_ASKS_IF = re.compile(
    r"(能|可以|可|给|还能|能不能)(办|登记)|办(吗|不|么|得了|不了)|登记(吗|不)|算|属于|符合|"
    r"够条件|可以|行吗|行不|能行|中不中|中吗|成不|勾|选|能不能|能吗|能不|够格|资格|来得及|"
    r"(能|可以)?走(这个|这|得了|不了|吗)|能(申请|参加|报)|适用|沾边|让办|"
    # the working-age condition asked about directly
    r"年龄内|劳动年龄|超龄|超岁数|到.{0,2}退休|退休年龄|够岁数|岁数够|"
    # whether the conditions are met: 俩条件都够不够, 满足吗, 达不达标
    r"够不够|够吗|够不|满足|达标|达不达|合格|条件.{0,4}(够|齐|行)"
)
# retired already: past the retirement age (not 快退休了, 退休以后怎么办 …)
_RETIRED = re.compile(
    r"(已经|早就|早|都|刚)(办了?)?退休|已退休|(?<![快要就将该])退休了|退了休|(领|拿)(上)?(了)?(养老金|退休金)"
)
_ASKS_OTHER = re.compile(r"[?？吗呢]|怎么|什么|啥|哪|多少|几|谁|(.)不\1")  # a bare statement asks about itself

_WORK: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(
            r"快递(?!费|寄|过来|过去)|外卖|骑手|送餐|配送|网约车|滴滴|货拉拉|代驾|主播|直播|带货|闪送|(?<![不少用])跑腿|美团|饿了么|"
            r"网店|微商|平台|电商|抖音|快手|淘宝|拼多多|跑单|众包|顺风车|顺丰|达达|京东|曹操|花小猪|嘀嗒|哈啰|"
            r"网红|网文|写小说|剪视频|视频博主|博主|up主"
        ),
        "新就业形态就业人员",
        "",
    ),
    (
        re.compile(r"钟点工|小时工|兼职|非全日制|按小时"),
        "未在用人单位参加基本养老保险的非全日制就业人员",
        "如果用人单位已为您参加基本养老保险，则不属于这一情形。",
    ),
    (
        re.compile(
            r"个体|小卖部|小店|(开|干|经营)了?[一个家间]*.{0,4}(店|铺|馆|超市|摊)|"
            r"修车铺|美甲|理发"
        ),
        "无雇工的个体工商户",
        "",
    ),
    (
        re.compile(
            r"自由职业|零工|散工|临时工|摆摊|地摊|手工|家政|保姆|月嫂|开出租|出租车|小买卖|做生意|"
            r"打短工|自己干|干点活|保洁|清洁|搬运|装卸|装修|木工|瓦工|电工|油漆工|打杂|接单|接活|私活|"
            r"(做|搞)设计|设计师|写稿|翻译|家教|自媒体|摄影|看门|给人.{0,2}(干|看|做|打|帮|带|修|种|开|送|跑)|帮人.{0,2}(干|看|做)"
        ),
        "在我省的其他灵活就业人员",
        "",
    ),
)
_HIRES = re.compile(r"雇了|雇人|雇[一两二三四五六七八九十\d]+个|请了.{0,3}人|招了|有.{0,3}(员工|伙计|帮工)")
_NO_HIRE = re.compile(r"没雇|不雇|没有雇|就我自己|我一个人|一个人|自己干|夫妻")
_EMPLOYEE = re.compile(r"(公司|单位|厂里?).{0,6}(上班|交社保|缴社保|给交|参保)")
# a job one had before (以前在厂里当工人, 原来在公司上班): not itself one of the situations
_FORMER = re.compile(
    r"(以前|之前|原来|过去|早先|早年|前些年|原先)(是|在|给|跟)?.{0,6}(厂|公司|单位|工地|企业|国企|机关|工厂|车间)"
    r".{0,6}(上班|当|干|做|工作|打工|上岗)|下岗|(厂子?|公司|单位)(倒闭|黄了|裁员|关门|没了)|"
    # left a job (从厂里辞职了, 跟公司解除了合同): that job is over, what one does now decides
    r"(从|在|跟|和)?(厂|公司|单位|工厂|企业)里?[^，,。；;！!？?]{0,8}(辞职|离职|辞工|辞了|不干了|解除)"
)


# any other work one says one does (我在工地干活, 我是卖菜的, 俺开大车, 我当保安): the notice's
# fourth situation, unless an employer insures them; not the notice's own things (开证明, 送材料)
_DOES = re.compile(
    r"(我|俺|本人|自己|老公|媳妇|爱人|我爸|我妈|他|她)(现在|目前|平时|一直|主要|就|也|是|在家|网上|线上|手机上)*"
    r"(在[\u4e00-\u9fff]{1,6}(打工|干活|上班|做事|帮工|干)|(在[\u4e00-\u9fff]{1,3})?"
    r"(开|跑|当|做|干|卖|送|修|收|养|种|拉|搞|给人|帮人)"
    r"(?!证明|材料|资料|介绍信|表|档案|申请|登记|手续|合同|社保|医保|身份证|户口|照片|东西|"
    r"[不了完错好到过个趟腿时天啥嘛什么定清改老类]|[一几两三四](趟|次|回|遍|个))"
    r"[\u4e00-\u9fff]{1,4})"
)


def _work(text: str, broad: bool = True) -> Note | None:
    """The note on the work described; `broad`: any work one says one does (_DOES) too."""
    if _FORMER.search(text) and not any(p.search(text) for p, _, _ in _WORK):
        return Note(
            "work",
            "situations",
            f"{SITUATIONS}您说的以前在单位的工作不决定办理情形，要看您现在的就业情况：现在属于上述情形之一的"
            "（例如打零工、开个体店、跑外卖或其他灵活就业），可以按灵活就业办理；现在仍在用人单位就业并由单位参保的，"
            "不在上述情形之中。",
        )
    if _EMPLOYEE.search(text) and not any(p.search(text) for p, _, _ in _WORK):
        return Note(
            "work",
            "situations",
            f"{SITUATIONS}您说在用人单位就业并由单位参保，这不在上述四种办理情形之中；具体情况请向办理窗口咨询。",
        )
    for pattern, category, caveat in _WORK:
        m = pattern.search(text)
        if not m:
            continue
        said = m.group(0)
        if category == "无雇工的个体工商户" and _HIRES.search(text) and not _NO_HIRE.search(text):
            return Note(
                "work",
                "situations",
                f"{SITUATIONS}通知所列的是“无雇工的”个体工商户；有雇工的个体工商户不在所列情形之中，请向办理窗口咨询。",
            )
        return Note("work", "situations", f"{SITUATIONS}您说的“{said}”，通常对应其中的“{category}”。{caveat}")
    if broad and (m := _DOES.search(text)) is not None:
        said = m.group(3)
        return Note(
            "work",
            "situations",
            f"{SITUATIONS}您说的“{said}”，不是受雇于用人单位并由单位参保的，通常对应其中的“在我省的其他灵活就业人员”；"
            "如果用人单位已为您参加基本养老保险，则不属于上述情形。",
        )
    return None


_ARCHIVE_AT = re.compile(r"档[案按]")
_PUBLIC = re.compile(r"人才(交流|服务)?(中心|市场)|人才|就业(服务|和人才)|公共就业|人社局|劳动保障|职介")
_EMPLOYER = re.compile(r"(原|以前|之前|原来|老)的?(单位|公司|厂)|单位|公司|厂里|集体委托")
_SCHOOL = re.compile(r"学校|大学|学院|高校")
_SELF = re.compile(r"自己(拿|手|保管|放|存)|在家|家里|手里|手上|个人保管")
_UNKNOWN = re.compile(r"不知道|不清楚|不晓得|不记得")
# no archive to point to: never had one, lost, or not to be found
_MISSING = re.compile(
    r"没(有)?(了)?(人事)?档[案按](?!.{0,2}(介绍|转|编号|机构|信|那|这|栏))|档[案按].{0,4}(丢|没了|找不|弄没|不见)|找不(到|着|见)"
)
_NOT_THERE = re.compile(r"(不|没|没有)(再)?(在|放在|存在|搁在|存放在)[^，,。；;！!？?\s了]{1,10}")
_ENTRUSTED = re.compile(r"集体委托|单位委托|(单位|公司|厂里?)(统一)?(存|放|托管)")


@cache
def _places() -> tuple[tuple[str, str, bool], ...]:
    """(name as typed, full name, in Hebei): provinces, their cities, Hebei's counties."""
    out: list[tuple[str, str, bool]] = []
    short = re.compile(r"(省|市|自治区|特别行政区|壮族|回族|维吾尔|地区|县|区)$")
    for p in divisions.provinces():
        in_hebei = p.code == divisions.HEBEI
        out.append((p.name, p.name, in_hebei))
        out.append((short.sub("", short.sub("", p.name)), p.name, in_hebei))
        for c in divisions.cities(p.code):
            out.append((c.name, c.name, in_hebei))
            if len(c.name) > 2 and c.name.endswith("市"):
                out.append((c.name[:-1], c.name, in_hebei))
            for k in divisions.counties(c.code) if in_hebei else ():
                out.append((k.name, k.name, True))
    out += [
        ("外省", "外省", False),
        ("省外", "省外", False),
        ("外地", "外地", False),
        ("老家", "", True),
        ("省内", "省内", True),
        ("雄安", "雄安新区", True),
    ]
    return tuple(sorted({o for o in out if len(o[0]) >= 2}, key=lambda o: -len(o[0])))


@cache
def _place_re() -> tuple[re.Pattern[str], dict[str, tuple[str, bool]]]:
    names = {typed: (full, in_hebei) for typed, full, in_hebei in _places()}
    return re.compile("|".join(map(re.escape, sorted(names, key=len, reverse=True)))), names


def place_in(text: str) -> tuple[str, bool] | None:
    """The place named first in the text (the longest name at that position)."""
    found = place_in_span(text)
    return found[0] if found else None


def place_in_span(text: str) -> tuple[tuple[str, bool], int] | None:
    """The place named first in the text and where it starts."""
    return next(places_in(text), None)


def places_in(text: str) -> Iterator[tuple[tuple[str, bool], int]]:
    """Each place named in the text, in order, and where it starts."""
    pattern, names = _place_re()
    return ((names[m.group(0)], m.start()) for m in pattern.finditer(text))


def _archive(text: str) -> Note | None:
    note = _archive_note(text)
    if note is None or faq_parse.archive_place(text) is None:
        return note
    return replace(note, applies=("place",))  # the place stated for the archive, applied by it


def _archive_note(text: str) -> Note | None:
    m = _ARCHIVE_AT.search(text)
    if not m:
        return None
    after = text[m.start() :]
    # where the archive is: named after 档案, or in the clause that mentions it (北京的档案), not
    # where the person is (我在北京打工，档案在县人才中心); 档案不在河北 is outside Hebei
    place = faq_parse.archive_place(text)
    # where it is not (档案早不在单位了) says nothing of where it is: out of the kinds' view
    after = _NOT_THERE.sub("", after)
    if _UNKNOWN.search(text):
        return Note(
            "archive",
            "archive_condition",
            f"{ARCHIVE}不清楚档案在哪里的，资格核验时可以选择“不清楚”，由人社部门审核时核实存档情况。",
        )
    if _MISSING.search(text):
        return Note(
            "archive",
            "archive_condition",
            f"{ARCHIVE}没有档案或找不到档案的，说不清存档情况，资格核验时可以选择“不清楚”，"
            "由人社部门审核时核实存档情况；也可先向原单位或原存档机构确认。",
        )
    if place and not place[1]:
        where = "不在河北省内" if place[0] == "河北省外" else f"存放在{place[0]}（河北省外）"
        return Note(
            "archive",
            "archive_condition",
            f"{ARCHIVE}档案{where}的，不属于“省内”"
            "公共档案管理服务存档，按通知不符合这一条件；请向办理窗口咨询档案转递。",
        )
    if _ENTRUSTED.search(text):  # stored by the former employer's collective entrustment: the letter
        return Note(
            "archive",
            "archive_condition",
            f"{ARCHIVE}档案由原单位集体委托存档的，{LETTER}",
            also=("mat_transfer_letter",),
        )
    if _SCHOOL.search(after):
        return Note(
            "archive",
            "archive_condition",
            f"{ARCHIVE}档案在学校的，不属于公共档案管理服务机构存档；请向办理窗口咨询档案的接收和转递。",
        )
    if _PUBLIC.search(after):  # (自己存的人才中心: deposited by oneself, kept by the centre)
        where = f"{place[0]}的" if place and place[0] else ""
        letter = (
            "表1第2项的转出档案介绍信或解除终止劳动关系协议，只在档案在原存档机构为单位集体委托时提供。"
            if "介绍" in text or "协议" in text
            else ""
        )
        return Note(
            "archive",
            "archive_condition",
            f"{ARCHIVE}档案存放在{where}公共就业和人才服务机构（人才中心、"
            f"人才市场、就业服务中心等），属于省内公共档案管理服务存档的，符合这一条件。{letter}",
            also=("mat_transfer_letter",) if letter else (),  # the letter asked about: its entry too
        )
    if _SELF.search(after):
        return Note(
            "archive",
            "archive_condition",
            f"{ARCHIVE}档案由个人自己保管的，不属于公共档案管理服务机构存档；请向办理窗口咨询。",
        )
    if _EMPLOYER.search(after):
        return Note(
            "archive",
            "archive_condition",
            f"{ARCHIVE}档案在原单位、不在公共档案管理服务机构的，需先转递；{LETTER}",
            also=("mat_transfer_letter",),
        )
    return None


_ASKS_WHERE = re.compile(r"哪|地方|大厅|窗口|地址|什么地")
# whether it can be done there: 能在廊坊办吗, 县里能办不, 在这边可以登记吗
_ASKS_THERE = re.compile(r"(能|可以|可不可以|能不能|可|让)[^，,。？?！!]{0,8}(办|登记|申请)|(办|登记)(吗|不|么|得了)")
_BEING_THERE = re.compile(r"(在|去|到|回|住|人在)$")
_FROM_THERE = re.compile(r"(户口|户籍|籍贯|老家)(是|在|落在|属于|本来是|还在)?$|(我|俺|他|她|人)(是|本是)$")
_CLAUSE = re.compile(r"[，,。；;！!？?\s]+")


def _where_they_are(text: str) -> tuple[str | None, str | None, bool, str | None]:
    """(the Hebei place they are in, the province or city outside Hebei their household is
    registered in, whether the Hebei place is said as where they are: 在保定, 去县里, the Hebei
    place their household is in): clauses about the archive are left to the archive note."""
    pattern, names = _place_re()
    here = home = hebei_home = None
    being = False
    for clause in _CLAUSE.split(text):
        if _ARCHIVE_AT.search(clause):
            continue
        for m in pattern.finditer(clause):
            full, in_hebei = names[m.group(0)]
            before = clause[max(0, m.start() - 4) : m.start()]
            if _FROM_THERE.search(before):
                home = home or (None if in_hebei else full)
                if in_hebei and full:
                    hebei_home = hebei_home or full
                continue
            if in_hebei and full and full not in ("省内", "河北省") and here is None:
                here, being = full, bool(_BEING_THERE.search(before))
    return here, home, being, hebei_home


# away from home (在外地打工回不去): whether it can be done without going back
_AWAY = re.compile(r"外地|外省|省外|回不去|回不来|不在(家|当地|本地|河北|老家)|人不在")
_ONLINE = re.compile(r"线上|网上|手机|在线|冀时办|政务服务网|远程|不回去|不用回")


_LEVEL = "办事指南 四：“市县政务服务中心、人社服务大厅统一设置‘一件事一次办’窗口”；二、（五）办理层级：市级、县级。"


def _place(text: str, answered: bool = False) -> Note | None:
    """The place note; `answered`: the question is answered anyway, so a place stated only as one's
    household (户口在衡水农村) gets its note too, not only one asked about."""
    here, home, being, hebei_home = _where_they_are(text)
    away = bool(_AWAY.search(text))
    if not here and away and (_ONLINE.search(text) or _ASKS_THERE.search(text)):
        who = f"您户籍在{hebei_home}、人在外地的" if hebei_home else "人在外地的"
        return Note(
            "place",
            "online",
            f"办事指南 五、（一）1. 线上线下受理：申请人可以通过省政务服务网或“冀时办”移动端上传申报材料和申报表单。"
            f"{who}，可以选择线上提交；线下办理的，到市县政务服务中心、"
            "人社服务大厅的“一件事一次办”窗口。",
        )
    asks_there = bool(_ASKS_THERE.search(text))
    asked = bool(_ASKS_WHERE.search(text) or being and asks_there or home and asks_there)
    if answered and not asked and not here and (home or hebei_home):
        origin = home or hebei_home
        inside = "" if home else "（河北省内）"
        return Note(
            "place",
            "where_offline",
            f"{_LEVEL}您说的户籍在{origin}{inside}：办事指南列出的两项办理条件中没有户籍所在地的要求；"
            "可到所在地的市或县（市、区）政务服务中心、人社服务大厅的“一件事一次办”窗口办理，"
            "也可以通过省政务服务网或“冀时办”线上提交。",
        )
    if not here and not (home and asks_there):
        return None
    if not asked and not answered:  # a place stated as where one is, beside another question
        return None
    where = f"您在{here}，可到当地" if here else "可到所在地的"
    origin = (
        f"户籍在{home}的：办事指南列出的两项办理条件中没有户籍所在地的要求，但人事档案须为省内各级公共档案管理服务存档。"
        if home
        else ""
    )
    return Note(
        "place",
        "where_offline",
        f"{_LEVEL}{where}市或县（市、区）政务服务中心、"
        f"人社服务大厅的“一件事一次办”窗口办理，也可以通过省政务服务网或“冀时办”线上提交。{origin}",
    )


def apply(question: str, today: date, answered: bool = False) -> list[Note]:
    """Notes for each situation the question states; empty when it states none.

    A situation is applied when the question asks whether one can (its asking clause, or the
    eligibility words), or states it bare; `answered` (the retrieval answers the question anyway,
    e.g. which materials): every stated age, work and household place gets its note beside it."""
    text = unicodedata.normalize("NFKC", question).lower()
    parsed = faq_parse.parse(text, today)
    asks_if = bool(_ASKS_IF.search(text)) or parsed.asks == "can"
    notes: list[Note] = []
    person = parsed.person
    if person is not None and (asks_if or answered or len(text) <= 16):
        whose = f"您{faq_parse.kin_name(parsed.kin)}" if parsed.subject == "relative" and parsed.kin else ""
        notes.append(Note("age", "working_age", situation_age.note_text(person, today, whose)))
    elif _RETIRED.search(text) and (asks_if or answered):
        notes.append(Note("age", "working_age", situation_age.RETIRED))
    # asked something else: only work named plainly (零工, 外卖, 个体), not any verb phrase
    plain_only = not asks_if and bool(_ASKS_OTHER.search(text))
    work = None if plain_only and not answered else _work(text, broad=not plain_only)
    if work:
        notes.append(work)
    if archive := _archive(text):
        notes.append(archive)
    if place := _place(text, answered):
        notes.append(place)
    return notes
