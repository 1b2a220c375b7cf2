"""A re-sent answer (the reply did not come, so the applicant sent it again) is confirmed, not taken."""

from __future__ import annotations

from tests.scripts import ELIGIBILITY, FORM, MATERIALS, jpeg

BANK = FORM.index(("text", "中国工商银行石家庄分行"))


def test_text_equal_to_previous_answer_asks_first(chat):
    chat.run(ELIGIBILITY + FORM[:BANK + 1])
    assert chat.state == "f_bank_holder"
    chat.send("text", "中国工商银行石家庄分行")  # sent again
    assert "与上一项“开户行名称”的回答完全相同" in chat.text
    assert chat.buttons == ["dup|use", "dup|drop"]
    assert "bank_holder" not in chat.session.answers and chat.state == "f_bank_holder"
    chat.send("choose", "dup|drop")
    assert chat.state == "f_bank_holder" and "bank_holder" not in chat.session.answers
    assert "银行户名" in chat.text


def test_confirmed_repeat_is_taken(chat):
    chat.run(ELIGIBILITY + FORM[:BANK + 1])
    chat.send("text", "中国工商银行石家庄分行")
    chat.send("choose", "dup|use")
    assert chat.session.answers["bank_holder"] == "中国工商银行石家庄分行" or "⚠️" in chat.text
    assert chat.state != "f_bank_holder" or "⚠️" in chat.text


def test_different_text_is_taken_directly(chat):
    chat.run(ELIGIBILITY + FORM[:BANK + 1])
    chat.send("text", "李四")
    assert chat.session.answers["bank_holder"] == "李四"


def test_photo_already_used_for_another_slot_asks_first(chat):
    front = jpeg("white")
    chat.run(ELIGIBILITY + FORM + MATERIALS[:4])
    chat.send("upload", [front])
    assert chat.state == "m_id_back"
    chat.send("upload", [front])  # the 人像面 photo again, as 国徽面
    assert "与已上传的“居民身份证（人像面）”完全相同" in chat.text
    assert not chat.session.materials.get("id_back")
    chat.send("choose", "dup|drop")
    assert chat.state == "m_id_back" and not chat.session.materials.get("id_back")
    chat.send("upload", [jpeg("black")])
    assert chat.session.materials["id_back"]


def test_confirmed_file_is_taken_when_sent_again(chat):
    front = jpeg("white")
    chat.run(ELIGIBILITY + FORM + MATERIALS[:4])
    chat.send("upload", [front])
    chat.send("upload", [front])
    chat.send("choose", "dup|use")
    assert "请再发送一次" in chat.text
    chat.send("upload", [front])
    assert chat.session.materials["id_back"][0]["sha256"] == chat.session.materials["id_front"][0]["sha256"]


def test_stale_confirmation_button(chat):
    chat.run(ELIGIBILITY)
    chat.send("choose", "dup|use")
    assert "按钮已失效" in chat.text
