"""A 2023-format 外国人永久居留身份证 does not tell the holder's sex: it is asked, and the age gate
waits for it instead of assuming the strictest baseline."""

from __future__ import annotations

from tests.scripts import ELIGIBILITY, id_number

# 9 + 5 digits + birth 1968-05-10 + sequence, with the MOD 11-2 check: a man of 58 in 2026-11
PR_1968 = id_number("93415619680510001")
TO_NUMBER = ELIGIBILITY[:3] + [("choose", "id_type|foreign_pr")]


def test_sex_is_asked_when_the_number_cannot_tell(chat):
    chat.run(TO_NUMBER)
    chat.send("text", PR_1968)
    # not refused on the female 55 baseline: the most permissive ceiling holds until the sex is known
    assert chat.state == "id_sex", chat.text
    assert "性别" in chat.text and {"男", "女"} <= set(chat.labels)
    chat.send("choose", "id_sex|男")
    assert chat.state == "archive", chat.text
    assert chat.session.answers["sex"] == "男"
    assert chat.session.meta.sex_declared is True


def test_then_the_gate_uses_the_declared_sex(chat):
    chat.run(TO_NUMBER)
    chat.send("text", PR_1968)
    chat.send("choose", "id_sex|女")  # born 1968: a woman retired at 55 in 2023
    assert chat.state == "ineligible" and "已达到法定退休年龄" in chat.text


def test_declared_sex_is_flagged_for_the_window(chat):
    from dialogs.submission import freeze

    chat.run(TO_NUMBER)
    chat.send("text", PR_1968)
    chat.send("choose", "id_sex|男")
    assert freeze(chat.session)["flags"]["sex_declared"] is True


def test_resident_card_is_not_asked(chat):
    chat.run(ELIGIBILITY[:5])
    assert chat.state == "archive"
