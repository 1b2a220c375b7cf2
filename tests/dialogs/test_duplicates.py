"""A re-sent answer (the reply did not come, so the applicant sent it again) is confirmed, not taken."""

from __future__ import annotations

from tests.scripts import ELIGIBILITY, FORM, MATERIALS, jpeg

BANK = FORM.index(("text", "中国工商银行石家庄分行"))


def test_text_equal_to_previous_answer_asks_first(chat):
    chat.run(ELIGIBILITY + FORM[: BANK + 1])
    assert chat.state == "f_bank_holder"
    chat.send("text", "中国工商银行石家庄分行")  # sent again
    assert "与上一项“开户行名称”的回答完全相同" in chat.text
    assert chat.buttons == ["dup|use", "dup|drop"]
    assert "bank_holder" not in chat.session.answers and chat.state == "f_bank_holder"
    chat.send("choose", "dup|drop")
    assert chat.state == "f_bank_holder" and "bank_holder" not in chat.session.answers
    assert "银行户名" in chat.text


def test_confirmed_repeat_is_taken(chat):
    chat.run(ELIGIBILITY + FORM[: BANK + 1])
    chat.send("text", "中国工商银行石家庄分行")
    chat.send("choose", "dup|use")
    assert "完全相同" not in chat.text  # not asked again: the step judges the text as any other answer
    assert chat.session.answers.get("bank_holder") == "中国工商银行石家庄分行" or chat.state == "f_bank_holder"


def test_different_text_is_taken_directly(chat):
    chat.run(ELIGIBILITY + FORM[: BANK + 1])
    chat.send("text", "李四")
    assert "完全相同" not in chat.text


def test_photo_already_used_for_another_slot_is_not_taken(chat):
    front = jpeg("white")
    chat.run(ELIGIBILITY + FORM + MATERIALS[:4])
    chat.send("upload", [front])
    assert chat.state == "m_id_back"
    chat.send("upload", [front])  # the 人像面 photo again, as 国徽面: refused (dialogs.materials)
    assert "居民身份证（人像面）" in chat.text and not chat.session.materials.get("id_back")
    chat.send("upload", [jpeg("black")])
    assert chat.session.materials["id_back"]


def test_stale_confirmation_button(chat):
    chat.run(ELIGIBILITY)
    chat.send("choose", "dup|use")
    assert "按钮已失效" in chat.text
