"""Button payloads: each kind packs and parses back, fits Telegram's 64 bytes, keeps the wire format of
buttons already sent, and anything else is a typed Unknown."""

from __future__ import annotations

from datetime import UTC

import pytest

from dialogs.callbacks import (
    MAX_BYTES,
    CaseCb,
    CorrectionCb,
    GlobalCb,
    PayloadTooLong,
    RatingCb,
    StepCb,
    TicketCb,
    Unknown,
    WindowCb,
    parse,
)
from dialogs.engine import Engine
from dialogs.form import BY_KEY
from dialogs.materials import SLOTS

EXAMPLES = [
    (StepCb("id_type", "resident"), "id_type|resident"),
    (GlobalCb("n:conditions"), "g|n:conditions"),
    (CorrectionCb("window", "LJ260302-00001"), "c|window|LJ260302-00001"),
    (RatingCb(5, "LJ260302-00001"), "r|5|LJ260302-00001"),
    (WindowCb("accept", "LJ260302-00001"), "w|accept|LJ260302-00001"),
    (CaseCb("claim", 17), "k|claim|17"),
    (CaseCb("tf", 17, "bank_account"), "k|tf|17|bank_account"),
    (TicketCb("close", 3), "h|close|3"),
]


@pytest.mark.parametrize("value,wire", EXAMPLES)
def test_pack_is_the_wire_format_and_parse_inverts_it(value, wire):
    assert value.pack() == wire
    assert parse(wire) == value


@pytest.mark.parametrize(
    "data,kind",
    [
        ("", None),
        ("nonsense", None),
        ("r|five|LJ1", "r"),
        ("r|5", "r"),
        ("k|claim|abc", "k"),
        ("k|claim", "k"),
        ("h|close|x", "h"),
        ("c|hrss", "c"),
        ("w|accept|LJ1|extra", "w"),
    ],
)
def test_anything_else_is_unknown(data, kind):
    assert parse(data) == Unknown(data, kind)


def test_a_step_payload_keeps_everything_after_the_first_separator():
    assert parse("f_employer|a|b") == StepCb("f_employer", "a|b")


def test_packing_refuses_more_than_64_bytes():
    with pytest.raises(PayloadTooLong):
        CaseCb("tf", 1, "x" * 60).pack()
    with pytest.raises(PayloadTooLong):
        StepCb("f_name", "值" * 30).pack()


def test_the_longest_staff_toggles_fit():
    case_id = 2**63 - 1  # the largest id a BIGINT primary key can hand out
    for key in [*BY_KEY, *SLOTS]:
        assert len(CaseCb("tf", case_id, key).pack().encode()) <= MAX_BYTES


def test_every_step_prompt_offers_only_parseable_buttons():
    from datetime import datetime

    from dialogs.model import Session, UserInput

    engine = Engine()
    inp = UserInput(kind="text", text="", now=datetime(2026, 3, 2, tzinfo=UTC))
    for name, step in engine.steps.items():
        for reply in step.prompt(Session(state=name), inp):
            for row in reply.buttons:
                for button in row:
                    assert not isinstance(parse(button.data), Unknown), (name, button.data)
