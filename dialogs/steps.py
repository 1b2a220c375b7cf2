"""The protocol every step of the conversation follows, and the results a step returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from dialogs.callbacks import StepCb
from dialogs.model import Button, Intent, Reply, Session, UserInput


@dataclass
class Done:
    """The answer is accepted: store `values` and fire `trigger`."""

    values: dict[str, Any] = field(default_factory=dict)
    trigger: str = "advance"
    notes: list[Reply] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Again:
    """The answer is not acceptable: say why and ask the same question again."""

    message: str


@dataclass
class Stay:
    """Progress inside the step (an address level, a page of files): show these replies."""

    replies: list[Reply]
    intents: list[Intent] = field(default_factory=list)


Result = Done | Again | Stay


class Step(Protocol):
    name: str

    def prompt(self, s: Session, inp: UserInput) -> list[Reply]: ...

    def accept(self, s: Session, inp: UserInput) -> Result: ...

    def optional(self, s: Session) -> bool: ...

    def applies(self, s: Session) -> bool: ...


def btn(step: str, value: str, label: str) -> Button:
    """Button data carries the step it belongs to, so a stale press is recognised."""
    return Button(label=label, data=StepCb(step, value).pack())


def rows(buttons: list[Button], per_row: int = 2) -> list[list[Button]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def nav(step: str, *, back: bool = True, skip: str | None = None) -> list[list[Button]]:
    row = []
    if back:
        row.append(btn(step, "back", "↩ 返回"))
    if skip:
        row.append(btn(step, "skip", skip))
    return [row] if row else []


class BaseStep:
    """Defaults: a required step that always applies."""

    name: str = ""

    def optional(self, s: Session) -> bool:
        return False

    def applies(self, s: Session) -> bool:
        return True

    def choice_value(self, inp: UserInput) -> str | None:
        choice = inp.choice if inp.kind == "choose" else None
        return choice.value if isinstance(choice, StepCb) and choice.step == self.name else None
