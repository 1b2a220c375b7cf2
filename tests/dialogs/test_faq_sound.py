"""Typos of the same sound, two-part questions typed with a space, lost documents."""

from __future__ import annotations

import pytest

from dialogs.faq import FaqIndex, load_bank
from dialogs.faq_scope import topic
from dialogs.faq_sound import Homophones, readings


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    idx = FaqIndex(load_bank())
    idx.warm_up()
    return idx


def test_readings_come_from_pypinyin_without_its_phrase_dictionary() -> None:
    table = readings()
    assert table["办"] == table["半"] == "ban" and table["绿"] == "lv"
    assert len(table) > 6000  # the common characters an input method offers


def test_a_stretch_the_bank_lacks_that_sounds_like_one_bank_word_is_read_as_it() -> None:
    sound = Homophones(["冀时办", "介绍信", "劳动合同"], ["冀时办上办理", "介绍信", "劳动合同"])
    assert sound.correct("冀时半上能办吗") == "冀时办上能办吗"
    assert sound.correct("没有介少信") == "没有介绍信"
    assert sound.correct("劳动和同到期了") == "劳动合同到期了"
    assert sound.correct("冀时办上") == "冀时办上"  # as written in the bank: unchanged


def test_short_stretches_only_when_asked_and_never_across_a_bank_word() -> None:
    sound = Homophones(["医保", "扫描仪", "一下"], ["医保", "扫描仪", "扫描一下"])
    assert sound.correct("医报", 3) == "医报"
    assert sound.correct("医报", 2) == "医保"
    # 扫描一 sounds like 扫描仪, but 一下 is a bank word reaching past it
    assert sound.correct("扫描一下就行") == "扫描一下就行"


def test_a_sound_two_bank_words_share_is_left_alone() -> None:
    sound = Homophones(["工伤", "工商"], ["工伤", "工商"])
    assert sound.correct("公伤", 2) == "公伤"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("介少信怎么开", {"mat_transfer_letter", "letter_sample"}),
        ("冀时半能办吗", {"online", "acceptance"}),
        ("人设局管啥", {"hrss_step"}),
        ("医报部门干啥", {"medical_step"}),
        ("手续废多少", {"fee"}),
    ],
)
def test_homophone_typos_reach_the_entry(index: FaqIndex, question: str, expected: set[str]) -> None:
    result = index.answer(question)
    assert result.confident and {e.id for e in result.entries} & expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [("能网上办不 收费不", {"online", "fee"}), ("在哪一级办 去哪个窗口", {"level", "where_offline"})],
)
def test_a_space_between_two_questions_is_a_clause_boundary(index: FaqIndex, question: str, expected: set[str]) -> None:
    result = index.answer(question)
    assert result.confident and expected <= {e.id for e in result.entries}


@pytest.mark.parametrize("question", ["档案丢了怎么办", "介绍信弄丢了咋办", "劳动合同找不到了", "把户口本弄丢了"])
def test_a_lost_document_is_handed_off(index: FaqIndex, question: str) -> None:
    assert topic(question) == "lost_documents"
    assert index.answer(question).reason == "out_of_scope"


def test_what_may_stand_in_for_a_lost_document_is_answered(index: FaqIndex) -> None:
    result = index.answer("户口本丢了能用劳动合同代替吗")
    assert result.confident and result.entry is not None and result.entry.id == "mat_hukou_contract"


@pytest.mark.parametrize(
    ("question", "expected", "outside"),
    [
        ("多久办好 办完了一个月得交多少社保", "deadline", "contribution_amount"),
        ("户口本要原件吗，公积金能一起办不", "mat_hukou_contract", "housing_fund"),
    ],
)
def test_the_notices_half_of_a_mixed_question_is_answered_and_the_other_keeps_its_topic(
    index: FaqIndex, question: str, expected: str, outside: str
) -> None:
    result = index.answer(question)
    assert result.confident and result.entry is not None and result.entry.id == expected
    assert result.topic == outside


@pytest.mark.parametrize(
    "question",
    ["养老缴费档次有哪几档 通知里写了吗", "灵活就业社保 一个月交多少", "公积金 能一起办吗"],
)
def test_a_clause_that_only_points_at_the_out_of_scope_one_answers_nothing(index: FaqIndex, question: str) -> None:
    assert index.answer(question).reason == "out_of_scope"


def test_whether_one_can_still_register_after_a_loss_is_the_notices_question(index: FaqIndex) -> None:
    assert topic("档案丢了还能办吗") is None
