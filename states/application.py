"""The case lifecycle: the application machine and the department-case machine, with their join."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from transitions import EventData, Machine, MachineError


class AppState(StrEnum):
    submitted = "submitted"
    returned = "returned"
    refused = "refused"
    accepted = "accepted"
    completed = "completed"
    partly_rejected = "partly_rejected"
    withdrawn = "withdrawn"


class CaseState(StrEnum):
    pending = "pending"
    delivered = "delivered"
    claimed = "claimed"
    done = "done"
    correction = "correction"
    resubmitted = "resubmitted"
    rejected = "rejected"
    withdrawn = "withdrawn"


CASE_FINISHED = frozenset({CaseState.done, CaseState.rejected})
CASE_OPEN = frozenset(CaseState) - CASE_FINISHED - {CaseState.withdrawn}
APP_FINAL = frozenset({AppState.refused, AppState.completed, AppState.partly_rejected, AppState.withdrawn})


class Refused(Exception):
    """The trigger is not allowed from the model's state, or a guard said no."""

    def __init__(self, trigger: str, state: str):
        super().__init__(f"{trigger} refused in state {state}")
        self.trigger = trigger
        self.state = state


# Guards read the event's keyword arguments (send_event=True) and the model's attributes.


def has_reason(ev: EventData) -> bool:
    return bool(str(ev.kwargs.get("reason") or "").strip())


def has_items(ev: EventData) -> bool:
    return bool(ev.kwargs.get("fields") or ev.kwargs.get("materials"))


def is_free_or_mine(ev: EventData) -> bool:
    claimer = getattr(ev.model, "claimed_by", None)
    return claimer is None or claimer == ev.kwargs.get("actor")


def is_claimer(ev: EventData) -> bool:
    claimer = getattr(ev.model, "claimed_by", None)
    return claimer is not None and claimer == ev.kwargs.get("actor")


def is_claimer_or_admin(ev: EventData) -> bool:
    return is_claimer(ev) or bool(ev.kwargs.get("admin"))


def is_all_done(ev: EventData) -> bool:
    return join(ev.kwargs.get("dept_states") or ()) == AppState.completed


def has_rejection(ev: EventData) -> bool:
    return join(ev.kwargs.get("dept_states") or ()) == AppState.partly_rejected


def _t(trigger: str, source: Any, dest: str, *conditions) -> dict:
    sources = [str(s) for s in source] if isinstance(source, (list, tuple, set, frozenset)) else str(source)
    return {"trigger": trigger, "source": sources, "dest": str(dest), "conditions": list(conditions)}


A, C = AppState, CaseState
APP_TRANSITIONS: list[dict] = [
    _t("accept", A.submitted, A.accepted),
    _t("return_", A.submitted, A.returned, has_reason),
    _t("resubmit", A.returned, A.submitted),
    _t("refuse", A.submitted, A.refused, has_reason),
    _t("finish", A.accepted, A.completed, is_all_done),
    _t("finish", A.accepted, A.partly_rejected, has_rejection),
    _t("withdraw", (A.submitted, A.returned, A.accepted), A.withdrawn),
]
CASE_TRANSITIONS: list[dict] = [
    _t("deliver", (C.pending, C.resubmitted), C.delivered),
    _t("claim", C.delivered, C.claimed, is_free_or_mine),
    _t("release", C.claimed, C.delivered, is_claimer_or_admin),
    _t("done", C.claimed, C.done, is_claimer),
    _t("correct", C.claimed, C.correction, is_claimer, has_reason, has_items),
    _t("resubmit", C.correction, C.resubmitted),
    _t("reject", C.claimed, C.rejected, is_claimer, has_reason),
    _t("withdraw", sorted(CASE_OPEN), C.withdrawn),
]


def _definition(states: Iterable[str], finals: Iterable[str], transitions: list[dict], initial: str) -> dict:
    """A machine's keyword arguments: the one source for the running machine and its diagram."""
    finals = {str(s) for s in finals}
    return {
        "states": [{"name": str(s), "final": str(s) in finals} for s in states],
        "transitions": transitions,
        "initial": str(initial),
        "auto_transitions": False,
    }


APPLICATION = _definition(AppState, APP_FINAL, APP_TRANSITIONS, AppState.submitted)
CASE = _definition(CaseState, CASE_FINISHED | {CaseState.withdrawn}, CASE_TRANSITIONS, CaseState.pending)


def _build(definition: dict) -> Machine:
    return Machine(model=None, send_event=True, ignore_invalid_triggers=False, **definition)


@functools.cache
def application_machine() -> Machine:
    """Built once; trigger with `machine.events[name].trigger(model, **kw)`."""
    return _build(APPLICATION)


@functools.cache
def case_machine() -> Machine:
    """One machine for every department case (used three times per application)."""
    return _build(CASE)


class Model:
    """A plain object to trigger events on: the state plus what the guards look at."""

    def __init__(self, state: str, claimed_by: Any = None):
        self.state = str(state)
        self.claimed_by = claimed_by


def fire(machine: Machine, trigger: str, model: Any, **kwargs: Any) -> str:
    """Trigger an event on `model`; return the new state or raise Refused."""
    event = machine.events.get(trigger)
    if event is None:
        raise Refused(trigger, model.state)
    try:
        ok = event.trigger(model, **kwargs)
    except MachineError:
        ok = False
    if not ok:
        raise Refused(trigger, model.state)
    return model.state


def join(dept_states: Iterable[str]) -> AppState | None:
    """All done → completed; all finished with any rejected → partly_rejected; else None."""
    states = [CaseState(s) for s in dept_states]
    if not states or any(s not in CASE_FINISHED for s in states):
        return None
    return AppState.completed if all(s == CaseState.done for s in states) else AppState.partly_rejected
