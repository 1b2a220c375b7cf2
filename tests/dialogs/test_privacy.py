"""Consent before personal data, /mydata and /delete, at the engine."""

from __future__ import annotations

from dialogs.model import ForgetDraft, MyData
from dialogs.notice import NOTICE_VERSION
from tests.scripts import ADULT_MAN, ELIGIBILITY, FORM, MATERIALS, SUBMIT

UP_TO_NOTICE = ELIGIBILITY[:2]


def test_consent_is_asked_after_the_notice_and_before_any_personal_data(chat):
    chat.run(UP_TO_NOTICE)
    assert chat.state == "consent"
    for part in ("敏感个人信息", "处理目的", "人力资源社会保障部门", "医疗保障部门", "税务部门", "保存期限", "30天"):
        assert part in chat.text, part
    assert "证件号码" in chat.text and "请输入" not in chat.text  # named, not asked
    assert set(chat.buttons) >= {"consent|agree", "consent|refuse"}
    chat.send("choose", "consent|agree")
    assert chat.state == "id_type"
    meta = chat.session.meta
    assert meta.consent_version and meta.consent_at.startswith("2026-11-23") and meta.notice_version == NOTICE_VERSION
    [event] = [i for i in chat.intents if getattr(i, "name", "") == "consent_given"]
    assert event.data["notice_version"] == NOTICE_VERSION and event.data["consent_version"] == meta.consent_version


def test_refusing_consent_ends_politely_and_offers_the_window(chat):
    chat.run(UP_TO_NOTICE)
    chat.send("choose", "consent|refuse")
    assert chat.state == "idle" and "线下窗口办理" in chat.text and "不会收集" in chat.text
    assert chat.session.answers == {} and chat.session.meta.consent_version is None
    assert any(getattr(i, "name", "") == "consent_refused" for i in chat.intents)
    chat.send("choose", "g|apply")  # they may change their mind
    assert chat.state == "notice_ack"


def test_consent_states_the_operator_retention(engine):
    from dialogs.engine import Engine
    from dialogs.privacy import Retention
    from tests.dialogs.conftest import Chat

    chat = Chat(Engine(faq=engine.faq, retention=Retention(draft_days=14, case_days=730)))
    chat.run(UP_TO_NOTICE)
    assert "14天" in chat.text and "730天" in chat.text


def test_mydata_shows_the_draft_masked(chat):
    chat.run(ELIGIBILITY + FORM)
    chat.send("command", "mydata")
    assert "130***********1233" in chat.text and "138****5678" in chat.text and "6222 **** **** 0128" in chat.text
    assert ADULT_MAN not in chat.text and "13812345678" not in chat.text and "6222021234567890128" not in chat.text
    assert "保存30天" in chat.text and any(isinstance(i, MyData) for i in chat.intents)


def test_delete_asks_first_then_empties_the_draft_and_names_its_files(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS[:2])
    refs = {f["sha256"] for files in chat.session.materials.values() for f in files}
    chat.send("command", "delete")
    assert "确定删除" in chat.text and "g|delete_yes" in chat.buttons and chat.session.answers  # nothing yet
    chat.send("choose", "g|delete_no")
    assert chat.session.answers["id_number"] == ADULT_MAN
    chat.send("command", "delete")
    chat.send("choose", "g|delete_yes")
    assert chat.state == "idle" and chat.session.answers == {} and chat.session.materials == {}
    [forget] = [i for i in chat.intents if isinstance(i, ForgetDraft)]
    assert set(forget.refs) == refs and refs
    assert "已删除" in chat.text


def test_a_submitted_application_cannot_be_deleted_by_the_applicant(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS + SUBMIT)
    chat.send("command", "delete")
    assert "政务档案" in chat.text and "不能自行删除" in chat.text and "g|delete_yes" not in chat.buttons
    chat.send("choose", "g|delete_yes")  # a stale button deletes nothing either
    assert chat.state == "submitted" and chat.session.answers
