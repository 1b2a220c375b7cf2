"""Every rule of the conversation machine, driven directly on a plain model object."""

from __future__ import annotations

import pytest

from states.conversation import Phase, build_conversation_machine

FORM = ["f_a", "f_b"]
MATERIALS = ["m_x"]


class Model:
    def __init__(self, state, editing=False, optional=False, inapplicable=False, complete=True, accepted=True):
        self.state = state
        self.flags = {
            "editing": editing,
            "optional": optional,
            "inapplicable": inapplicable,
            "complete": complete,
            "accepted": accepted,
        }

    def is_editing(self, e):
        return self.flags["editing"]

    def is_optional(self, e):
        return self.flags["optional"]

    def is_inapplicable(self, e):
        return self.flags["inapplicable"]

    def is_target(self, e):
        return e.transition.dest == e.kwargs.get("target")

    def is_complete(self, e):
        return self.flags["complete"]

    def is_accepted(self, e):
        return self.flags["accepted"]


@pytest.fixture(scope="module")
def machine():
    return build_conversation_machine(FORM, MATERIALS)


def fire(machine, model, event, **kw):
    return machine.events[event].trigger(model, **kw)


ORDER = [
    "idle",
    "notice_ack",
    "consent",
    "id_type",
    "id_number",
    "id_confirm",
    "id_sex",
    "archive",
    "situation",
    "eligible",
    "f_a",
    "f_b",
    "m_x",
    "review",
    "commitment",
]


@pytest.mark.parametrize("src,dest", list(zip(ORDER[:-1], ORDER[1:], strict=False)))
def test_advance_follows_the_linear_order(machine, src, dest):
    m = Model(src)
    assert fire(machine, m, "advance")
    assert m.state == dest


@pytest.mark.parametrize("src,dest", list(zip(ORDER[2:], ORDER[1:-1], strict=False)))
def test_back_goes_one_step_back(machine, src, dest):
    m = Model(src)
    fire(machine, m, "back")
    assert m.state == dest


def test_editing_returns_to_review_on_advance_back_and_skip(machine):
    for event in ("advance", "back"):
        m = Model("f_a", editing=True)
        fire(machine, m, event)
        assert m.state == "review"
    m = Model("f_a", editing=True, optional=True)
    fire(machine, m, "skip")
    assert m.state == "review"


def test_skip_is_refused_unless_optional(machine):
    m = Model("f_a")
    assert not fire(machine, m, "skip")
    assert m.state == "f_a"
    m = Model("f_a", optional=True)
    assert fire(machine, m, "skip") and m.state == "f_b"


def test_bypass_only_when_inapplicable(machine):
    m = Model("id_confirm")
    assert not fire(machine, m, "bypass") and m.state == "id_confirm"
    m = Model("id_confirm", inapplicable=True)
    assert fire(machine, m, "bypass") and m.state == "id_sex"


@pytest.mark.parametrize("src", ["id_number", "id_confirm", "id_sex", "archive", "situation"])
def test_refuse_leads_to_ineligible(machine, src):
    m = Model(src)
    fire(machine, m, "refuse")
    assert m.state == "ineligible"


def test_refuse_is_not_allowed_from_the_form(machine):
    from transitions import MachineError

    with pytest.raises(MachineError):
        fire(machine, Model("f_a"), "refuse")


@pytest.mark.parametrize("target", ["id_number", "archive", "situation"])
def test_back_from_ineligible_goes_to_the_failed_step(machine, target):
    m = Model("ineligible")
    fire(machine, m, "back", target=target)
    assert m.state == target


@pytest.mark.parametrize("target", ["id_type", "f_b", "m_x"])
def test_edit_from_review_to_any_step(machine, target):
    m = Model("review")
    fire(machine, m, "edit", target=target)
    assert m.state == target


def test_edit_to_unknown_target_is_refused(machine):
    m = Model("review")
    assert not fire(machine, m, "edit", target="nowhere")
    assert m.state == "review"


def test_review_needs_completeness(machine):
    m = Model("review", complete=False)
    assert not fire(machine, m, "advance")
    assert m.state == "review"


def test_submit_needs_commitment_and_completeness(machine):
    m = Model("commitment", accepted=False)
    assert not fire(machine, m, "submit")
    m = Model("commitment", complete=False)
    assert not fire(machine, m, "submit")
    m = Model("commitment")
    assert fire(machine, m, "submit") and m.state == Phase.submitted


def test_nothing_advances_past_submitted(machine):
    from transitions import MachineError

    with pytest.raises(MachineError):
        fire(machine, Model("submitted"), "advance")


def test_restart_from_anywhere(machine):
    for state in ORDER + ["ineligible", "submitted"]:
        m = Model(state)
        fire(machine, m, "restart")
        assert m.state == "idle"
