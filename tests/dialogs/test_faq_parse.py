"""A question read as its parts (who, stated facts, the asking clause), and what the help desk does
with them: through faq_parse.parse, helpdesk.respond and the conversation engine."""

from __future__ import annotations

from datetime import date

import pytest

from dialogs import faq_parse
from dialogs.helpdesk import respond
from dialogs.retirement import full_years
from tests.scripts import ELIGIBILITY, FORM

TODAY = date(2026, 12, 1)


def ages(question: str) -> tuple[int, int]:
    person = faq_parse.parse(question, TODAY).person
    assert person is not None, question
    years = [full_years(b, TODAY) for b in person.births]
    return min(years), max(years)


@pytest.mark.parametrize(
    ("question", "low", "high"),
    [
        ("我今年58岁", 58, 58),
        ("俺爹六十一了还在工地上打零工", 61, 61),
        ("多大年纪能办？过了60还中不中", 60, 64),
        ("超过六十的还能登记吗", 60, 64),
        ("我60以上了还行不行", 60, 64),
        ("我老公快五十了能办吗", 48, 49),
        ("奔六十的人了，还让办不", 58, 59),
        ("她六十出头", 60, 63),
    ],
)
def test_ages_in_digits_chinese_numerals_and_bounds(question, low, high):
    assert ages(question) == (low, high)


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("我是七零后能办吗", date(1970, 1, 15), date(1979, 12, 15)),
        ("80后宝妈能办不", date(1980, 1, 15), date(1989, 12, 15)),
        ("我一九六八年出生的", date(1968, 1, 15), date(1968, 12, 15)),
        ("零八年出生的能办吗", date(2008, 1, 15), date(2008, 12, 15)),
    ],
)
def test_birth_years_and_decades_in_chinese_numerals(question, first, last):
    person = faq_parse.parse(question, TODAY).person
    assert person is not None and (min(person.births), max(person.births)) == (first, last)


def test_a_number_of_days_or_months_is_no_age():
    assert faq_parse.parse("过了15个工作日还没办好咋办", TODAY).person is None
    assert faq_parse.parse("快十个月了还没批", TODAY).person is None


@pytest.mark.parametrize(
    ("question", "place"),
    [
        ("我的人事档案不在河北，影响办这个吗", ("河北省外", False)),
        ("档案没放在省内，能办吗", ("河北省外", False)),
        ("我档案不在石家庄，在保定人才中心，可以吗", ("保定市", True)),
        ("档案在外省能办不", ("外省", False)),
        ("档案在北京人才市场存着，人在石家庄干活", ("北京市", False)),
    ],
)
def test_where_the_archive_is_with_negations(question, place):
    assert faq_parse.parse(question, TODAY).archive == place


def test_a_negated_city_says_nothing_about_the_province():
    assert faq_parse.parse("档案没在石家庄人才中心", TODAY).archive is None


@pytest.mark.parametrize(
    ("question", "kin", "sex"),
    [
        ("俺爹六十一了，能给他登记个灵活就业不", "爹", "男"),
        ("帮俺娘问问，她今年50，得准备些啥证件", "娘", "女"),
        ("我老公快五十了能办吗", "老公", "男"),
    ],
)
def test_a_relative_is_the_subject_and_gives_the_sex(question, kin, sex):
    parsed = faq_parse.parse(question, TODAY)
    assert (parsed.subject, parsed.kin) == ("relative", kin)
    assert parsed.person is not None and parsed.person.sex == sex


def test_the_applicant_is_the_subject_by_default():
    assert faq_parse.parse("我今年45，能办不", TODAY).subject == "self"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("俺不会使智能手机，能去哪当面办", "where"),
        ("合同上个月到期了还没续签，能拿它当材料不", "materials"),
        ("俺爹六十一了，能给他登记个灵活就业不？", "can"),
        ("周末算不算在办理时间里头", "how_long"),
        ("档案在外省，办下来要多长时间", "how_long"),
        ("办这个收不收费", "cost"),
        ("就业单位那一栏能空着吗", "fill"),
    ],
)
def test_the_asking_clause_and_its_kind(question, kind):
    assert faq_parse.parse(question, TODAY).asks == kind


def test_handing_in_materials_as_a_doing_does_not_ask_which_materials():
    assert faq_parse.parse("一次交材料就能把社保医保都办了？", TODAY).asks != "materials"


def ask(faq, question: str):
    return respond(faq, question, TODAY)


def test_a_relatives_age_asked_with_can_i_gets_the_rule_for_that_person(faq):
    a = ask(faq, "俺爹六十一了还在村里打零工，能给他登记个灵活就业不？")
    assert {"age", "work"} <= {n.kind for n in a.notes} and "working_age" in {e.id for e in a.entries}
    assert "按您说的您父亲61周岁" in a.text and "男性：" in a.text and "女性" not in a.text


def test_an_age_said_as_over_sixty_gets_the_rule(faq):
    a = ask(faq, "过了六十还能不能办")
    assert [n.kind for n in a.notes] == ["age"] and "按您说的过了六十" in a.text


def test_an_archive_said_not_to_be_in_hebei_is_outside(faq):
    a = ask(faq, "档案不在河北省内咋整")
    [note] = [n for n in a.notes if n.kind == "archive"]
    assert "档案不在河北省内的" in note.text and "二、（一）办理条件" in a.text


def test_facts_stated_beside_another_question_get_their_notes(faq):
    a = ask(faq, "我老公过了五十了，跑货拉拉的，要准备哪些东西")
    assert "materials" in {e.id for e in a.entries}
    assert {"age", "work"} <= {n.kind for n in a.notes} and "以提交后对证件号码的核验" in a.text


def test_away_from_home_asking_online_gets_the_online_note(faq):
    a = ask(faq, "人在外地回不来，能在手机上申请吗")
    assert "online" in {e.id for e in a.entries} and "人在外地的，可以选择线上提交" in a.text


def test_whether_weekends_count_towards_the_time_limit_is_answered(faq):
    a = ask(faq, "周末算不算在办理时限里")  # not the desk's opening hours (周末办不办)
    assert a.confident and "deadline" in {e.id for e in a.entries}
    assert ask(faq, "节假日办不办").topic == "service_desk"


@pytest.mark.parametrize("question", ["快递寄过去几天到", "邮寄材料多长时间能收到"])
def test_a_time_asked_of_the_post_is_out_of_scope(faq, question):
    a = ask(faq, question)
    assert not a.confident and a.reason == "out_of_scope" and a.topic == "delivery"


def test_several_matters_at_once_is_not_one_departments_step(faq):
    a = ask(faq, "一次交上材料，社保医保是不是都能一起办了")
    assert a.confident and "medical_step" not in {e.id for e in a.entries}


def test_a_relatives_age_asked_mid_form_is_applied_and_the_step_comes_back(chat):
    chat.run(ELIGIBILITY + FORM[:3])
    assert chat.state == "f_political"
    chat.send("text", "帮俺娘问问，她快六十了，能给她登记不")
    assert "按您说的您母亲快六十" in chat.text and "原退休年龄50周岁的" in chat.text
    assert chat.state == "f_political" and chat.replies[-1].text.startswith("【个人基本信息】")


def test_where_one_is_stated_beside_another_question_gets_the_place_note(faq):
    a = ask(faq, "人在石家庄，要带啥材料")
    assert "materials" in {e.id for e in a.entries}
    [place] = [n for n in a.notes if n.kind == "place"]
    assert "您在石家庄市" in place.text and "二、（五）办理层级" in place.text


def test_where_the_archive_no_longer_is_is_not_taken_for_where_it_is(faq):
    assert not [n for n in ask(faq, "档案早就不在单位了，能办吗").notes if n.kind == "archive"]
    [note] = [n for n in ask(faq, "我的档案不在单位，在县人才中心，能办吗").notes if n.kind == "archive"]
    assert "公共就业和人才服务机构" in note.text and "转出档案介绍信" not in note.text
