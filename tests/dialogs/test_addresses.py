"""Address steps through the engine: every province down to its counties, as 表2 asks 省 市 县（市、区）."""

from __future__ import annotations

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
        "province": "370000", "city": "370100", "county": "370102", "detail": "泉城路1号"}


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
