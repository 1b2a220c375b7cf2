"""Wording the applicant reads: grammatical, faithful, and asking back when an answer is doubtful."""

from __future__ import annotations

from tests.scripts import ELIGIBILITY, FORM


def upto(step: str) -> list:
    i = next(n for n, (_, v) in enumerate(FORM) if isinstance(v, str) and v.startswith(step + "|"))
    return ELIGIBILITY + FORM[:i]


def test_archive_refusal_reads_your_file_and_does_not_repeat_can(chat):
    chat.run(ELIGIBILITY[:5])
    chat.send("choose", "archive|no")
    assert "您的人事档案不在" in chat.text and "您人事档案" not in chat.text
    assert "您可以：先将档案转入" in chat.text and "您可以：可" not in chat.text


def test_every_refusal_reads_well_after_you_can(chat):
    from dialogs.eligibility import FAIL_TEXT, INSTEAD

    assert all(text.startswith("您") for text in FAIL_TEXT.values())
    assert not any(text.startswith(("可", "如")) for text in INSTEAD.values())


def test_date_too_far_ahead_says_one_year_later(chat):
    chat.run(upto("f_registration_type")[:-1])
    assert chat.state == "f_employed_on"
    chat.send("text", "2028-01-01")
    assert "不能晚于一年后" in chat.text and "一年以后" not in chat.text


def test_faq_working_age_answer_gives_the_ages_the_bot_applies(chat):
    chat.send("command", "start")
    chat.send("text", "年龄有要求吗")
    assert "16周岁" in chat.text and "63周岁" in chat.text and "未列出具体年龄数字，具体请向" not in chat.text


def test_terminating_employment_is_asked_back(chat):
    chat.run(upto("f_registration_type"))
    chat.send("choose", "f_registration_type|terminate")
    assert chat.state == "f_registration_type" and "终止就业" in chat.text and "确认无误" in chat.labels
    chat.send("choose", "f_registration_type|redo")
    assert chat.state == "f_registration_type" and "registration_type" not in chat.session.answers
    chat.send("choose", "f_registration_type|terminate")
    chat.send("choose", "f_registration_type|confirm_doubt")
    assert chat.session.answers["registration_type"] == "terminate" and chat.state == "f_education"


def test_employment_months_ahead_is_asked_back(chat):
    chat.run(upto("f_registration_type")[:-1])
    chat.send("text", "2027-04-01")  # NOW is 2026-11-23
    assert chat.state == "f_employed_on" and "在今天之后129天" in chat.text
    assert "employed_on" not in chat.session.answers
    chat.send("choose", "f_employed_on|confirm_doubt")
    assert chat.session.answers["employed_on"] == "2027-04-01" and chat.state == "f_registration_type"


def test_near_future_employment_needs_no_confirmation(chat):
    chat.run(upto("f_registration_type")[:-1])
    chat.send("text", "2026-12-01")
    assert chat.state == "f_registration_type"


def test_bank_holder_other_than_the_applicant_is_asked_back(chat):
    chat.run(upto("f_bank_holder"))
    chat.send("text", "李四")
    assert chat.state == "f_bank_holder" and "与申请人姓名“张𫖮”不一致" in chat.text
    chat.send("choose", "f_bank_holder|redo")
    chat.send("choose", "f_bank_holder|default")
    assert chat.session.answers["bank_holder"] == "张𫖮" and chat.state == "f_bank_account"
