"""The Mermaid diagrams drawn by transitions: every transition of the running machines, guards included."""

from __future__ import annotations

import re

import pytest
from transitions import Machine

from states.application import APPLICATION, CASE, application_machine, case_machine
from states.conversation import build_conversation_machine, conversation_definition
from states.diagram import mermaid

EDGE = re.compile(r"^\s*(\S+) --> (\S+): (.*)$")


def edges(text: str) -> set[tuple[str, str, str]]:
    found = set()
    for line in text.splitlines():
        m = EDGE.match(line)
        if m:
            found.update((m[1], m[2], label) for label in m[3].split(" | "))
    return found


def expected(machine: Machine) -> set[tuple[str, str, str]]:
    """What the running machine allows: (source, dest, 'trigger [guard & !unless]')."""
    found = set()
    for name, event in machine.events.items():
        for source, transitions in event.transitions.items():
            for t in transitions:
                guards = [("" if c.target else "!") + getattr(c.func, "__name__", str(c.func)) for c in t.conditions]
                # transitions lists the `conditions` before the `unless` guards
                guards.sort(key=lambda g: g.startswith("!"))
                found.add((source, t.dest, name + (f" [{' & '.join(guards)}]" if guards else "")))
    return found


CONVERSATION = (["f_a", "f_b"], ["m_x"])


@pytest.mark.parametrize(
    "definition,machine",
    [
        (APPLICATION, application_machine),
        (CASE, case_machine),
        (conversation_definition(*CONVERSATION), lambda: build_conversation_machine(*CONVERSATION)),
    ],
    ids=["application", "case", "conversation"],
)
def test_diagram_has_exactly_the_running_machines_transitions(definition, machine):
    assert edges(mermaid(definition, "t")) == expected(machine())


def test_guards_are_in_the_labels():
    text = mermaid(CASE, "t")
    assert "delivered --> claimed: claim [is_free_or_mine]" in text
    assert "claimed --> correction: correct [is_claimer & has_reason & has_items]" in text
    assert "skip [is_optional & !is_editing]" in mermaid(conversation_definition(*CONVERSATION), "t")


def test_initial_final_title_and_labels():
    text = mermaid(APPLICATION, "申请 Application", {"submitted": "已提交", "refused": '说“不”"x"'})
    assert text.startswith("---\ntitle: 申请 Application\n---\nstateDiagram-v2\n")
    assert "[*] --> submitted" in text
    finals = set(re.findall(r"^\s*(\S+) --> \[\*\]$", text, re.M))
    assert finals == {"refused", "completed", "partly_rejected", "withdrawn"}
    assert 'state "submitted 已提交" as submitted' in text
    assert 'state "refused 说“不”#quot;x#quot;" as refused' in text  # an ASCII quote would end the label
    assert 'state "accepted" as accepted' in text
