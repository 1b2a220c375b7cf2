"""Parsers for typed form answers: dates, phone, bank account, names, free text."""

import re
import unicodedata
from datetime import date, timedelta

from dialogs.errors import InputError

_RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "明天": 1, "明日": 1}
_DATE_SEP = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?", re.ASCII)
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_DATE_EXAMPLE = "请按“年-月-日”输入，例如：2026-03-01 或 2026年3月1日，也可以回复“今天”。"
_MIN_YEAR, _MAX_YEAR = 1900, 2099

_PHONE_NOISE = re.compile(r"[\s\-‐‑–—−()（）\[\]【】]+")
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_PHONE_EXAMPLE = "请输入11位手机号码，例如：13812345678"

_ACCOUNT_NOISE = re.compile(r"[\s\-‐‑–—−]+")
_ACCOUNT_EXAMPLE = "例如：6222 0212 3456 7890 123"

_NAME_EXAMPLE = "例如：张三、阿依古丽·买买提 或 JOHN SMITH"
_DOT_VARIANTS = str.maketrans(dict.fromkeys("•・‧∙⋅●.。", "·"))
_APOSTROPHES = str.maketrans(dict.fromkeys("‘’ʼ`´", "'"))
_CJK_RANGES = (
    (0x3007, 0x3007),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EE5F),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x323AF),
)
# Bidirectional overrides can make text display differently from what is stored.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff]")


def _nfkc(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw)


def parse_date(raw: str, today: date) -> date:
    text = re.sub(r"\s+", "", _nfkc(raw))
    if text in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[text])
    m = _DATE_SEP.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if m is None:
        raise InputError(f"无法识别这个日期。{_DATE_EXAMPLE}")
    y, mo, d = (int(g) for g in m.groups())
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        raise InputError(f"年份“{y}”不在合理范围内，请检查。{_DATE_EXAMPLE}")
    try:
        return date(y, mo, d)
    except ValueError:
        raise InputError(f"{y}年{mo}月{d}日不是有效的日期（请检查月份和天数）。{_DATE_EXAMPLE}") from None


def parse_phone(raw: str) -> str:
    text = _PHONE_NOISE.sub("", _nfkc(raw))
    for prefix in ("+86", "0086", "86"):
        rest = text[len(prefix) :]
        if text.startswith(prefix) and len(rest) == 11 and rest.isascii() and rest.isdigit():
            text = rest
            break
    if _MOBILE.fullmatch(text):
        return text
    if not (text.isascii() and text.isdigit()):
        raise InputError(f"手机号码只能包含数字。{_PHONE_EXAMPLE}")
    if text.startswith("0"):
        raise InputError(f"这里需要手机号码，不能填写座机号码。{_PHONE_EXAMPLE}")
    if len(text) != 11:
        raise InputError(f"手机号码应为11位，您输入的是{len(text)}位。{_PHONE_EXAMPLE}")
    raise InputError(f"手机号码应以1开头、第二位是3到9的数字，请检查。{_PHONE_EXAMPLE}")


def luhn_digit(payload: str) -> str:
    """The Luhn (mod 10) check digit to append to the ASCII digits `payload`."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def luhn_ok(digits: str) -> bool:
    """Whether the last of the ASCII `digits` is the Luhn check digit of the others."""
    if not digits or not (digits.isascii() and digits.isdigit()):
        return False
    return luhn_digit(digits[:-1]) == digits[-1]


def parse_bank_account(raw: str) -> tuple[str, bool]:
    """Return (digits, luhn_ok); a Luhn failure is only a warning since real UnionPay cards fail it."""
    digits = _ACCOUNT_NOISE.sub("", _nfkc(raw))
    if not digits:
        raise InputError(f"请输入银行卡号。{_ACCOUNT_EXAMPLE}")
    if not (digits.isascii() and digits.isdigit()):
        raise InputError(f"银行卡号只能包含数字，请去掉字母和符号后重新输入。{_ACCOUNT_EXAMPLE}")
    if not 12 <= len(digits) <= 19:
        raise InputError(f"银行卡号一般为12到19位数字，您输入的是{len(digits)}位，请核对。{_ACCOUNT_EXAMPLE}")
    return digits, luhn_ok(digits)


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def _is_latin(ch: str) -> bool:
    cp = ord(ch)
    return "A" <= ch <= "Z" or "a" <= ch <= "z" or (0xC0 <= cp <= 0x24F and ch not in "×÷")


def parse_name(raw: str) -> str:
    text = re.sub(r"\s+", " ", _INVISIBLE.sub("", _nfkc(raw))).strip().translate(_APOSTROPHES)
    if any(_is_cjk(ch) for ch in text):
        # Chinese names never contain spaces; dots of any shape become the middle dot.
        text = text.translate(_DOT_VARIANTS).replace(" ", "")
    for ch in text:
        if ch.isdigit():
            raise InputError(f"姓名中不能包含数字，请按证件上的姓名填写。{_NAME_EXAMPLE}")
        if not (_is_cjk(ch) or _is_latin(ch) or ch in "·' -"):
            shown = f"“{ch}”" if ch.isprintable() else "无法显示的字符"
            raise InputError(f"姓名中不能包含{shown}，请只填写汉字或字母。{_NAME_EXAMPLE}")
    letters = sum(1 for ch in text if _is_cjk(ch) or _is_latin(ch))
    if letters < 2 or len(text) < 2:
        raise InputError(f"姓名至少需要2个字，请填写证件上的完整姓名。{_NAME_EXAMPLE}")
    if len(text) > 30:
        raise InputError(f"姓名最多30个字，您输入了{len(text)}个字。{_NAME_EXAMPLE}")
    if text[0] in "·'-" or text[-1] in "·'-" or "··" in text:
        raise InputError(f"间隔号“·”只能出现在姓名中间。{_NAME_EXAMPLE}")
    return text


def parse_free_text(raw: str, max_len: int = 100) -> str:
    text = re.sub(r"\s+", " ", _INVISIBLE.sub("", unicodedata.normalize("NFC", raw))).strip()
    if not text:
        raise InputError("内容不能为空，请输入文字。")
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
            raise InputError("内容中含有无法识别的控制字符，请重新输入（可以直接打字，不要粘贴特殊格式）。")
    if len(text) > max_len:
        raise InputError(f"内容最多{max_len}个字，您输入了{len(text)}个字，请精简后重新输入。")
    return text
