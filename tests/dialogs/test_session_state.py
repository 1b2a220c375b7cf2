"""The typed session state: steps return their changes and prompts are pure; stored drafts stay
readable; intents form a closed union the runner handles completely."""

from __future__ import annotations

import pytest

from dialogs.model import INTENT_TYPES, Meta, Session
from dialogs.steps import Done
from tests.dialogs.conftest import Chat
from tests.scripts import ELIGIBILITY, FORM, FULL, MATERIALS, jpeg


class Watched:
    """A step whose prompt and accept must leave the session they are given as it was."""

    def __init__(self, step):
        self.step = step

    def __getattr__(self, name):
        return getattr(self.step, name)

    def _pure(self, method, s, inp):
        before = s.model_dump()
        result = method(s, inp)
        assert s.model_dump() == before, f"{self.step.name}.{method.__name__} changed the session"
        return result

    def prompt(self, s, inp):
        return self._pure(self.step.prompt, s, inp)

    def accept(self, s, inp):
        return self._pure(self.step.accept, s, inp)


@pytest.fixture
def watched(engine):
    engine.steps = {name: Watched(step) for name, step in engine.steps.items()}
    return Chat(engine)


def test_no_step_changes_the_session_along_a_whole_application(watched):
    watched.run(FULL)
    assert watched.state == "submitted"


def run_until(chat: Chat, script, state: str) -> list:
    """Play `script` until the conversation reaches `state`; returns the rest of the script."""
    for i, (kind, value) in enumerate(script):
        if chat.state == state:
            return script[i:]
        chat.send(kind, value)
    assert chat.state == state
    return []


def test_no_step_changes_the_session_on_detours(watched):
    # the household address: another province, then back to Hebei level by level
    rest = run_until(watched, ELIGIBILITY + FORM, "f_hukou_address")
    for value in ("p:more", "p:110000", "p:130000", "c:130100", "x:130102"):
        watched.send("choose", "f_hukou_address|" + value)
    watched.send("text", "建设北大街12号")
    assert watched.state == "f_home_address"
    # a bank account failing the Luhn check waits for "确认无误"
    rest = rest[next(i for i, (_, value) in enumerate(rest) if value.startswith("f_home_address")) :]
    rest = run_until(watched, rest, "f_bank_account")
    watched.send("text", "6222 0212 3456 7890 123")
    assert watched.session.meta.pending_account and "确认无误" in watched.text
    watched.send("choose", "f_bank_account|confirm")
    assert watched.session.answers["bank_account"] == "6222021234567890123"
    run_until(watched, rest[1:] + MATERIALS, "m_doc")
    watched.send("upload", [jpeg()])
    assert watched.session.materials["household"]
    watched.send("choose", "m_doc|clear")  # uploads cleared
    assert watched.session.materials["household"] == []


def test_an_unknown_meta_key_is_a_bug_not_a_silent_write():
    with pytest.raises(KeyError):
        Meta().changed({"pendign_id": "x"})
    assert Done(kwargs={"meta": {"editing": True}, "target": "f_name"}).meta == {"editing": True}


def test_stored_drafts_of_the_old_shape_still_load():
    old = {
        "editing": True,
        "skipped": ["employer"],
        "pending_id": None,
        "partial": {"step": "f_x", "province": "130000"},
        "correction": {
            "ref": "LJ1",
            "dept": "hrss",
            "reason": "r",
            "fields": ["phone"],
            "materials": [],
            "todo": ["f_phone"],
        },
        "commitment": {"accepted_at": "2026-03-02T02:00:00+00:00", "account": "telegram:1", "text": "承诺"},
        "age_borderline": "not a bool",
        "something_retired": 1,
    }
    s = Session(state="review", answers={"name": "张三"}, meta=old)
    assert s.meta.editing and s.meta.skipped == ["employer"] and s.meta.correction.todo == ["f_phone"]
    assert s.meta.commitment.account == "telegram:1"
    assert s.meta.age_borderline is None  # an unreadable flag is dropped, not a crash
    dumped = s.model_dump(mode="json")["meta"]
    assert "something_retired" not in dumped and "pending_id" not in dumped and dumped["editing"] is True
    assert Session.model_validate(s.model_dump(mode="json")) == s


def test_an_empty_state_is_stored_as_an_empty_object():
    assert Session().model_dump(mode="json")["meta"] == {}


def test_the_runner_handles_every_kind_of_intent():
    from bot.runner import HANDLERS

    assert set(HANDLERS) == set(INTENT_TYPES)
