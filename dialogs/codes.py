"""Code lists of the form's choice fields, as (code, name) tuples (GB/T 3304, 4762, 4658, 2261.4)."""

import unicodedata

Code = tuple[str, str]

ETHNIC_GROUPS: tuple[Code, ...] = (
    ("01", "汉族"),
    ("02", "蒙古族"),
    ("03", "回族"),
    ("04", "藏族"),
    ("05", "维吾尔族"),
    ("06", "苗族"),
    ("07", "彝族"),
    ("08", "壮族"),
    ("09", "布依族"),
    ("10", "朝鲜族"),
    ("11", "满族"),
    ("12", "侗族"),
    ("13", "瑶族"),
    ("14", "白族"),
    ("15", "土家族"),
    ("16", "哈尼族"),
    ("17", "哈萨克族"),
    ("18", "傣族"),
    ("19", "黎族"),
    ("20", "傈僳族"),
    ("21", "佤族"),
    ("22", "畲族"),
    ("23", "高山族"),
    ("24", "拉祜族"),
    ("25", "水族"),
    ("26", "东乡族"),
    ("27", "纳西族"),
    ("28", "景颇族"),
    ("29", "柯尔克孜族"),
    ("30", "土族"),
    ("31", "达斡尔族"),
    ("32", "仫佬族"),
    ("33", "羌族"),
    ("34", "布朗族"),
    ("35", "撒拉族"),
    ("36", "毛南族"),
    ("37", "仡佬族"),
    ("38", "锡伯族"),
    ("39", "阿昌族"),
    ("40", "普米族"),
    ("41", "塔吉克族"),
    ("42", "怒族"),
    ("43", "乌孜别克族"),
    ("44", "俄罗斯族"),
    ("45", "鄂温克族"),
    ("46", "德昂族"),
    ("47", "保安族"),
    ("48", "裕固族"),
    ("49", "京族"),
    ("50", "塔塔尔族"),
    ("51", "独龙族"),
    ("52", "鄂伦春族"),
    ("53", "赫哲族"),
    ("54", "门巴族"),
    ("55", "珞巴族"),
    ("56", "基诺族"),
    ("97", "其他（未识别民族）"),
    ("98", "外国血统中国籍人士"),
)

# Shown first in the picker: Hebei has 满族, 回族 and 蒙古族 autonomous counties.
ETHNIC_COMMON: tuple[str, ...] = ("01", "11", "03", "02", "08", "15", "06", "10")

POLITICAL_STATUS: tuple[Code, ...] = (
    ("01", "中共党员"),
    ("02", "中共预备党员"),
    ("03", "共青团员"),
    ("04", "民革会员"),
    ("05", "民盟盟员"),
    ("06", "民建会员"),
    ("07", "民进会员"),
    ("08", "农工党党员"),
    ("09", "致公党党员"),
    ("10", "九三学社社员"),
    ("11", "台盟盟员"),
    ("12", "无党派民主人士"),
    ("13", "群众"),
)

# The short list most 社保 forms use, stored as the GB/T 4658 "毕业" codes.
EDUCATION: tuple[Code, ...] = (
    ("11", "博士研究生"),
    ("14", "硕士研究生"),
    ("21", "大学本科"),
    ("31", "大学专科"),
    ("41", "中等专科"),
    ("44", "职业高中"),
    ("47", "技工学校"),
    ("61", "普通高中"),
    ("71", "初中"),
    ("81", "小学"),
    ("90", "其他"),
)

# 户口性质, 个人身份, 缴费档次, 转入机构 and 参保地 are operator configuration: dialogs/options.py.


def name_of(codes: tuple[Code, ...], code: str) -> str | None:
    return next((name for c, name in codes if c == code), None)


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "")


def find_ethnic(query: str) -> list[Code]:
    """Exact name, name without 族, then substring matches, in that order; also accepts a code."""
    q = _key(query)
    if not q:
        return []
    if q.isascii() and q.isdigit():
        code = q.zfill(2)
        return [item for item in ETHNIC_GROUPS if item[0] == code]
    stem = q.removesuffix("族") or q
    exact = [item for item in ETHNIC_GROUPS if stem in (item[1], item[1].removesuffix("族"))]
    if exact:
        return exact
    return [item for item in ETHNIC_GROUPS if stem in item[1]]
