"""Format and checksum validation of the identity documents the form accepts (GB 11643, MOD 11-2)."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from dialogs.errors import InputError


class IdType(StrEnum):
    RESIDENT = "resident"
    HMT_PERMIT = "hmt_permit"
    FOREIGN_PR = "foreign_pr"


ID_TYPE_LABELS: dict[IdType, str] = {
    IdType.RESIDENT: "居民身份证",
    IdType.HMT_PERMIT: "港澳台居民居住证",
    IdType.FOREIGN_PR: "外国人永久居留身份证",
}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# First two digits of mainland address codes (GB/T 2260); the rest of the code is never
# checked because it records where the number was first issued, which may no longer exist.
_PROVINCES = frozenset(
    f"{n}" for r in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65)) for n in range(r[0], r[1] + 1)
)
_HMT_PREFIXES = ("810000", "820000", "830000")
_PR_2017 = re.compile(r"[A-Z]{3}\d{12}")
_STRIP = re.compile(r"[\s\-_‐‑‒–—―−\u200b-\u200d\u2060\ufeff]+")
_EARLIEST_BIRTH = date(1800, 1, 1)

_EXAMPLES = {
    IdType.RESIDENT: "11010519491231002X",
    IdType.HMT_PERMIT: "810000199001010019",
    IdType.FOREIGN_PR: "934156198501010019（2023版）或 USA110085010123（2017版）",
}


@dataclass(frozen=True)
class IdInfo:
    number: str
    id_type: IdType
    birth: date | None
    sex: str | None  # "男" / "女"
    converted_from_15: bool = False


def normalize_id(raw: str) -> str:
    """NFKC (full-width to ASCII), drop whitespace and dashes, upper-case."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", raw)).upper()


def mod11_2_check_char(first17: str) -> str:
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("mod11_2_check_char needs exactly 17 ASCII digits")
    return _CHECK_CHARS[sum(int(a) * w for a, w in zip(first17, _WEIGHTS, strict=False)) % 11]


def _fail(text: str, id_type: IdType) -> InputError:
    return InputError(f"{text}\n有效的{ID_TYPE_LABELS[id_type]}号码示例：{_EXAMPLES[id_type]}")


def _suggest(other: IdType) -> InputError:
    return InputError(
        f"这个号码看起来是{ID_TYPE_LABELS[other]}号码。"
        f"请返回上一步，把证件类型改选为“{ID_TYPE_LABELS[other]}”，再输入号码。"
    )


def _is_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def _check_chars_18(number: str, id_type: IdType) -> None:
    if _is_digits(number[:17]) and (_is_digits(number[17]) or number[17] == "X"):
        return
    if "X" in number[:17]:
        raise _fail("字母X只能出现在号码的最后一位，请检查是否输错。", id_type)
    raise _fail("号码只能由数字组成，最后一位可以是数字或字母X，请去掉其他字符后重新输入。", id_type)


def _birth(digits8: str, today: date, id_type: IdType) -> date:
    try:
        born = date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        born = None
    if born is None or born < _EARLIEST_BIRTH:
        raise _fail(f"号码中的出生日期“{digits8}”不是有效的日期，请核对号码是否输错。", id_type)
    if born > today:
        raise _fail(f"号码中的出生日期“{born.isoformat()}”晚于今天，请核对号码是否输错。", id_type)
    return born


def _check_digit(number: str, id_type: IdType) -> None:
    if mod11_2_check_char(number[:17]) != number[17]:
        raise _fail(
            "号码的最后一位（校验码）与前17位不匹配，号码中可能有数字输错或顺序颠倒。请对照证件逐位核对后重新输入。",
            id_type,
        )


def _sex(digit: str) -> str:
    return "男" if int(digit) % 2 else "女"


def _resident(number: str, today: date) -> IdInfo:
    t = IdType.RESIDENT
    if len(number) == 15 and _PR_2017.fullmatch(number):
        raise _suggest(IdType.FOREIGN_PR)
    if len(number) == 15:
        if not _is_digits(number):
            raise _fail("15位的老身份证号码只能由数字组成，请检查后重新输入。", t)
        if number[:2] not in _PROVINCES:
            raise _fail(f"号码开头“{number[:2]}”不是有效的省份代码，请核对号码是否输错。", t)
        born = _birth("19" + number[6:12], today, t)
        first17 = number[:6] + "19" + number[6:]
        return IdInfo(first17 + mod11_2_check_char(first17), t, born, _sex(number[14]), True)
    if len(number) != 18:
        raise _fail(f"居民身份证号码应为18位，您输入的是{len(number)}位，请检查是否漏输或多输。", t)
    _check_chars_18(number, t)
    if number.startswith(("81", "82", "83")):
        raise _suggest(IdType.HMT_PERMIT)
    if number.startswith("9"):
        raise _suggest(IdType.FOREIGN_PR)
    if number[:2] not in _PROVINCES:
        raise _fail(f"号码开头“{number[:2]}”不是有效的省份代码，请核对号码是否输错。", t)
    born = _birth(number[6:14], today, t)
    _check_digit(number, t)
    return IdInfo(number, t, born, _sex(number[16]))


def _hmt_permit(number: str, today: date) -> IdInfo:
    t = IdType.HMT_PERMIT
    if len(number) != 18:
        raise _fail(f"港澳台居民居住证号码应为18位，您输入的是{len(number)}位，请检查是否漏输或多输。", t)
    _check_chars_18(number, t)
    if not number.startswith(_HMT_PREFIXES):
        if number[:2] in _PROVINCES:
            raise _suggest(IdType.RESIDENT)
        if number.startswith("9"):
            raise _suggest(IdType.FOREIGN_PR)
        raise _fail("港澳台居民居住证号码应以810000（香港）、820000（澳门）或830000（台湾）开头。", t)
    born = _birth(number[6:14], today, t)
    _check_digit(number, t)
    return IdInfo(number, t, born, _sex(number[16]))


def _foreign_pr(number: str, today: date) -> IdInfo:
    t = IdType.FOREIGN_PR
    if len(number) == 15 and _PR_2017.fullmatch(number):
        # 2017 edition: the birth date is two-digit-year only and there is no public checksum.
        return IdInfo(number, t, None, None)
    if len(number) != 18:
        raise _fail(
            "外国人永久居留身份证号码为18位（2023年12月起签发的新版，以9开头）"
            f"或15位（旧版，3个字母加12位数字），您输入的是{len(number)}位。",
            t,
        )
    _check_chars_18(number, t)
    if not number.startswith("9"):
        if number.startswith(("81", "82", "83")):
            raise _suggest(IdType.HMT_PERMIT)
        if number[:2] in _PROVINCES:
            raise _suggest(IdType.RESIDENT)
        raise _fail("新版外国人永久居留身份证号码应以数字9开头，请核对号码。", t)
    born = _birth(number[6:14], today, t)
    _check_digit(number, t)
    # The sex position of the 2023 layout is not confirmed, so it is left unknown.
    return IdInfo(number, t, born, None)


_CHECKERS = {IdType.RESIDENT: _resident, IdType.HMT_PERMIT: _hmt_permit, IdType.FOREIGN_PR: _foreign_pr}


def check_id(id_type: IdType, raw: str, today: date) -> IdInfo:
    """Validate `raw` as a number of `id_type`; raises InputError with a message for the user."""
    number = normalize_id(raw)
    if not number:
        raise _fail("请输入证件号码。", IdType(id_type))
    return _CHECKERS[IdType(id_type)](number, today)
