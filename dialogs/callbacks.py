"""Button payloads: one typed definition per kind, packed where the button is made, parsed where it is read.

The wire format is `prefix|field|field...` (at most 64 bytes, Telegram's limit), the format of buttons
already sent and of notifications still queued, so both keep working. `parse` never raises: a payload
that is stale, foreign or malformed is an `Unknown`, and the reader re-shows where the user is.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import ClassVar, TypeVar

SEP = "|"
MAX_BYTES = 64

P = TypeVar("P", bound="Payload")


class PayloadTooLong(ValueError):
    """A packed payload over Telegram's 64-byte callback_data limit: a bug in the caller's data."""


@dataclass(frozen=True)
class Payload:
    """Fixed prefix, then the dataclass fields in order; `int` fields are digits; trailing fields
    with a default may be left off."""

    prefix: ClassVar[str] = ""

    def pack(self) -> str:
        values = [str(getattr(self, f.name)) for f in fields(self)]
        while values and len(values) > _required(type(self)) and values[-1] == "":
            values.pop()
        data = SEP.join([self.prefix, *values])
        if len(data.encode()) > MAX_BYTES:
            raise PayloadTooLong(data)
        return data

    @classmethod
    def parse(cls: type[P], data: str) -> P | None:
        prefix, *parts = data.split(SEP)
        specs = fields(cls)
        if prefix != cls.prefix or not _required(cls) <= len(parts) <= len(specs):
            return None
        values = {}
        for spec, raw in zip(specs, parts, strict=False):  # trailing defaults may be left off
            if spec.type in (int, "int"):
                if not raw.isdigit():
                    return None
                values[spec.name] = int(raw)
            else:
                values[spec.name] = raw
        return cls(**values)


def _required(cls: type[Payload]) -> int:
    return sum(1 for f in fields(cls) if f.default is MISSING)


@dataclass(frozen=True)
class GlobalCb(Payload):
    """The applicant's menu: `g|notice`, `g|n:<page>`, `g|apply`, `g|status`, `g|cancel_yes`..."""

    prefix: ClassVar[str] = "g"
    action: str

    @classmethod
    def parse(cls, data: str) -> GlobalCb | None:
        prefix, sep, action = data.partition(SEP)
        return cls(action) if prefix == cls.prefix and sep else None


@dataclass(frozen=True)
class CorrectionCb(Payload):
    """`c|<dept or window>|<ref>`: open the correction a department (or the window) asked for."""

    prefix: ClassVar[str] = "c"
    dept: str
    ref: str


@dataclass(frozen=True)
class RatingCb(Payload):
    """`r|<score>|<ref>`: 好差评 of a finished application."""

    prefix: ClassVar[str] = "r"
    score: int
    ref: str


@dataclass(frozen=True)
class WindowCb(Payload):
    """`w|<accept|open|return|refuse>|<ref>`: the window's buttons in its staff chat."""

    prefix: ClassVar[str] = "w"
    action: str
    ref: str


@dataclass(frozen=True)
class CaseCb(Payload):
    """`k|<action>|<case id>[|<field or material key>]`: a department case's buttons."""

    prefix: ClassVar[str] = "k"
    action: str
    case_id: int
    key: str = ""


@dataclass(frozen=True)
class TicketCb(Payload):
    """`h|close|<ticket id>`: the help desk's button on a ticket."""

    prefix: ClassVar[str] = "h"
    action: str
    ticket_id: int


@dataclass(frozen=True)
class RepeatCb(Payload):
    """`dup|<use|drop>`: the applicant's answer to "this repeats the previous answer (or file)"."""

    prefix: ClassVar[str] = "dup"
    choice: str


@dataclass(frozen=True)
class StepCb(Payload):
    """`<step>|<value>`: a choice offered by a conversation step (the prefix is the step's name)."""

    step: str
    value: str

    def pack(self) -> str:
        if self.step in FIXED or not self.step:
            raise ValueError(f"not a step name: {self.step!r}")  # e.g. "g": use GlobalCb
        data = f"{self.step}{SEP}{self.value}"
        if len(data.encode()) > MAX_BYTES:
            raise PayloadTooLong(data)
        return data

    @classmethod
    def parse(cls, data: str) -> StepCb | None:
        step, sep, value = data.partition(SEP)
        return cls(step, value) if sep and step and step not in FIXED else None


@dataclass(frozen=True)
class Unknown:
    """A payload no definition accepts; `kind` is the prefix when it names a known kind (malformed)."""

    raw: str
    kind: str | None = None


FIXED: dict[str, type[Payload]] = {
    c.prefix: c for c in (GlobalCb, CorrectionCb, RatingCb, WindowCb, CaseCb, TicketCb, RepeatCb)
}
Callback = GlobalCb | CorrectionCb | RatingCb | WindowCb | CaseCb | TicketCb | RepeatCb | StepCb | Unknown


def parse(data: str | None) -> Callback:
    """The typed value of any payload this assistant makes; `Unknown` for everything else."""
    data = data or ""
    prefix = data.partition(SEP)[0]
    kind = FIXED.get(prefix)
    found = kind.parse(data) if kind is not None else StepCb.parse(data)
    return found if found is not None else Unknown(data, prefix if kind is not None else None)
