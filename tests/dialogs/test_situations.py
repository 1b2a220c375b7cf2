"""The notice applied to what an applicant says about themselves, through helpdesk.respond."""

from __future__ import annotations

from datetime import date

import pytest

from dialogs import situations
from dialogs.helpdesk import HANDED_OFF, handed_off, respond
from dialogs.situation_age import cn_number, parse

TODAY = date(2026, 12, 1)


def ask(faq, question: str):
    return respond(faq, question, TODAY)


def test_a_stated_age_and_sex_get_the_working_age_rule_computed(faq):
    a = ask(faq, "我五十八了，男的，还能办吗")
    assert a.confident and "working_age" in [e.id for e in a.entries]
    assert [n.kind for n in a.notes] == ["age"]
    # born 1967-12 .. 1968-12: 60 years 9 months .. 61 years under the 2025 reform
    assert "男性：法定退休年龄为60周岁9个月至61周岁" in a.text and "目前仍在法定劳动年龄内" in a.text
    assert "女性" not in a.text
    assert "二、（一）办理条件" in a.text and "就业登记对象须在法定劳动年龄内" in a.text
    assert situations.DECIDES in a.text and "证件号码的核验" in a.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("我今年62，男，可以吗", "已达到法定退休年龄"),
        ("1965年出生的男的还能登记不", "已达到法定退休年龄"),
        ("我才15岁，能不能办", "尚未年满16周岁"),
        ("我是1980年出生的男的能办吗", "目前仍在法定劳动年龄内"),
        ("六十岁的老汉还能办么", "取决于出生月份"),
    ],
)
def test_age_verdicts(faq, question, expected):
    a = ask(faq, question)
    assert a.confident and expected in a.text, a.text


def test_a_woman_is_told_both_baselines_and_who_decides(faq):
    a = ask(faq, "女的55岁还能办不")
    assert "原退休年龄55周岁的" in a.text and "原退休年龄50周岁的" in a.text
    assert "由经办机构核定" in a.text and "男性" not in a.text


@pytest.mark.parametrize(
    ("question", "category"),
    [
        ("快递小哥能不能办", "新就业形态就业人员"),
        ("开网约车的算不算", "新就业形态就业人员"),
        ("我开个小卖部，没雇人，能办吗", "无雇工的个体工商户"),
        ("我在饭店干钟点工，能登记吗", "未在用人单位参加基本养老保险的非全日制就业人员"),
        ("摆地摊的能办灵活就业登记吗", "在我省的其他灵活就业人员"),
        ("在保定开了个修车铺，就我自己干", "无雇工的个体工商户"),
    ],
)
def test_work_is_matched_to_the_four_situations(faq, question, category):
    a = ask(faq, question)
    assert a.confident and "situations" in [e.id for e in a.entries]
    assert f"通常对应其中的“{category}”" in a.text
    assert "二、（二）办理情形" in a.text and situations.DECIDES in a.text


def test_an_employer_or_an_employee_is_not_one_of_the_situations(faq):
    assert "有雇工的个体工商户不在所列情形之中" in ask(faq, "个体户雇了两个人还能办吗").text
    assert "不在上述四种办理情形之中" in ask(faq, "我在公司上班，公司给交社保，还能办这个吗").text
    assert "非全日制" in ask(faq, "我是做兼职的，单位没给交社保，能办吗").text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("档案放在石家庄人才中心，行吗", "石家庄市的公共就业和人才服务机构"),
        ("档案在北京，人在河北，可以办吗", "北京市（河北省外）"),
        ("档案在学校没拿走咋整", "档案在学校的"),
        ("档案自己拿着在家里放着呢，能办吗", "个人自己保管"),
        ("我不知道自己档案在哪，能办吗", "可以选择“不清楚”"),
    ],
)
def test_the_archive_condition_is_applied_to_where_the_archive_is(faq, question, expected):
    a = ask(faq, question)
    assert a.confident and "archive_condition" in [e.id for e in a.entries]
    assert expected in a.text and "省内各级公共档案管理服务存档人员" in a.text


def test_an_archive_at_the_former_employer_also_gets_the_letter(faq):
    a = ask(faq, "我的档案还在原来单位，能办不")
    ids = [e.id for e in a.entries]
    assert "archive_condition" in ids and "mat_transfer_letter" in ids
    assert "转出档案介绍信或解除终止劳动关系协议" in a.text


def test_a_place_names_the_local_offices(faq):
    a = ask(faq, "我在保定，要去哪里办")
    assert a.confident and "where_offline" in [e.id for e in a.entries]
    assert "您在保定市" in a.text and "政务服务中心" in a.text


def test_a_question_spanning_two_entries_gets_both(faq):
    a = ask(faq, "要钱不？几天能好？")
    assert {e.id for e in a.entries} == {"fee", "deadline"}
    assert "15个工作日" in a.text and "邮寄服务费" in a.text
    b = ask(faq, "户口本要哪页，身份证要正反面吗")
    assert {"mat_hukou_contract", "mat_id_card"} <= {e.id for e in b.entries}


@pytest.mark.parametrize(
    "question",
    [
        "我今年58，每个月交多少社保",
        "外卖平台给不给交社保",
        "交满15年能领多少钱",
        "公积金能一起交吗",
    ],
)
def test_out_of_scope_is_handed_off_even_with_a_situation(faq, question):
    a = ask(faq, question)
    assert not a.confident and a.entries == () and a.reason == "out_of_scope" and a.topic is not None
    assert a.text == handed_off(a.topic) and a.text.endswith(HANDED_OFF[HANDED_OFF.index("已转给") :])


def test_questions_stating_nothing_get_no_notes():
    assert situations.apply("能不能不跑腿在手机上办", TODAY) == []  # 不跑腿: no errand runner here
    assert situations.apply("办理需要多长时间", TODAY) == []
    assert situations.apply("十五个工作日是从哪天开始算", TODAY) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十六", 16),
        ("五十八", 58),
        ("六十", 60),
        ("二十", 20),
        ("七", 7),
        ("58", 58),
        ("两", 2),
        ("十", 10),
        ("百", None),
        ("五十八九", None),
        ("", None),
    ],
)
def test_cn_number(text, value):
    assert cn_number(text) == value


def test_parse_age_birth_year_and_sex():
    p = parse("俺家那口子五十三了，女的", TODAY)
    assert p is not None and p.sex == "女" and p.said == "53周岁" and len(p.births) == 13
    assert all(date(1972, 12, 2) <= b <= date(1973, 12, 1) for b in p.births)
    p = parse("我七零年的女的", TODAY)
    assert p is not None and p.said == "1970年出生" and {b.year for b in p.births} == {1970}
    p = parse("1968年3月出生的男的", TODAY)
    assert p is not None and p.births == (date(1968, 3, 15),) and p.sex == "男"
    assert parse("办理需要15个工作日吗", TODAY) is None


@pytest.mark.parametrize(
    "question",
    ["我四十五了，在小区当保洁，能办吗", "女，30岁，在家接单做设计，能登记吗", "65了，在村里给人看大棚，能办不"],
)
def test_age_and_work_stated_together_are_both_applied(faq, question):
    a = ask(faq, question)
    assert a.confident and [n.kind for n in a.notes] == ["age", "work"]
    assert "在我省的其他灵活就业人员" in a.text and "就业登记对象须在法定劳动年龄内" in a.text
    assert a.text.count(situations.DECIDES) == 1


def test_age_work_archive_and_place_in_one_question_are_each_answered_from_their_section(faq):
    a = ask(faq, "我57岁，女，在保定开网店，档案在县人才中心，能在保定办吗")
    assert [n.kind for n in a.notes] == ["age", "work", "archive", "place"]
    assert {"working_age", "situations", "archive_condition", "where_offline"} <= {e.id for e in a.entries}
    for section in ("二、（一）办理条件", "二、（二）办理情形", "二、（五）办理层级", "办事指南 四"):
        assert section in a.text
    assert "您在保定市" in a.text and "公共就业和人才服务机构" in a.text
    assert a.text.endswith(situations.DECIDES)


def test_the_archive_place_is_where_the_archive_is_not_where_the_person_worked(faq):
    a = ask(faq, "我在北京打过工，档案在县人才中心，能办吗")
    assert a.confident and "符合这一条件" in a.text and "河北省外" not in a.text


def test_no_archive_or_a_lost_one_and_one_the_employer_entrusted(faq):
    lost = ask(faq, "档案弄丢了找不着，还能办吗")
    assert [n.kind for n in lost.notes] == ["archive"] and "没有档案或找不到档案的" in lost.text
    entrusted = ask(faq, "档案是原单位集体委托存在人才中心的，要交什么")
    assert "mat_transfer_letter" in [e.id for e in entrusted.entries]
    assert "档案由原单位集体委托存档的" in entrusted.text and "转出档案介绍信或解除终止劳动关系协议" in entrusted.text


@pytest.mark.parametrize(
    ("question", "home", "here"),
    [
        ("户口河南的，在廊坊打零工，能在廊坊办吗", "河南省", "廊坊市"),
        ("户口在山西，在唐山送外卖，能在唐山办吗", "山西省", "唐山市"),
    ],
)
def test_a_household_registered_elsewhere_asking_to_register_here(faq, question, home, here):
    a = ask(faq, question)
    assert a.confident and a.reason == "answered" and {"work", "place"} <= {n.kind for n in a.notes}
    assert f"您在{here}" in a.text and f"户籍在{home}的" in a.text and "没有户籍所在地的要求" in a.text
    assert "where_offline" in [e.id for e in a.entries]


def test_being_in_a_place_and_asking_whether_it_can_be_done_there(faq):
    a = ask(faq, "人在沧州，县里能办不")
    assert [n.kind for n in a.notes] == ["place"] and "您在沧州市" in a.text and "市级、县级" in a.text
    assert situations.apply("我是唐山的，能办吗", TODAY) == []  # where one is from, not asked about


def test_the_delayed_retirement_reform_asks_the_working_age(faq):
    a = ask(faq, "延迟退休以后，六十一岁还算劳动年龄吗")
    assert a.confident and [n.kind for n in a.notes] == ["age"] and "渐进式延迟法定退休年龄" in a.text


def test_the_working_age_asked_about_directly_applies_the_stated_age(faq):
    a = ask(faq, "我55岁的女同志，原来是工人，还在年龄内吗")
    assert [n.kind for n in a.notes] == ["age"] and "原退休年龄50周岁的" in a.text


def test_each_entry_is_shown_once(faq):
    for question in ("办了这个登记 还要去医保局单独办吗", "多少天办完 要不要去现场"):
        ids = [e.id for e in ask(faq, question).entries]
        assert ids and len(ids) == len(set(ids)), ids


def test_an_age_in_chinese_numerals_after_the_sex_and_a_mother_is_a_woman(faq):
    a = ask(faq, "我这种情况能不能办：男，四十，给人开车，档案在市人才中心")
    assert [n.kind for n in a.notes] == ["age", "work", "archive"] and "按您说的40周岁" in a.text
    b = ask(faq, "我想给我妈办灵活就业 她58了")
    assert "女性" in b.text and "男性" not in b.text


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("五十出头的女的能办吗", "按您说的50出头"),
        ("我虚岁五十六 女 能办吗", "按您说的虚岁56"),
        ("俺今年整六十 男 还中不中", "按您说的60周岁"),
        ("孩子刚满16 能办灵活就业吗", "按您说的16周岁"),
    ],
)
def test_ages_said_roughly_or_in_other_ways(faq, question, said):
    a = ask(faq, question)
    assert [n.kind for n in a.notes] == ["age"] and said in a.text


def test_a_count_of_days_is_not_an_age():
    assert parse("等了二十多天还没好", TODAY) is None and parse("十多个工作日", TODAY) is None


def test_an_archive_one_deposited_oneself_at_a_talent_centre_needs_no_letter(faq):
    a = ask(faq, "我档案是自己存的人才中心 要介绍信吗")
    assert "符合这一条件" in a.text and "个人自己保管" not in a.text
    assert "只在档案在原存档机构为单位集体委托时提供" in a.text


def test_asking_whether_both_conditions_are_met_applies_age_and_archive(faq):
    answer = ask(faq, "我五十三岁女的，档案在邯郸人才中心，这两个条件够不够")
    assert {n.kind for n in answer.notes} == {"age", "archive"}
    assert {"working_age", "archive_condition"} <= {e.id for e in answer.entries}


def test_a_former_job_is_not_a_situation_but_the_current_work_is(faq):
    answer = ask(faq, "男，四十五，原来在公司当司机，现在能办吗")
    assert {n.kind for n in answer.notes} == {"age", "work"}
    work = next(n for n in answer.notes if n.kind == "work")
    assert "现在的就业情况" in work.text and situations.SITUATIONS in work.text


def test_someone_already_retired_is_told_the_working_age_condition(faq):
    answer = ask(faq, "我都退休了，还能办这个吗")
    assert answer.confident and [n.kind for n in answer.notes] == ["age"]
    assert "working_age" in {e.id for e in answer.entries}
    assert "不在法定劳动年龄内" in answer.text
    assert not [n for n in ask(faq, "快退休了还能办吗").notes if "已经退休" in n.text]


def test_a_hebei_household_away_from_home_is_told_the_online_route(faq):
    answer = ask(faq, "人在外地回不去，户口在邯郸，网上能办吗")
    assert [n.kind for n in answer.notes] == ["place"]
    assert "邯郸" in answer.text and "冀时办" in answer.text
    assert "online" in {e.id for e in answer.entries}


@pytest.mark.parametrize(
    "question", ["我是开大车跑运输的，能办吗", "俺在工地干活，能不能办", "我是卖菜的，够条件吗", "我在村里养猪，能办不"]
)
def test_any_work_one_says_one_does_is_matched_to_the_fourth_situation(faq, question):
    answer = ask(faq, question)
    [work] = [n for n in answer.notes if n.kind == "work"]
    assert "在我省的其他灵活就业人员" in work.text and "基本养老保险" in work.text
    assert "situations" in {e.id for e in answer.entries}


@pytest.mark.parametrize(
    "question", ["我开个证明能办吗", "我带身份证去能办吗", "我跑一趟能办完吗", "我送材料过去行不行"]
)
def test_the_notices_own_doings_are_not_work(question):
    assert not [n for n in situations.apply(question, TODAY) if n.kind == "work"]


def test_an_age_said_as_sixty_odd_or_only_fifteen(faq):
    assert [n.kind for n in ask(faq, "我都六十好几了还能办吗").notes] == ["age"]
    assert "尚未年满16周岁" in ask(faq, "我才十五能办吗").text


def test_an_age_just_before_the_sex_is_an_age(faq):
    answer = ask(faq, "五十一的女工人，档案在单位，能办吗")
    assert {n.kind for n in answer.notes} == {"age", "archive"}
