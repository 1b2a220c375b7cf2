"""dialogs.model.deep_copy: what the engine copies a session with, as deep as copy.deepcopy."""

from __future__ import annotations

import copy
from datetime import date

from dialogs.model import Correction, Session, deep_copy


def a_session() -> Session:
    return Session(
        state="f_address",
        answers={"name": "张三", "address": {"province": "130000", "lines": ["一", "二"]}, "born": date(1970, 1, 2)},
        materials={"id_front": [{"sha256": "ab", "pages": 1}]},
        meta={"skipped": ["x"], "partial": {"step": "f_address"}, "correction": Correction(ref="R1", dept="hrss")},
    )


def test_deep_copy_equals_deepcopy_and_shares_no_mutable_part():
    s = a_session()
    twin = deep_copy(s)
    assert twin == copy.deepcopy(s) and twin.model_dump() == s.model_dump()
    assert twin.model_fields_set == s.model_fields_set and twin.meta.model_fields_set == s.meta.model_fields_set
    twin.answers["address"]["lines"].append("三")
    twin.materials["id_front"][0]["pages"] = 2
    twin.meta.skipped.append("y")
    twin.meta.partial["step"] = "other"
    twin.meta.correction.todo.append("f_name")
    assert s == a_session()  # the original is untouched


def test_the_engine_leaves_the_callers_session_as_it_was():
    from dialogs.engine import Engine
    from dialogs.model import UserInput
    from tests.factories import NOW

    s = Session()
    before = s.model_dump()
    out = Engine().handle(s, UserInput(now=NOW, account="telegram:1", kind="choose", payload="g|apply"))
    assert s.model_dump() == before and out.session is not s
