"""Questions in the middle of the conversation: answered from the notice, or handed to staff."""

from __future__ import annotations

from tests.scripts import ELIGIBILITY, FORM


def test_question_mid_form_is_answered_and_returns_to_the_same_step(chat):
    chat.run(ELIGIBILITY + FORM[:3])
    assert chat.state == "f_political"
    chat.send("text", "多久能办好？")
    assert "15个工作日" in chat.text and "答案依据：办事指南" in chat.text
    assert chat.state == "f_political"
    assert chat.replies[-1].text.startswith("【个人基本信息】")
    chat.send("choose", "f_political|13")
    assert chat.state == "f_phone"


def test_out_of_scope_question_becomes_a_ticket(chat):
    chat.run(ELIGIBILITY + FORM[:3])
    chat.send("text", "退休以后每个月能领多少养老金？")
    assert "已转给人工客服" in chat.text
    assert [i.kind for i in chat.intents] == ["ticket"]
    assert chat.intents[0].step == "f_political"
    assert chat.state == "f_political"


def test_ask_button_then_any_text_is_a_question(chat):
    chat.send("command", "start")
    chat.send("choose", "g|ask")
    assert "请直接输入您的问题" in chat.text
    chat.send("text", "户口本要交原件")
    assert "户口簿" in chat.text
    assert chat.session.meta.asking is None


def test_answers_are_not_mistaken_for_questions(chat):
    chat.run(ELIGIBILITY + FORM[:2])
    chat.send("text", "满族")
    assert chat.state == "f_political"


def test_ticket_text_is_redacted(chat):
    chat.run(ELIGIBILITY)
    chat.send("text", "我的身份证130102199003071233怎么登记不上？")
    tickets = [i for i in chat.intents if i.kind == "ticket"]
    assert len(tickets) == 1, chat.intents  # the notice has no answer: it goes to a person
    assert tickets[0].question == "我的身份证130***********1233怎么登记不上？"  # 3+4, as every mask


def test_a_situation_asked_mid_form_is_applied_and_the_step_comes_back(chat):
    chat.run(ELIGIBILITY + FORM[:3])
    assert chat.state == "f_political"
    chat.send("text", "我五十八了，男的，还能办吗")
    assert "男性：法定退休年龄为60周岁9个月至61周岁" in chat.text
    assert "以提交后对证件号码的核验和对申报材料的审核为准" in chat.text
    assert chat.state == "f_political" and chat.replies[-1].text.startswith("【个人基本信息】")
    [event] = [i for i in chat.intents if i.kind == "event"]
    assert event.data["entries"] == ["working_age"] and event.data["situations"] == ["age"]
    chat.send("choose", "f_political|13")
    assert chat.state == "f_phone"


def test_a_two_topic_question_mid_form_gets_both_answers_then_the_step(chat):
    chat.run(ELIGIBILITY + FORM[:3])
    chat.send("text", "要钱不？几天能好？")
    assert "15个工作日" in chat.text and "邮寄服务费" in chat.text
    assert chat.text.count("答案依据：办事指南") == 2
    assert chat.state == "f_political" and chat.replies[-1].text.startswith("【个人基本信息】")


def test_a_handed_off_question_tells_staff_the_likely_entry(chat):
    chat.run(ELIGIBILITY + FORM[:3])
    chat.send("text", "办理结果会短信通知吗？")  # (tests/bot teach the shared index another wording)
    [ticket] = [i for i in chat.intents if i.kind == "ticket"]
    assert ticket.reason == "low_confidence" and ticket.candidate
    assert chat.state == "f_political"


def test_out_of_scope_hand_off_names_the_topic_and_the_ticket_carries_it(chat):
    chat.run(ELIGIBILITY + FORM[:3])
    chat.send("text", "住房公积金能一起办吗？")
    assert "住房公积金方面的问题" in chat.text and "已转给人工客服" in chat.text
    [ticket] = [i for i in chat.intents if i.kind == "ticket"]
    assert (ticket.reason, ticket.topic, ticket.step) == ("out_of_scope", "housing_fund", "f_political")
    assert chat.state == "f_political" and chat.replies[-1].text.startswith("【个人基本信息】")


def test_a_question_half_in_scope_gets_that_answer_and_the_other_half_goes_to_staff(chat):
    chat.run(ELIGIBILITY + FORM[:3])
    chat.send("text", "户口本要原件吗 公积金能一起办不")
    assert "户口簿" in chat.text and "答案依据：办事指南" in chat.text
    assert "住房公积金方面的问题" in chat.text and "已转给人工客服" in chat.text
    assert [i.kind for i in chat.intents] == ["event", "ticket"]
    ticket = chat.intents[1]
    assert (ticket.reason, ticket.topic, ticket.step) == ("out_of_scope", "housing_fund", "f_political")
    assert chat.state == "f_political" and chat.replies[-1].text.startswith("【个人基本信息】")
