"""The protocol every step of the conversation follows, and the results a step returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from dialogs.callbacks import StepCb
from dialogs.model import Button, Intent, Reply, Session, UserInput

# A step never changes the session it is given: it returns what changes, and the engine applies it.
# `meta` maps dialogs.model.Meta fields to new values (None clears one); `materials` maps slots to
# their new list of files.


@dataclass
class Done:
    """The answer is accepted: store `values`, apply `meta`, fire `trigger` with `kwargs`."""

    values: dict[str, Any] = field(default_factory=dict)
    trigger: str = "advance"
    notes: list[Reply] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    materials: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "meta" in self.kwargs:  # the older spelling: changes travelled with the trigger's kwargs
            self.meta = {**self.kwargs.pop("meta"), **self.meta}


@dataclass
class Again:
    """The answer is not acceptable: say why and ask the same question again."""

    message: str
    meta: dict[str, Any] = field(default_factory=dict)
    materials: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Stay:
    """Progress inside the step (an address level, a page of files): keep `meta`, show `replies`
    (or, when None, the step's prompt for the changed session)."""

    replies: list[Reply] | None
    intents: list[Intent] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    materials: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


Result = Done | Again | Stay


class Step(Protocol):
    name: str

    def prompt(self, s: Session, inp: UserInput) -> list[Reply]: ...

    def accept(self, s: Session, inp: UserInput) -> Result: ...

    def optional(self, s: Session) -> bool: ...

    def applies(self, s: Session) -> bool: ...


@lru_cache(maxsize=4096)
def btn(step: str, value: str, label: str) -> Button:
    """Button data carries the step it belongs to, so a stale press is recognised. One (frozen) Button
    per distinct button: every prompt of a step shows the same ones."""
    return Button(label=label, data=StepCb(step, value).pack())


def rows(buttons: list[Button], per_row: int = 2) -> list[list[Button]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def nav(step: str, *, back: bool = True, skip: str | None = None) -> list[list[Button]]:
    row = []
    if back:
        row.append(btn(step, "back", "↩ 返回"))
    if skip:
        row.append(btn(step, "skip", skip))
    return [row] if row else []


def typed_choice(text: str, options: list[tuple[str, str]]) -> str | None:
    """The option a typed text names: a label typed in full, else the only label it is part of
    (石家庄 → 石家庄市, 长安 → 长安区); None when it names none or several."""
    typed = text.strip()
    if not typed:
        return None
    exact = [code for code, label in options if label == typed]
    if exact:
        return exact[0]
    found = [code for code, label in options if typed in label]
    return found[0] if len(found) == 1 else None


class BaseStep:
    """Defaults: a required step that always applies."""

    name: str = ""

    def optional(self, s: Session) -> bool:
        return False

    def applies(self, s: Session) -> bool:
        return True

    def expects_choice(self, s: Session) -> bool:
        """The answer is one of the step's buttons (which may also be typed)."""
        return False

    def choice_value(self, inp: UserInput) -> str | None:
        choice = inp.choice if inp.kind == "choose" else None
        return choice.value if isinstance(choice, StepCb) and choice.step == self.name else None
