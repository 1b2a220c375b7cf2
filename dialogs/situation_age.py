"""The working-age condition applied to an age, birth year and sex stated in a question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dialogs.retirement import MIN_AGE, RetireCategory, add_months, full_years, retirement_months

CONDITION = (
    "办事指南 二、（一）办理条件：“就业登记对象须在法定劳动年龄内”。法定劳动年龄为年满16周岁"
    "至法定退休年龄，退休年龄按2025年1月1日起施行的《国务院关于渐进式延迟法定退休年龄的办法》计算。"
)

RETIRED = (
    f"{CONDITION}您说已经退休、领取养老金的：已办理退休的一般已达到法定退休年龄，不在法定劳动年龄内，"
    "按通知不符合这一条件。"
)

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_number(text: str) -> int | None:
    """十六, 五十八, 六十, 二十, 七 -> int; anything else -> None."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGIT and c != "十" for c in text):
        return None
    if "十" not in text:
        return _CN_DIGIT[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


_NUM = r"(\d{1,2}|[一二三四五六七八九十两]{1,3})"
# an age said roughly: 五十出头 (50 to 53), 五十多 / 五十来岁 (50 to 59)
_ROUGH = re.compile(_NUM + r"\s*(出头|多岁?|来岁|几岁|好几)(?![天个年月块元万次份页人号日家种张分钟小趟])")
_ROUGH_SPAN = {"出头": 3}
# an age said as a bound: 过了60 / 超过六十 / 60以上 (60 to 64), 快五十了 / 奔六十 (48 to 49)
_NOT_AGE = r"(?![\d年月个天号块元万次份页人日])"  # 过了60天, 快十个月: not an age
_OVER = re.compile(r"(?:过了|超过了?|超了|已过)\s*" + _NUM + _NOT_AGE + "|" + _NUM + r"\s*(?:岁)?(?:以上|开外)")
_NEAR = re.compile(r"(?:快要?|将近|眼看|奔|马上)\s*" + _NUM + r"\s*(?:岁|周岁|了|啦)?" + _NOT_AGE)
_AGE_PATTERNS = (
    re.compile(r"虚岁\s*" + _NUM),  # a year more than the full age (周岁)
    re.compile(_NUM + r"\s*(?:周岁|岁)"),
    re.compile(
        r"(?:今年|年纪|年龄|岁数|周岁|刚满|年满|满|才|已经)\s*(?:是|有|才|都|整|刚|已经|快|正好|刚好|整好|恰好)?\s*"
        + _NUM
        + r"(?![\d年月个天号])"
    ),
    re.compile(r"(?<![\d一二三四五六七八九十两])" + _NUM + r"\s*(?:了|啦)"),
    re.compile(r"(?:男|女)的?\s*[，,、\s]\s*(\d{2}|[二三四五六七八九十]{1,3})(?![\d年月个天号岁一二三四五六七八九十])"),
    # the age, then the sex as the next clause: 58，男 / 我五十九，男
    re.compile(r"(?<![\d一二三四五六七八九十两])(\d{2}|[一二三四五六七八九十]{2,3})\s*[，,、\s]\s*(?:男|女)"),
    # the age just before the sex: 五十一的女工人, 58的男的
    re.compile(r"(?<![\d一二三四五六七八九十两])(\d{2}|[一二三四五六七八九十]{2,3})\s*的\s*(?:男|女)"),
)
_BIRTH_YEAR = re.compile(
    r"((?:19|20)\d{2}|(?:一九|二〇|二零)?[五六七八九零〇][零〇一二三四五六七八九]|[5-9]\d)\s*年\s*"
    r"(?:(\d{1,2})\s*月)?\s*(?:出生|生|的|人)"
)
# a decade of birth: 七零后, 80后 (born 1970 to 1979, 1980 to 1989)
_DECADE = re.compile(r"(?<![\d一二三四五六七八九零〇])([5-9]0|[五六七八九][零〇])\s*后")
_MALE = re.compile(r"男|老汉|大爷|大叔|老头|爷们|先生|老公|丈夫|儿子|小伙|[我俺他她](爸|爹)|父亲|爷爷|姥爷")
_FEMALE = re.compile(r"女|大妈|阿姨|大姐|老太|媳妇|老婆|宝妈|妇女|姑娘|闺女|大娘|[我俺他她](妈|娘)|母亲|奶奶|姥姥")


@dataclass(frozen=True)
class Person:
    births: tuple[date, ...]  # candidate birth dates consistent with what was said
    sex: str | None  # "男" | "女" | None
    said: str  # how the applicant put it, e.g. "58周岁" or "1968年出生"


def parse(text: str, today: date) -> Person | None:
    male, female = bool(_MALE.search(text)), bool(_FEMALE.search(text))
    sex = "男" if male and not female else "女" if female and not male else None
    m = _BIRTH_YEAR.search(text)
    if m:
        digits = "".join(str(_CN_DIGIT.get(c, c)) for c in m.group(1))  # 七零 -> 70, 一九六八 -> 1968
        year = int(digits) + (0 if len(digits) == 4 else 1900 if int(digits) >= 30 else 2000)  # 零八 -> 2008
        month = int(m.group(2)) if m.group(2) else None
        if 1900 < year <= today.year and (month is None or 1 <= month <= 12):
            months = [month] if month else list(range(1, 13))
            said = f"{year}年{month}月出生" if month else f"{year}年出生"
            return Person(tuple(date(year, mo, 15) for mo in months), sex, said)
    if (m := _DECADE.search(text)) is not None:
        decade = 1900 + int("".join(str(_CN_DIGIT.get(c, c)) for c in m.group(1)))
        births = tuple(date(y, mo, 15) for y in range(decade, decade + 10) for mo in range(1, 13))
        return Person(births, sex, f"{decade}年代出生（{m.group(0)}）")
    for pattern, below, above in ((_OVER, 0, 4), (_NEAR, -2, -1)):
        m = pattern.search(text)
        said = next((g for g in m.groups() if g), None) if m else None
        bound = cn_number(said) if said else None
        if m and bound is not None and 16 <= bound <= 90:
            return Person(_born_aged(bound + below, bound + above, today), sex, m.group(0).strip().rstrip("了啦"))
    rough = _ROUGH.search(text)
    if rough and (low := cn_number(rough.group(1))) is not None and low % 10 == 0 and 10 <= low <= 90:
        span = _ROUGH_SPAN.get(rough.group(2), 9)
        return Person(_born_aged(low, low + span, today), sex, f"{low}{rough.group(2)}")
    for k, pattern in enumerate(_AGE_PATTERNS):
        m = pattern.search(text)
        age = cn_number(m.group(1)) if m else None
        if age is not None and 10 <= age <= 90:
            if k == 0:  # 虚岁: one year more than the full age, or two before the birthday
                return Person(_born_aged(age - 2, age - 1, today), sex, f"虚岁{age}")
            return Person(_born_aged(age, age, today), sex, f"{age}周岁")
    return None


def _born_aged(low: int, high: int, today: date) -> tuple[date, ...]:
    """Birth dates of someone aged `low` to `high` full years today: one candidate per month."""
    latest = add_months(today, -12 * low)  # born at the latest then, aged `low` today
    months = 12 * (high - low + 1)
    return (*(add_months(latest, -k) for k in range(months)), add_months(latest, -months) + timedelta(days=1))


def _fmt_age(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years}周岁{rest}个月" if rest else f"{years}周岁"


def _span(values: list[str]) -> str:
    """First to last of values already in order."""
    return values[0] if values[0] == values[-1] else f"{values[0]}至{values[-1]}"


def _verdict(person: Person, category: RetireCategory, today: date) -> str:
    ages = [retirement_months(b, category) for b in person.births]
    dates = [add_months(b, m) for b, m in zip(person.births, ages, strict=True)]
    ok = [today < d and full_years(b, today) >= MIN_AGE for b, d in zip(person.births, dates, strict=True)]
    age_text = _span([_fmt_age(a) for a in sorted(ages)])
    when = _span([f"{d.year}年{d.month:02d}月" for d in sorted(dates)]).replace("年0", "年")
    head = f"法定退休年龄为{age_text}（约{when}）"
    if all(ok):
        return f"{head}，目前仍在法定劳动年龄内"
    if not any(ok):
        return f"{head}，已达到法定退休年龄，不符合这一条件"
    still = min(b for b, good in zip(person.births, ok, strict=True) if good)
    return f"{head}，是否已到退休年龄取决于出生月份：{still.year}年{still.month}月及以后出生的仍在法定劳动年龄内"


def note_text(person: Person, today: date, whose: str = "") -> str:
    """`whose`: the person asked for when not the applicant, e.g. "（您爹）"."""
    young = [full_years(b, today) < MIN_AGE for b in person.births]
    if all(young):
        return f"{CONDITION}按您说的{whose}{person.said}，尚未年满16周岁，暂不符合这一条件。"
    lines = [CONDITION, f"按您说的{whose}{person.said}："]
    if person.sex in (None, "男"):
        lines.append(f"· 男性：{_verdict(person, RetireCategory.MALE, today)}。")
    if person.sex in (None, "女"):
        lines.append(f"· 女性（原退休年龄55周岁的）：{_verdict(person, RetireCategory.FEMALE_55, today)}；")
        lines.append(
            f"  原退休年龄50周岁的：{_verdict(person, RetireCategory.FEMALE_50, today)}。"
            "灵活就业人员适用哪一类，由经办机构核定。"
        )
    return "\n".join(lines)
