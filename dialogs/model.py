"""Values that cross the engine's boundary: session, user input, replies, intents, outcome."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field

from dialogs import callbacks


BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class Session(BaseModel):
    """An applicant's draft: the state, the answers and bookkeeping, stored as one JSON row."""

    state: str = "idle"
    answers: dict[str, Any] = Field(default_factory=dict)
    materials: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    meta: dict[str, Any] = Field(default_factory=dict)

    def flag(self, name: str, default: Any = None) -> Any:
        return self.meta.get(name, default)


class Upload(BaseModel):
    """One received file; `data` is None when it was refused before download."""

    data: bytes | None = None
    filename: str | None = None
    size: int | None = None
    group: str | None = None  # Telegram media_group_id of an album


class UserInput(BaseModel):
    kind: Literal["command", "text", "choose", "upload", "contact", "other"]
    text: str = ""
    command: str = ""
    payload: str = ""
    files: list[Upload] = Field(default_factory=list)
    other: str = ""  # sticker, voice, location...
    account: str = ""  # who typed it: the Telegram account, recorded with the commitment
    now: datetime

    @property
    def choice(self) -> callbacks.Callback:
        """The typed button payload (an `Unknown` for anything but a known button)."""
        return callbacks.parse(self.payload)

    @property
    def today(self) -> date:
        """The applicant's calendar day: Hebei is on Beijing time."""
        return self.now.astimezone(BEIJING).date() if self.now.tzinfo else self.now.date()


class Button(BaseModel):
    label: str
    data: str


class Reply(BaseModel):
    text: str
    buttons: list[list[Button]] = Field(default_factory=list)
    request_contact: bool = False


class Intent(BaseModel):
    """Something the runner must do in the same transaction as saving the session."""

    kind: Literal["event", "store_blob", "submit", "resubmit", "ticket", "status", "rate"]
    data: dict[str, Any] = Field(default_factory=dict)
    blob: bytes | None = None


class Outcome(BaseModel):
    replies: list[Reply]
    session: Session
    intents: list[Intent] = Field(default_factory=list)
