"""What a staff action returns: refusals are values (so their audit rows commit), not exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK, UNCHANGED, NOT_FOUND, FORBIDDEN, CONFLICT, INVALID = (
    "ok",
    "unchanged",
    "not_found",
    "forbidden",
    "conflict",
    "invalid",
)


@dataclass
class Result:
    ok: bool
    code: str
    message: str  # Chinese, for the staff member who acted
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
