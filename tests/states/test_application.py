"""The case lifecycle machines: every transition rule, the refused ones and the join."""

from __future__ import annotations

import pytest

from states.application import (
    APP_FINAL,
    AppState,
    CaseState,
    Model,
    Refused,
    application_machine,
    case_machine,
    fire,
    join,
)

A, C = AppState, CaseState


def app_fire(state, trigger, **kw):
    return fire(application_machine(), trigger, Model(state), **kw)


def case_fire(state, trigger, claimed_by=None, **kw):
    return fire(case_machine(), trigger, Model(state, claimed_by), **kw)


def test_machines_are_built_once():
    assert application_machine() is application_machine()
    assert case_machine() is case_machine()


def test_states_are_strenums_with_stored_values():
    assert [s.value for s in AppState] == [
        "submitted",
        "returned",
        "refused",
        "accepted",
        "completed",
        "partly_rejected",
        "withdrawn",
    ]
    assert C.correction == "correction"


@pytest.mark.parametrize(
    "state,trigger,kw,dest",
    [
        (A.submitted, "accept", {}, A.accepted),
        (A.submitted, "return_", {"reason": "照片不清晰"}, A.returned),
        (A.returned, "resubmit", {}, A.submitted),
        (A.submitted, "refuse", {"reason": "不属于本省存档人员"}, A.refused),
        (A.accepted, "finish", {"dept_states": ["done"] * 3}, A.completed),
        (A.accepted, "finish", {"dept_states": ["done", "rejected", "done"]}, A.partly_rejected),
        (A.accepted, "withdraw", {}, A.withdrawn),
        (A.submitted, "withdraw", {}, A.withdrawn),
    ],
)
def test_application_transitions(state, trigger, kw, dest):
    assert app_fire(state, trigger, **kw) == dest


@pytest.mark.parametrize(
    "state,trigger,kw",
    [
        (A.accepted, "accept", {}),  # accepting twice is not a transition
        (A.returned, "accept", {}),  # a returned application must be resubmitted first
        (A.submitted, "return_", {"reason": "  "}),  # the window must say why
        (A.submitted, "refuse", {}),
        (A.accepted, "finish", {"dept_states": ["done", "claimed", "done"]}),
        (A.accepted, "finish", {"dept_states": []}),
        (A.submitted, "finish", {"dept_states": ["done"] * 3}),
        (A.completed, "withdraw", {}),
        (A.refused, "resubmit", {}),
        (A.submitted, "no_such_trigger", {}),
    ],
)
def test_application_refused_transitions(state, trigger, kw):
    model = Model(state)
    with pytest.raises(Refused):
        fire(application_machine(), trigger, model, **kw)
    assert model.state == state


@pytest.mark.parametrize(
    "state,trigger,claimed_by,kw,dest",
    [
        (C.pending, "deliver", None, {}, C.delivered),
        (C.resubmitted, "deliver", 7, {}, C.delivered),
        (C.delivered, "claim", None, {"actor": 7}, C.claimed),
        (C.delivered, "claim", 7, {"actor": 7}, C.claimed),  # the same clerk after a correction
        (C.claimed, "release", 7, {"actor": 7}, C.delivered),
        (C.claimed, "release", 7, {"actor": 1, "admin": True}, C.delivered),
        (C.claimed, "done", 7, {"actor": 7}, C.done),
        (C.claimed, "correct", 7, {"actor": 7, "reason": "照片模糊", "materials": ["id_front"]}, C.correction),
        (C.correction, "resubmit", 7, {}, C.resubmitted),
        (C.claimed, "reject", 7, {"actor": 7, "reason": "已在外省参保"}, C.rejected),
        (C.pending, "withdraw", None, {}, C.withdrawn),
        (C.claimed, "withdraw", 7, {}, C.withdrawn),
    ],
)
def test_case_transitions(state, trigger, claimed_by, kw, dest):
    assert case_fire(state, trigger, claimed_by, **kw) == dest


@pytest.mark.parametrize(
    "state,trigger,claimed_by,kw",
    [
        (C.delivered, "claim", 7, {"actor": 8}),  # a second claimer is refused until released
        (C.claimed, "claim", 7, {"actor": 8}),
        (C.claimed, "done", 7, {"actor": 8}),  # only the claimer decides
        (C.claimed, "release", 7, {"actor": 8}),
        (C.delivered, "done", None, {"actor": 7}),  # claim first
        (C.pending, "claim", None, {"actor": 7}),  # nothing to claim before delivery
        (C.claimed, "correct", 7, {"actor": 7, "reason": "缺材料"}),  # must name what to fix
        (C.claimed, "correct", 7, {"actor": 7, "fields": ["name"]}),  # and why
        (C.claimed, "reject", 7, {"actor": 7, "reason": ""}),
        (C.done, "reject", 7, {"actor": 7, "reason": "x"}),
        (C.done, "withdraw", 7, {}),
        (C.rejected, "deliver", None, {}),
        (C.delivered, "resubmit", None, {}),
    ],
)
def test_case_refused_transitions(state, trigger, claimed_by, kw):
    model = Model(state, claimed_by)
    with pytest.raises(Refused):
        fire(case_machine(), trigger, model, **kw)
    assert model.state == state


@pytest.mark.parametrize(
    "states,result",
    [
        (["done", "done", "done"], A.completed),
        (["done", "rejected", "done"], A.partly_rejected),
        (["rejected", "rejected", "rejected"], A.partly_rejected),
        (["done", "done", "claimed"], None),
        (["done", "correction", "rejected"], None),
        ([], None),
    ],
)
def test_join(states, result):
    assert join(states) == result


def test_final_states_have_no_way_out():
    for state in APP_FINAL:
        assert not [t for t in application_machine().get_triggers(state) if t != "to_" + state]
