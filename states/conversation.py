"""The applicant's conversation as a transitions machine: phases, steps and their rules."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from itertools import pairwise

from transitions import Machine


class Phase(StrEnum):
    """Fixed steps; form and material steps are generated from the form schema."""

    idle = "idle"
    notice_ack = "notice_ack"
    consent = "consent"  # separate consent to sensitive personal information
    id_type = "id_type"
    id_number = "id_number"
    id_confirm = "id_confirm"
    id_sex = "id_sex"
    archive = "archive"
    situation = "situation"
    eligible = "eligible"
    ineligible = "ineligible"
    review = "review"
    commitment = "commitment"
    submitted = "submitted"


ELIGIBILITY: tuple[str, ...] = (
    Phase.id_type,
    Phase.id_number,
    Phase.id_confirm,
    Phase.id_sex,
    Phase.archive,
    Phase.situation,
)

# Guards are resolved by name on the model object the event is triggered on:
#   is_optional       the current step may be skipped by the applicant
#   is_inapplicable   the current step does not apply (its condition does not hold)
#   is_editing        the applicant came from the review page and returns there
#   is_target         the transition's dest is the step named in the event's `target` kwarg
#   is_complete       every required answer and material is present
#   is_accepted       the commitment was accepted


def step_order(form_steps: Sequence[str], material_steps: Sequence[str]) -> list[str]:
    return [
        Phase.idle,
        Phase.notice_ack,
        Phase.consent,
        *ELIGIBILITY,
        Phase.eligible,
        *form_steps,
        *material_steps,
        Phase.review,
        Phase.commitment,
        Phase.submitted,
    ]


def conversation_transitions(form_steps: Sequence[str], material_steps: Sequence[str]) -> list[dict]:
    order = step_order(form_steps, material_steps)
    editable = [*ELIGIBILITY, *form_steps, *material_steps]
    rules: list[dict] = []
    # Forward through the linear order; from an edited step straight back to the review.
    for src, dest in pairwise(order):
        if dest == Phase.submitted or src == Phase.review:
            continue
        if src in editable:
            rules.append({"trigger": "advance", "source": src, "dest": Phase.review, "conditions": "is_editing"})
        rules.append({"trigger": "advance", "source": src, "dest": dest})
        rules.append(
            {"trigger": "skip", "source": src, "dest": dest, "conditions": "is_optional", "unless": "is_editing"}
        )
        rules.append(
            {"trigger": "skip", "source": src, "dest": Phase.review, "conditions": ["is_optional", "is_editing"]}
        )
        rules.append({"trigger": "bypass", "source": src, "dest": dest, "conditions": "is_inapplicable"})
    # Backward: one step at a time; the engine repeats while a step does not apply.
    for src, dest in zip(order[2:-1], order[1:-2], strict=True):
        if src in editable:
            rules.append({"trigger": "back", "source": src, "dest": Phase.review, "conditions": "is_editing"})
        rules.append({"trigger": "back", "source": src, "dest": dest})
    rules.append({"trigger": "back", "source": Phase.notice_ack, "dest": Phase.idle})
    # An eligibility step can fail: the outcome page explains which condition failed.
    for src in (Phase.id_number, Phase.id_confirm, Phase.id_sex, Phase.archive, Phase.situation):
        rules.append({"trigger": "refuse", "source": src, "dest": Phase.ineligible})
    for dest in ELIGIBILITY:
        rules.append({"trigger": "back", "source": Phase.ineligible, "dest": dest, "conditions": "is_target"})
    # The review page: change any answer; then commit and submit.
    for dest in editable:
        rules.append({"trigger": "edit", "source": Phase.review, "dest": dest, "conditions": "is_target"})
    # A department or the window asks for a correction: the flagged steps are opened again (or, when
    # nothing in particular is flagged, the review page).
    for dest in [*editable, Phase.review]:
        rules.append({"trigger": "correct", "source": Phase.submitted, "dest": dest, "conditions": "is_target"})
    rules.append({"trigger": "advance", "source": Phase.review, "dest": Phase.commitment, "conditions": "is_complete"})
    rules.append(
        {
            "trigger": "submit",
            "source": Phase.commitment,
            "dest": Phase.submitted,
            "conditions": ["is_complete", "is_accepted"],
        }
    )
    rules.append({"trigger": "restart", "source": "*", "dest": Phase.idle})
    return rules


def conversation_definition(form_steps: Sequence[str], material_steps: Sequence[str]) -> dict:
    """The machine's keyword arguments: the one source for the running machine and its diagram."""
    states = list(dict.fromkeys([*step_order(form_steps, material_steps), Phase.ineligible]))
    return {
        "states": [str(s) for s in states],
        "transitions": conversation_transitions(form_steps, material_steps),
        "initial": str(Phase.idle),
        "auto_transitions": False,
    }


def build_conversation_machine(form_steps: Sequence[str], material_steps: Sequence[str]) -> Machine:
    """Build once at start-up; trigger with `machine.events[name].trigger(model, **kw)`."""
    return Machine(
        model=None,
        send_event=True,
        ignore_invalid_triggers=False,
        **conversation_definition(form_steps, material_steps),
    )
