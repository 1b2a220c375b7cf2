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


# ---- sixth round (i18f): the asking clause decides, statements and set-aside clauses do not ----


def test_a_clause_set_aside_is_not_asked():
    assert faq_parse.set_aside("公积金的事先不问，就想知道要带啥材料") == "就想知道要带啥材料"
    assert faq_parse.set_aside("别的不管，多久能办好") == "多久能办好"
    assert faq_parse.set_aside("先不问了") == "先不问了"  # nothing else left: the question as it is


def test_a_clause_set_aside_does_not_make_the_question_out_of_scope(faq):
    a = ask(faq, "公积金的事先不问，就想知道要带啥材料")
    assert a.confident and a.topic is None and "materials" in {e.id for e in a.entries}


def test_an_out_of_scope_class_must_be_said_within_one_clause(faq):
    # 交社保 stated as the wish, 提交 (准备) asked in the next clause: no "paying" said anywhere
    a = ask(faq, "我以前在厂里干，现在想自己交社保，去办的话得准备些啥")
    assert a.confident and "materials" in {e.id for e in a.entries}
    assert ask(faq, "缴费档次有几档 最低多少钱").topic == "contribution_amount"  # one clause, space-typed


def test_a_certificate_asked_whether_to_bring_is_a_materials_question(faq):
    assert faq_parse.parse("离婚证啥的要不要带着", TODAY).asks == "materials"
    assert ask(faq, "离婚证啥的要不要带着").reason != "out_of_scope"
    assert ask(faq, "离婚要带什么证件").topic == "other_documents"  # the matter itself, not a document
    assert ask(faq, "结婚证丢了要不要补办").topic == "other_documents"


def test_an_a_not_a_clause_asks_whether():
    assert faq_parse.parse("我妈五十六了，她这年龄超没超", TODAY).asks == "can"


def test_an_answer_resting_on_a_situation_applies_every_stated_one(faq):
    a = ask(faq, "我是山东人在保定跑外卖，算你们省的灵活就业吗")
    assert {"work", "place"} <= {n.kind for n in a.notes}
    a = ask(faq, "我是邢台人，之前在北京上班，档案现在在北京的人才中心，能办吗")
    assert {"archive", "place"} <= {n.kind for n in a.notes}


def test_the_asking_clauses_family_entry_answers_beside_the_situation(faq):
    assert faq_parse.parse("压根没签合同，拿户口本行不", TODAY).asks == "materials"
    a = ask(faq, "我做保洁的，东家西家的钟点活，压根没签过合同，拿户口本行不")
    assert "mat_hukou_contract" in {e.id for e in a.entries} and "work" in {n.kind for n in a.notes}


@pytest.mark.parametrize("question", ["五一县政务服务中心开不开门", "国庆节期间市人社服务大厅开门不"])
def test_whether_the_office_opens_on_a_holiday_is_out_of_scope(faq, question):
    a = ask(faq, question)
    assert not a.confident and a.topic == "service_desk"


def test_how_to_trace_ones_archive_is_out_of_scope(faq):
    assert ask(faq, "怎么查我的档案在哪个地方").reason == "out_of_scope"
    assert ask(faq, "档案在县人才中心，能办吗").confident  # where it is, said: the condition applies


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("表里档案那一栏写啥", "archive_fields"),
        ("表格上医保那一栏怎么填", "medical_fields"),
        ("申请表上都有哪些栏目", "form_sections"),
    ],
)
def test_a_part_of_the_form_named_goes_to_that_parts_entry(faq, question, entry):
    assert faq_parse.form_part(question) is not None
    a = ask(faq, question)
    assert a.confident and a.entries[0].id == entry


def test_whether_one_has_to_pay_is_the_service_fee(faq):
    a = ask(faq, "几天能办完？用不用交钱？")
    assert {"deadline", "fee"} <= {e.id for e in a.entries} and "pension_fields" not in {e.id for e in a.entries}


def test_the_one_asking_clause_after_a_statement_is_judged_as_a_whole_question(faq):
    a = ask(faq, "俺腰不好使，这个得来回跑几趟？")
    assert a.confident and a.entries[0].id == "one_visit"


# ---- seventh round (i18g) ----


@pytest.mark.parametrize(
    ("question", "age", "sex"),
    [("我今年刚好58，还能登记不", 58, None), ("俺五十七，女，能办不", 57, "女"), ("我六十一、男", 61, "男")],
)
def test_an_age_said_with_a_filler_or_before_the_sex_is_stated(question, age, sex):
    assert ages(question) == (age, age)
    assert faq_parse.parse(question, TODAY).person.sex == sex


def test_an_archive_note_applies_the_place_stated_for_the_archive(faq):
    a = ask(faq, "我档案在天津的人才中心，还能办吗")
    [note] = [n for n in a.notes if n.kind == "archive"]
    assert note.kinds == ("archive", "place") and "天津市" in note.text and "不符合这一条件" in note.text
    [unplaced] = [n for n in ask(faq, "档案在原单位，能办吗").notes if n.kind == "archive"]
    assert unplaced.kinds == ("archive",)  # no place stated for it


def test_finding_out_where_ones_archive_is_now_is_out_of_scope(faq):
    # the asking clause asks how to find out; the question asks where the archive is
    assert ask(faq, "档案不清楚放哪了，怎么查得到").topic == "other_documents"
    assert ask(faq, "俺的档案现在搁哪儿了，上哪打听").topic == "other_documents"
    assert ask(faq, "不清楚档案放哪了，能办吗").confident  # the condition asked: the notice's
    assert ask(faq, "档案放在哪个机构才符合条件").confident


def test_a_declaration_to_the_tax_office_is_not_filing_tax(faq):
    a = ask(faq, "个税先不问，医保费申报税务那边审核啥")
    assert a.reason != "out_of_scope"
    assert ask(faq, "个体户怎么报税").topic == "income_tax"


def test_a_request_to_be_told_is_the_asking_clause(faq):
    assert faq_parse.asking_clause("要准备的材料给我说一下呗，省得白跑") == "要准备的材料给我说一下呗"
    assert faq_parse.parse("要准备的材料给我说一下呗，省得白跑", TODAY).asks == "materials"
    a = ask(faq, "要准备的材料给我说一下呗，省得白跑")
    assert a.confident and a.entries[0].id in ("materials", "exempt_materials")


def test_the_thing_asked_for_by_name_settles_a_question_near_the_bar(faq):
    # 几个事项, asked after words the bank has few of: the phrase alone is clearly the matters entry
    a = ask(faq, "打包在一起的这个一共有几个事项")
    assert a.confident and a.entries[0].id == "matters"


def test_the_letter_asked_beside_an_archive_at_a_public_centre_brings_its_entry(faq):
    a = ask(faq, "档案一直是我自己存在县人才中心的，还用单位开介绍信不")
    assert "mat_transfer_letter" in {e.id for e in a.entries} and "archive" in {n.kind for n in a.notes}


# ---- eighth round (i18h): structure, in wordings of no split ----


def test_a_wh_question_the_notice_hardly_finds_is_not_answered_by_a_situation_note(faq):
    # a job stated, then something else asked (how to renew a car insurance): no work note answers it
    a = ask(faq, "我是跑滴滴的，车险每年咋续")
    assert not a.confident and a.notes == ()
    assert ask(faq, "我是开出租的，能办不").confident  # whether one can: the situation answers


def test_where_ones_archive_has_gone_said_as_not_known_is_out_of_scope(faq):
    assert ask(faq, "档案以前在厂里，后来不知道转哪去了").topic == "other_documents"
    assert ask(faq, "不清楚档案放哪了，能办吗").confident  # the condition asked: the notice's
    assert ask(faq, "档案不知道放哪了，要带啥材料").confident


def test_an_a_not_a_question_reads_as_its_plain_form_for_the_scope(faq):
    assert faq_parse.plain_questions("周六人社大厅上不上班") == "周六人社大厅上班吗"
    for question in ("周六人社大厅上不上班", "春节期间窗口上不上班"):
        a = ask(faq, question)
        assert not a.confident and a.topic == "service_desk", question


def test_dialect_words_are_read_in_the_notices_register(faq):
    assert faq_parse.standard("俺木有社保卡，这事咋整") == "俺没有社保卡，这事怎么办"
    a = ask(faq, "俺木有社保卡，表里头有这一项不")  # the form's field, not the card's own matter
    assert a.confident and a.entries[0].id == "pension_fields"


def test_a_set_aside_clause_pointing_back_sets_aside_the_clause_before_it(faq):
    assert faq_parse.set_aside("医保报销的事，这个先不问，办这个要多久") == "办这个要多久"
    a = ask(faq, "医保报销的事，这个先不问，办这个要多久")
    assert a.confident and a.entries[0].id == "deadline" and a.topic is None


def test_a_lost_document_then_asked_what_serves_instead_is_the_notices(faq):
    a = ask(faq, "介绍信找不着了，拿解除劳动关系协议行吗")
    assert a.confident and "mat_transfer_letter" in {e.id for e in a.entries}
    assert ask(faq, "介绍信丢了，能补开吗").topic == "lost_documents"  # replacing it is not


def test_where_to_fill_in_the_institution_number_is_the_forms_field(faq):
    a = ask(faq, "转入机构编号写在哪")
    assert a.confident and a.entries[0].id == "archive_fields"
    assert ask(faq, "转入机构编号上哪查").topic == "institution_code"  # looking it up is not


def test_a_sound_two_bank_words_share_is_read_as_the_one_the_notice_answers(faq):
    # 时现 sounds like both 时限 and 市县: only the reading 时限 is answered, and it confirms the
    # entry the question as typed ranked first
    assert set(faq._sound.readings_of("审核时现多长")) == {"审核时限多长", "审核市县多长"}
    a = ask(faq, "审核时现多长")
    assert a.confident and a.entries[0].id == "deadline"
    assert not ask(faq, "你是机器人吗").confident  # a reading alone never makes an answer


def test_what_one_department_does_goes_to_its_step(faq):
    a = ask(faq, "医保局在里面干啥")
    assert a.confident and a.entries[0].id == "medical_step"
    assert ask(faq, "人社局是牵头部门吗").entries[0].id == "lead_dept"  # which one leads: not a step


def test_a_dialect_question_asked_mid_form_is_answered_and_the_step_comes_back(chat):
    chat.run(ELIGIBILITY + FORM[:3])
    assert chat.state == "f_political"
    chat.send("text", "审核时现多长？")
    assert "15个工作日" in chat.text and "答案依据：办事指南" in chat.text
    assert chat.state == "f_political" and chat.replies[-1].text.startswith("【个人基本信息】")


def test_a_fee_of_something_else_is_out_of_scope_and_the_services_own_fee_is_not(faq):
    a = ask(faq, "我是卖菜的，摊位费去哪交")
    assert not a.confident and a.topic == "other_fees" and "其他费用" in a.text
    assert ask(faq, "办这个要手续费吗").entries[0].id == "fee"
    assert ask(faq, "电费单能当材料吗").reason != "out_of_scope"  # a bill as a material: the list's


def test_a_holiday_as_the_date_to_finish_by_is_not_the_desks_hours(faq):
    assert ask(faq, "国庆节人社大厅开不开").topic == "service_desk"
    assert ask(faq, "过年前能办完吗").reason != "out_of_scope"


def test_a_typo_of_a_character_the_bank_never_uses_is_read_as_the_word_at_once(faq):
    # 挡案 / 档鞍: 挡 and 鞍 are in no notice word; the archive stated is applied, not another
    # province's rules (天津) or a hand-off
    for question in ("俺的挡案在天津，能办不", "我的档鞍还在单位，能办不"):
        a = ask(faq, question)
        assert a.confident and "archive" in {n.kind for n in a.notes}, question
    # a character the bank uses is likelier meant than mistyped: 出租 is not read as 开除
    a = ask(faq, "俺是开出租的，男，五十九了")
    assert a.confident and a.topic is None and "age" in {n.kind for n in a.notes}


def test_a_typo_of_an_out_of_scope_word_is_still_out_of_scope(faq):
    assert ask(faq, "退绣以后每月领多少").topic == "pension_benefits"
    assert ask(faq, "医爆卡丢了咋补").topic == "medical_use"
    # a scope word that sounds like a bank word is a word of its own: 工伤 is not the bank's 工商
    assert ask(faq, "工伤保险怎么参保").topic == "other_benefits"
