"""The detail line of an address (街道、门牌号): characters, length, and that it reads like one."""

from __future__ import annotations

import re
import unicodedata

from dialogs.errors import InputError
from dialogs.values import parse_free_text

MIN_LEN, MAX_LEN = 3, 80
EXAMPLE = "例如：建设北大街12号3单元501、东风村3组15号"
# Words that end the parts of a Chinese street address; a detail line has one of them or a number.
PLACE_WORDS = re.compile(
    r"[路街道巷弄里号村组屯庄园院楼栋幢座单元室层户区镇乡门坊胡同社区大厦公寓花园广场市场农场林场队寨湾岭]"
)
ALLOWED_PUNCT = set("-—－#＃()（）、，,.。·/／:：")
VAGUE = ("不知道", "不清楚", "不详", "没有", "无", "同上", "暂无", "不记得", "随便")


def _is_letter(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return ch.isalnum() and ("CJK" in name or ch.isascii() or "FULLWIDTH" in name)


def parse_address_detail(raw: str) -> str:
    text = parse_free_text(unicodedata.normalize("NFKC", raw), MAX_LEN)
    for ch in text:
        if not (_is_letter(ch) or ch in ALLOWED_PUNCT or ch == " "):
            shown = f"“{ch}”" if ch.isprintable() else "无法显示的字符"
            raise InputError(f"详细地址中不能包含{shown}，请只填写汉字、字母、数字和常用标点。{EXAMPLE}")
    if text.strip("".join(ALLOWED_PUNCT) + " ") in VAGUE:
        raise InputError(f"请填写具体的详细地址（街道、门牌号等）；不清楚可对照户口簿或租房合同。{EXAMPLE}")
    if len(text) < MIN_LEN:
        raise InputError(f"详细地址至少{MIN_LEN}个字，请写到街道、门牌号。{EXAMPLE}")
    if not (PLACE_WORDS.search(text) or any(ch.isdigit() for ch in text)):
        raise InputError(f"这看起来不像详细地址，请写明街道（路、街、村等）和门牌号。{EXAMPLE}")
    return text
