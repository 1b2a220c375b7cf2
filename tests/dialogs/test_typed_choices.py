"""Typed input at steps answered by buttons: a button's words may be typed (a unique part will do),
and only text that plainly asks something goes to the help desk."""

from __future__ import annotations

from dialogs.model import Ticket
from tests.scripts import ELIGIBILITY, FORM


def upto(step: str) -> list:
    steps = ELIGIBILITY + FORM
    i = next(n for n, (_, v) in enumerate(steps) if isinstance(v, str) and v.startswith(step + "|"))
    return steps[:i]


def test_city_and_county_can_be_typed_at_an_address_level(chat):
    chat.run(upto("f_work_place"))
    chat.send("text", "石家庄")
    assert chat.session.meta.partial["city"] == "130100" and "请选择县（市、区）" in chat.text
    chat.send("text", "长安")
    assert chat.session.answers["work_place"] == {"province": "130000", "city": "130100", "county": "130102"}


def test_an_ambiguous_typed_name_is_asked_again(chat):
    chat.run(upto("f_work_place"))
    chat.send("text", "石家庄")
    chat.send("text", "桥")  # 桥西区 only, in 石家庄: taken; 新 → 新华区 and 新乐市: ambiguous
    assert chat.session.answers["work_place"]["county"] == "130104"


def test_a_situation_can_be_typed_by_part_of_its_words(chat):
    chat.run(ELIGIBILITY[:6])
    chat.send("text", "新就业形态")
    assert chat.session.answers["situation"] == "new_forms" and chat.state == "eligible"


def test_random_text_at_a_choice_step_is_not_a_ticket(chat):
    chat.run(upto("f_education"))
    chat.send("text", "随便写点什么东西")
    assert not any(isinstance(i, Ticket) for i in chat.intents)
    assert chat.state == "f_education" and "没有找到" in chat.text


def test_a_plain_question_at_a_choice_step_still_reaches_the_help_desk(chat):
    chat.run(upto("f_education"))
    chat.send("text", "文化程度必须填吗？")
    assert "办事指南" in chat.text or any(isinstance(i, Ticket) for i in chat.intents)
    assert chat.state == "f_education"
