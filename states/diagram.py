"""Mermaid state diagrams of a machine definition, drawn by transitions' own diagram extension."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transitions.extensions import HierarchicalGraphMachine
from transitions.extensions.nesting import NestedState


class _LabelledState(NestedState):
    """A state with a display label; the markup (and so the diagram) reads `label` when set."""

    # Our state names contain "_", the hierarchical machine's default separator; none contains ".".
    separator = "."

    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label


class _DiagramMachine(HierarchicalGraphMachine):
    # The hierarchical flavour is used for a flat machine because only its Mermaid renderer marks
    # final states (`state --> [*]`); the flat one drops them.
    state_cls = _LabelledState


def mermaid(definition: Mapping[str, Any], title: str, labels: Mapping[str, str] | None = None) -> str:
    """A Mermaid stateDiagram-v2 of the machine `definition` (the running machine's keyword
    arguments), with each transition's guards in its label and `labels` beside the state names."""
    labels = labels or {}
    states = []
    for state in definition["states"]:
        spec = dict(state) if isinstance(state, Mapping) else {"name": str(state)}
        if spec["name"] in labels:
            spec["label"] = f"{spec['name']} {labels[spec['name']]}".replace('"', "#quot;")
        states.append(spec)
    machine = _DiagramMachine(
        model=None, **{**definition, "states": states}, show_conditions=True, graph_engine="mermaid", title=title
    )
    # transitions writes the title as a bare front-matter line; Mermaid reads front matter as YAML.
    return machine.graph_cls(machine).get_graph(title=f"title: {title}").source + "\n"
