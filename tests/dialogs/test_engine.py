"""Walk-throughs of the conversation through the engine: eligibility, form, review, submit."""

from __future__ import annotations

import pytest

from dialogs.form import FORM_STEPS
from dialogs.notice import NOTICE_VERSION
from tests import scripts
from tests.scripts import ADULT_MAN, ELIGIBILITY, FORM, FULL, MATERIALS, RETIRED_MAN, TOO_YOUNG


def test_start_shows_service_and_menu(chat):
    chat.send("command", "start")
    assert "灵活就业“一件事一次办”" in chat.text and "6个事项" in chat.text
    assert chat.buttons == ["g|notice", "g|apply", "g|ask"]


def test_notice_pages_are_browsable_and_faithful(chat):
    chat.send("command", "guide")
    assert "g|n:conditions" in chat.buttons
    chat.send("choose", "g|n:conditions")
    assert "就业登记对象须在法定劳动年龄内" in chat.text
    assert "省内各级公共档案管理服务存档人员" in chat.text
    chat.send("choose", "g|n:materials")
    assert "转出档案介绍信（样表）" in chat.text and "上传身份证正反面" in chat.text
    chat.send("choose", "g|n:fees")
    assert "邮寄服务费按寄递服务标准另行收取" in chat.text
    assert chat.state == "idle"


def test_acknowledgement_records_version_and_time(chat):
    chat.run(ELIGIBILITY[:2])
    assert chat.session.meta.notice_version == NOTICE_VERSION
    assert chat.session.meta.notice_ack_at.startswith("2026-11-23")
    assert any(i.kind == "event" and i.name == "notice_acknowledged" for i in chat.intents)


def test_eligible_applicant_reaches_the_form(chat):
    chat.run(ELIGIBILITY)
    assert chat.state == "eligible"
    assert "资格核验通过" in chat.text
    assert chat.session.answers["sex"] == "男"
    assert chat.session.answers["birth"] == "1990-03-07"


def test_too_young_is_refused_quoting_the_notice(chat):
    chat.run(ELIGIBILITY[:4])
    chat.send("text", TOO_YOUNG)
    assert chat.state == "ineligible"
    assert "未满16周岁" in chat.text and "就业登记对象须在法定劳动年龄内" in chat.text


def test_past_retirement_age_is_refused(chat):
    chat.run(ELIGIBILITY[:4])
    chat.send("text", RETIRED_MAN)
    assert chat.state == "ineligible"
    assert "已达到法定退休年龄" in chat.text and "您的法定退休时间为2020年1月" in chat.text
    # born 1960: retired before the 2025 reform, which does not cover him
    assert "渐进式" not in chat.text and "2020-01" not in chat.text


def test_retirement_under_the_reform_says_so_in_year_and_month(chat):
    chat.run(ELIGIBILITY[:4])
    chat.send("text", scripts.id_number("13010219660110123"))  # male, 1966-01: 60 years 4 months
    assert chat.state == "ineligible"
    assert "按渐进式延迟法定退休年龄规定，您的法定退休时间为2026年5月" in chat.text


def test_borderline_woman_is_not_refused_but_flagged(chat):
    # Born 1976-01: the 50-baseline retires her in 2026 (before NOW), the 55-baseline in 2032.
    chat.run(ELIGIBILITY[:4])
    chat.send("text", scripts.id_number("13010219760115122"))
    assert chat.state == "archive", chat.text
    assert chat.session.meta.age_borderline is True
    chat.run(ELIGIBILITY[5:])
    assert "提交后由经办部门核实确认" in chat.text


def test_archive_outside_hebei_is_refused(chat):
    chat.run(ELIGIBILITY[:5])
    chat.send("choose", "archive|no")
    assert chat.state == "ineligible"
    assert "省内各级公共档案管理服务存档人员" in chat.text
    assert "g|ask" in chat.buttons


def test_none_of_the_situations_is_refused_and_back_returns(chat):
    chat.run(ELIGIBILITY[:6])
    chat.send("choose", "situation|none")
    assert chat.state == "ineligible" and "不属于办理情形" in chat.text
    chat.send("choose", "ineligible|back")
    assert chat.state == "situation"
    chat.send("choose", "situation|part_time")
    assert chat.state == "eligible"


def test_back_from_each_eligibility_step(chat):
    chat.run(ELIGIBILITY)
    for expected in ("situation", "archive", "id_number", "id_type", "consent", "notice_ack", "idle"):
        chat.send("choose", f"{chat.state}|back")
        assert chat.state == expected
    assert chat.session.answers["id_number"] == ADULT_MAN  # nothing entered is lost


def test_bad_id_gets_a_specific_message_and_the_same_question(chat):
    chat.run(ELIGIBILITY[:4])
    chat.send("text", ADULT_MAN[:-1] + ("0" if ADULT_MAN[-1] != "0" else "1"))
    assert chat.state == "id_number"
    assert "校验" in chat.text and "请输入您的居民身份证号码" in chat.text
    chat.send("text", "12345")
    assert chat.state == "id_number" and "18位" in chat.text


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(full_width("11010519491231002") + " x", id="full-width digits, ASCII x"),
        pytest.param(full_width("11010519491231002X"), id="full-width digits and X"),
        pytest.param(full_width("110105") + "-1949 1231-" + full_width("002ｘ"), id="mixed, dashes, full-width x"),
    ],
)
def test_full_width_and_lower_case_id_is_normalised(chat, typed):
    chat.run(ELIGIBILITY[:4])
    wide = scripts.id_number("11010519491231002")
    assert wide.endswith("X")
    chat.send("text", typed)
    assert chat.session.answers["id_number"] == wide  # stored as ASCII, upper-case
    assert chat.state != "id_number" and "⚠️" not in chat.text


def test_fifteen_digit_id_is_converted_and_confirmed(chat):
    chat.run(ELIGIBILITY[:4])
    chat.send("text", "130102900307123")
    assert chat.state == "id_confirm"
    assert scripts.id_number("13010219900307123") in chat.text
    chat.send("choose", "id_confirm|yes")
    assert chat.state == "archive"
    assert chat.session.answers["id_number"] == scripts.id_number("13010219900307123")


def test_sticker_at_a_text_step_is_explained_and_reasked(chat):
    chat.run(ELIGIBILITY[:4])
    chat.send("other", "sticker")
    assert chat.state == "id_number"
    assert "贴纸" in chat.text and "请输入您的居民身份证号码" in chat.text


def test_stale_button_reshows_current_step(chat):
    chat.run(ELIGIBILITY)
    chat.send("choose", "id_type|resident")
    assert chat.state == "eligible"
    assert "按钮已失效" in chat.text and "eligible|go" in chat.buttons


def test_full_application_reaches_submitted_with_submit_intent(chat):
    chat.run(FULL)
    assert chat.state == "submitted"
    assert [i.kind for i in chat.intents] == ["submit"]
    assert chat.session.meta.commitment.account == "telegram:1"


def test_every_form_step_is_asked_once(chat):
    chat.run(ELIGIBILITY + FORM[:1])
    seen = []
    for kind, value in FORM[1:]:
        if chat.state not in seen:
            seen.append(chat.state)
        chat.send(kind, value)
    assert seen == [s for s in FORM_STEPS if s != "f_si_agent_name"]


def test_skip_is_refused_for_required_fields(chat):
    chat.run(ELIGIBILITY + FORM[:2])
    chat.send("choose", "f_ethnic|skip")
    assert chat.state == "f_ethnic" and "必填项" in chat.text


def test_conditional_field_appears_and_is_cleared_after_edit(chat):
    script = [x if x != ("choose", "f_si_agent|0") else ("choose", "f_si_agent|1") for x in FORM]
    chat.run(ELIGIBILITY + script)
    assert chat.state == "f_si_agent_name"
    chat.send("text", "某某人力资源服务公司")
    chat.run(MATERIALS)
    assert chat.state == "review" and "社保代理名称" in chat.text
    chat.send("choose", "review|e:si_agent")
    chat.send("choose", "f_si_agent|0")
    assert chat.state == "review"
    assert "si_agent_name" not in chat.session.answers and "社保代理名称" not in chat.text


def test_edit_that_creates_a_new_question_asks_it_first(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS)
    chat.send("choose", "review|e:si_agent")
    chat.send("choose", "f_si_agent|1")
    assert chat.state == "f_si_agent_name"
    chat.send("text", "某某代理")
    assert chat.state == "review"


def test_edit_id_reruns_eligibility(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS)
    chat.send("choose", "review|e:id_number")
    assert chat.state == "id_number"
    chat.send("text", RETIRED_MAN)
    assert chat.state == "ineligible"


def test_review_masks_numbers(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS)
    assert ADULT_MAN not in chat.text and "13812345678" not in chat.text
    assert "138****5678" in chat.text and "6222" in chat.text


def test_addresses_are_shown_by_name_while_picked_and_on_review(chat):
    chat.run(ELIGIBILITY + FORM[:8])  # province and city of the household address picked
    assert chat.text.endswith("户籍地址：河北省石家庄市 请选择县（市、区）：")
    chat.run(FORM[8:9])
    assert "户籍地址：河北省石家庄市长安区\n请输入详细地址" in chat.text
    chat.run(FORM[9:] + MATERIALS)
    assert chat.state == "review"
    assert "户籍地址*：河北省石家庄市长安区建设北大街12号" in chat.text
    assert "就业地点*：河北省石家庄市桥西区\n" in chat.text  # a region has no detail line


def test_an_address_outside_hebei_is_shown_by_name_and_each_name_once():
    from dialogs.fields import BY_KEY, display_value

    home = BY_KEY["home_address"]
    assert (
        display_value(home, {"province": "110000", "city": "110105", "detail": "建国路1号"}) == "北京市朝阳区建国路1号"
    )
    assert display_value(home, {"province": "110000", "city": "110000"}) == "北京市"


def test_bad_date_and_phone_get_messages_and_keep_answers(chat):
    chat.run(ELIGIBILITY + FORM[:4])
    chat.send("text", "12345")
    assert chat.state == "f_phone" and "手机号码" in chat.text
    chat.run(FORM[4:14])
    chat.send("text", "2026-02-30")
    assert chat.state == "f_employed_on"
    chat.send("text", "2001-01-01")  # before the 16th birthday
    assert chat.state == "f_employed_on" and "16周岁" in chat.text
    assert chat.session.answers["name"] == "张𫖮"


def test_luhn_failure_is_a_warning_not_a_refusal(chat):
    idx = FORM.index(("text", "6222 0212 3456 7890 128"))
    chat.run(ELIGIBILITY + FORM[:idx])
    chat.send("text", "6222021234567890123")
    assert chat.state == "f_bank_account" and "确认无误" in chat.text
    chat.send("choose", "f_bank_account|confirm")
    assert chat.state == "f_personal_status"
    assert chat.session.answers["bank_account"] == "6222021234567890123"


def test_cancel_asks_for_confirmation_then_discards(chat):
    chat.run(ELIGIBILITY)
    chat.send("command", "cancel")
    assert chat.state == "eligible" and "g|cancel_yes" in chat.buttons
    chat.send("choose", "g|cancel_no")
    assert chat.state == "eligible"
    chat.send("command", "cancel")
    chat.send("choose", "g|cancel_yes")
    assert chat.state == "idle" and chat.session.answers == {}


def test_status_shows_draft_progress(chat):
    chat.run(ELIGIBILITY + FORM[:6])
    chat.send("command", "status")
    assert "尚未提交" in chat.text and "申报表单共25项，已完成5项" in chat.text


def test_materials_checklist_and_rejection_keep_accepted_files(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS[:2])
    assert "✅ 户口簿本人页" in chat.text
    chat.send("upload", [b"%PDF-1.4 truncated"])
    assert "文件未被接收" in chat.text
    assert len(chat.session.materials["household"]) == 1
    chat.send("choose", "m_doc|clear")
    assert chat.session.materials["household"] == []


def test_sticker_or_text_in_an_upload_step_is_explained_and_the_slot_stays_open(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS[:2])
    chat.send("other", "sticker")
    assert chat.state == "m_doc" and "贴纸" in chat.text and "请上传：户口簿本人页" in chat.text
    chat.send("text", "好的")
    assert chat.state == "m_doc" and "请直接发送照片或文件" in chat.text
    assert len(chat.session.materials["household"]) == 1


def test_process_page_quotes_the_seeds_platforms_and_section_four(chat):
    from pathlib import Path

    seed = (
        "".join(p.read_text("utf-8") for p in Path("/work/shared/seed").glob("*.txt"))
        if Path("/work/shared/seed").is_dir()
        else None
    )
    chat.send("command", "guide")
    chat.send("choose", "g|n:process")
    page = chat.text
    for quoted in (
        "人社一体化公共服务平台",
        "河北省医疗保障信息平台",
        "河北税务社保外网统一接入平台",
        "人社部门发挥牵头作用，汇总收取灵活就业“一件事一次办”一套申报材料",
        "河北省一体化政务服务平台为灵活就业“一件事一次办”提供技术平台支撑。",
    ):
        assert quoted in page, quoted
    if seed is not None:  # every sentence of the page is the seed's own
        import re

        for sentence in re.split(r"[。\n；]", page.split("\n", 1)[1]):
            sentence = sentence.strip()
            if len(sentence) > 6:
                assert sentence in seed, sentence


def test_the_same_photo_is_refused_for_a_second_slot_saying_where(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS[:5])  # 户口簿 and 人像面 uploaded
    assert chat.state == "m_id_back"
    chat.send("upload", [scripts.jpeg("white")])  # the 人像面 photo again
    assert chat.state == "m_id_back" and not chat.session.materials.get("id_back")
    assert "已作为“居民身份证（人像面）”上传" in chat.text
    chat.send("upload", [scripts.jpeg("black")])
    assert chat.session.materials.get("id_back")


def test_status_counts_the_form_like_its_questions_do(chat):
    import re

    chat.run(ELIGIBILITY + FORM[:5])  # name, ethnic, political (skipped), phone
    question = re.search(r"第(\d+)/(\d+)项", chat.text)
    chat.send("command", "status")
    counted = re.search(r"申报表单共(\d+)项，已完成(\d+)项", chat.text)
    assert counted and question
    assert counted.group(1) == question.group(2)  # the same total
    assert int(counted.group(2)) == int(question.group(1)) - 1  # the questions before this one
