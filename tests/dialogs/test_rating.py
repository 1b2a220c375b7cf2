"""好差评 through the engine: every score is thanked by its label; 不满意 and below get a follow-up."""

from __future__ import annotations

import pytest

from dialogs.callbacks import RatingCb
from dialogs.rating import SCORES

REF = "LJ260302-00001"


@pytest.mark.parametrize("score,follow_up", [(5, False), (4, False), (3, False), (2, True), (1, True)])
def test_each_score_is_thanked_and_only_bad_ones_are_followed_up(chat, score, follow_up):
    chat.send("choose", RatingCb(score, REF).pack())
    assert chat.text.startswith(f"感谢您的评价：{SCORES[score]}。")
    assert ("我们的工作人员将回访了解情况。" in chat.text) is follow_up
    assert "请输入您的意见或建议（选填）" in chat.text


def test_a_score_outside_the_scale_is_a_stale_button(chat):
    chat.send("choose", RatingCb(6, REF).pack())
    assert chat.text == "该按钮已失效。"
