"""Address steps through the engine: every province down to its counties, as 表2 asks 省 市 县（市、区）."""

from __future__ import annotations

import pytest

from tests.scripts import ELIGIBILITY, FORM

TO_HUKOU = ELIGIBILITY + FORM[:6]  # up to the 户籍地址 province question


def test_other_provinces_list_leaves_out_hebei(chat):
    chat.run(TO_HUKOU)
    assert "f_hukou_address|p:130000" in chat.buttons  # Hebei is its own button
    chat.send("choose", "f_hukou_address|p:more")
    assert "河北省" not in chat.labels
    assert "北京市" in chat.labels and "新疆维吾尔自治区" in chat.labels


def test_address_in_another_province_goes_down_to_the_county(chat):
    chat.run(TO_HUKOU)
    chat.send("choose", "f_hukou_address|p:more")
    chat.send("choose", "f_hukou_address|p:370000")
    chat.send("choose", "f_hukou_address|c:370100")
    assert "请选择县（市、区）" in chat.text and "历下区" in chat.labels
    chat.send("choose", "f_hukou_address|x:370102")
    assert "请输入详细地址" in chat.text
    chat.send("text", "泉城路1号")
    assert chat.session.answers["hukou_address"] == {
        "province": "370000",
        "city": "370100",
        "county": "370102",
        "detail": "泉城路1号",
    }


def test_municipality_keeps_all_three_levels(chat):
    chat.run(TO_HUKOU)
    chat.send("choose", "f_hukou_address|p:more")
    chat.send("choose", "f_hukou_address|p:110000")
    # one city-level unit: taken without a question, and the districts are the county level
    assert "请选择县（市、区）" in chat.text and "朝阳区" in chat.labels
    chat.send("choose", "f_hukou_address|x:110105")
    chat.send("text", "建国路1号")
    value = chat.session.answers["hukou_address"]
    assert value == {"province": "110000", "city": "110100", "county": "110105", "detail": "建国路1号"}


def test_directly_administered_county_sits_under_its_heading(chat):
    chat.run(TO_HUKOU)
    chat.send("choose", "f_hukou_address|p:more")
    chat.send("choose", "f_hukou_address|p:420000")
    assert "省直辖县级行政区划" in chat.labels
    chat.send("choose", "f_hukou_address|c:429000")
    assert "仙桃市" in chat.labels and "神农架林区" in chat.labels


HEBEI_DETAIL = TO_HUKOU + [
    ("choose", "f_hukou_address|p:130000"),
    ("choose", "f_hukou_address|c:130100"),
    ("choose", "f_hukou_address|x:130102"),
]


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("🏠", "不能包含“🏠”"),
        ("不知道", "请填写具体的详细地址"),
        ("无", "请填写具体的详细地址"),
        ("好的好的好的", "不像详细地址"),
        ("中山路<script>", "不能包含“<”"),
        ("路" * 81, "最多80个字"),
    ],
)
def test_detail_line_is_checked_like_an_address(chat, typed, says):
    chat.run(HEBEI_DETAIL)
    chat.send("text", typed)
    assert chat.state == "f_hukou_address" and "hukou_address" not in chat.session.answers
    assert says in chat.text, chat.text
    assert "例如：建设北大街12号" in chat.text
    chat.send("text", "建设北大街12号3单元501")  # what was chosen is kept: only the line is asked again
    assert chat.session.answers["hukou_address"]["county"] == "130102"
    assert chat.session.answers["hukou_address"]["detail"] == "建设北大街12号3单元501"


@pytest.mark.parametrize(
    "typed", ["东风村3组15号", "Jianshe Rd. No.12", "中山东路１００１号院５号楼", "和平里（北区）3-2-501"]
)
def test_ordinary_detail_lines_are_taken(chat, typed):
    chat.run(HEBEI_DETAIL)
    chat.send("text", typed)
    assert chat.state == "f_home_address", chat.text


def test_back_inside_an_address_goes_up_one_level(chat):
    chat.run(
        TO_HUKOU
        + [
            ("choose", "f_hukou_address|p:130000"),
            ("choose", "f_hukou_address|c:130100"),
            ("choose", "f_hukou_address|x:130102"),
            ("text", "建设北大街12号"),
        ]
    )
    assert chat.state == "f_home_address"
    chat.run(
        [
            ("choose", "f_home_address|p:more"),
            ("choose", "f_home_address|p:370000"),
            ("choose", "f_home_address|c:370100"),
            ("choose", "f_home_address|x:370102"),
        ]
    )
    assert "请输入详细地址" in chat.text
    chat.send("choose", "f_home_address|back")
    assert chat.state == "f_home_address" and "请选择县（市、区）" in chat.text
    chat.send("choose", "f_home_address|back")
    assert chat.state == "f_home_address" and "请选择市" in chat.text and "济南市" in chat.labels
    chat.send("choose", "f_home_address|back")
    assert "请选择省（自治区、直辖市）" in chat.text
    chat.send("choose", "f_home_address|back")
    assert "其他省份" in chat.labels and chat.state == "f_home_address"
    chat.send("choose", "f_home_address|back")  # the first level: back to the previous question
    assert chat.state == "f_hukou_address"


def test_a_filled_field_revisited_offers_to_keep_it(chat):
    chat.run(
        TO_HUKOU
        + [
            ("choose", "f_hukou_address|p:130000"),
            ("choose", "f_hukou_address|c:130100"),
            ("choose", "f_hukou_address|x:130102"),
            ("text", "建设北大街12号"),
        ]
    )
    chat.send("choose", "f_home_address|back")
    assert chat.state == "f_hukou_address" and "保持不变" in chat.labels
    chat.send("choose", "f_hukou_address|keep")
    assert chat.state == "f_home_address"
    assert chat.session.answers["hukou_address"]["detail"] == "建设北大街12号"
