"""Values that cross the engine's boundary: session, user input, replies, intents, outcome."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator

from dialogs import callbacks
from dialogs.clock import BEIJING


class Correction(BaseModel):
    """What a department (or the window, dept "window") asked to correct; `todo`: steps still to open."""

    ref: str
    dept: str
    reason: str = ""
    fields: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    todo: list[str] = Field(default_factory=list)
    rejected: dict[str, list[str]] = Field(default_factory=dict)  # slot -> sha256 of the files sent back


class Commitment(BaseModel):
    """The signed 承诺: when, by which account, and the text agreed to."""

    accepted_at: str
    account: str = ""
    text: str = ""
    in_person: bool | None = None  # given at the window, before the staff member in `witness`
    witness: dict[str, Any] | None = None


class LastText(BaseModel):
    """The previous text answer, as a digest only: a re-sent answer is recognised, nothing is kept."""

    step: str
    sha: str


class Repeat(BaseModel):
    """An input that repeats the previous answer or a file already used, waiting for "仍然使用"."""

    state: str
    kind: Literal["text", "file"]
    text: str | None = None
    sha: str | None = None


class Meta(BaseModel):
    """What the engine keeps between steps besides answers and materials. Absent means None.

    Stored drafts stay readable: unknown keys of older rows are ignored, and only values that differ
    from the defaults are written (the JSON has the shape it always had)."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    editing: bool | None = None  # came from the review page: return there after this step
    skipped: list[str] = Field(default_factory=list)  # optional fields the applicant skipped
    partial: dict[str, str] | None = None  # an address being picked level by level: step, province...
    pending_id: str | None = None  # an ID number waiting for its confirmation
    pending_account: str | None = None  # a bank account that failed Luhn, waiting for "确认无误"
    correction: Correction | None = None  # the correction being worked on after submission
    correction_request: Correction | None = None  # the runner's lookup for a pressed c|dept|ref button
    rating_comment: str | None = None  # the reference whose rating may get a comment next
    asking: bool | None = None  # the next text is a question for the help desk
    ref: str | None = None  # the submitted application's reference
    commitment: Commitment | None = None
    notice_version: str | None = None
    notice_ack_at: str | None = None
    consent_version: str | None = None  # the separate consent (dialogs.privacy) agreed to, and when
    consent_at: str | None = None
    failed_at: str | None = None  # the eligibility step that failed
    fail_reason: str | None = None
    retire_date: str | None = None
    age_borderline: bool | None = None
    age_unverified: bool | None = None
    sex_declared: bool | None = None  # the ID number does not encode the sex: the applicant said it
    retire_delayed: bool | None = None  # the 2024 gradual-delay reform covers the refused person
    pending_value: dict[str, Any] | None = None  # a doubtful answer waiting for "确认无误": step, values
    last_text: LastText | None = None  # see dialogs.duplicates
    repeat: Repeat | None = None
    repeat_allowed: list[str] = Field(default_factory=list)  # files confirmed for a second slot

    def changed(self, changes: dict[str, Any]) -> Meta:
        """A copy with `changes` applied (None clears); a key that is not a field is a bug."""
        unknown = set(changes) - set(type(self).model_fields)
        if unknown:
            raise KeyError(f"not a session field: {sorted(unknown)}")
        return type(self).model_validate(self.model_dump() | changes)


_ATOMS = frozenset({str, int, float, bool, type(None)})


def deep_copy(value: Any) -> Any:
    """`copy.deepcopy` for the engine's values (JSON-like dicts and lists, pydantic models of them), at a
    fraction of its cost: no memo (these values share no parts and hold no cycles), atoms kept as they
    are, a model copied by pydantic's own shallow copy (fields set, extras, private attributes) with
    each field copied in turn. Anything else goes to `copy.deepcopy`."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is dict:
        return {k: deep_copy(v) for k, v in value.items()}
    if kind is list:
        return [deep_copy(v) for v in value]
    if isinstance(value, BaseModel):
        twin = copy.copy(value)
        fields = twin.__dict__  # twin's own dict (pydantic's __copy__ copies it): refilled in place
        for key, item in fields.items():
            if type(item) not in _ATOMS:
                fields[key] = deep_copy(item)
        if value.__pydantic_extra__:
            object.__setattr__(twin, "__pydantic_extra__", deep_copy(value.__pydantic_extra__))
        if getattr(value, "__pydantic_private__", None):
            object.__setattr__(twin, "__pydantic_private__", copy.deepcopy(value.__pydantic_private__))
        return twin
    return copy.deepcopy(value)


class Session(BaseModel):
    """An applicant's draft: the state, the answers and bookkeeping, stored as one JSON row."""

    state: str = "idle"
    answers: dict[str, Any] = Field(default_factory=dict)
    materials: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    meta: Meta = Field(default_factory=Meta)

    @field_validator("meta", mode="wrap")
    @classmethod
    def _tolerant(cls, value: Any, handler) -> Any:
        """Older drafts may hold nulls or a list where a flag is expected: drop what does not fit. A
        draft that fits is validated once; only one that does not is checked key by key (a probe per
        draft, not per key: `model_construct` costs pydantic a signature parse per default factory)."""
        if value is None:
            value = {}
        try:
            return handler(value)
        except ValidationError:
            if not isinstance(value, dict):
                raise
        clean, probe = {}, Meta.model_construct()
        for key, item in value.items():
            spec = Meta.model_fields.get(key)
            if spec is None or item is None:
                continue
            try:
                Meta.__pydantic_validator__.validate_assignment(probe, key, item)
            except ValidationError:
                continue
            clean[key] = item
        return handler(clean)

    @field_serializer("meta")
    def _compact(self, meta: Meta) -> dict[str, Any]:
        return meta.model_dump(mode="json", exclude_defaults=True)


class Checked(BaseModel):
    """The intake worker's verdict on one file, reached before the engine runs (the engine never decodes)."""

    ok: bool
    reason: str = ""  # Chinese, when refused
    limit: str | None = None  # "memory" | "time" | "quota" | "size" when a limit refused it
    kind: str = ""  # "image" | "pdf"
    mime: str = ""
    sha256: str = ""
    pages: int = 0
    width: int | None = None
    height: int | None = None
    size: int = 0  # of the normalised bytes
    data: bytes | None = Field(default=None, repr=False)  # normalised: re-encoded JPEG or rewritten PDF
    seconds: float = 0.0  # worker CPU time on this file
    peak_kb: int = 0  # the worker's peak resident memory


class Upload(BaseModel):
    """One received file; `data`/`path` are None when it was refused before or during download."""

    data: bytes | None = Field(default=None, repr=False)
    path: str | None = None  # the download, spooled to disk
    filename: str | None = None
    size: int | None = None
    group: str | None = None  # Telegram media_group_id of an album
    checked: Checked | None = None


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
    model_config = ConfigDict(frozen=True)  # shared: dialogs.steps.btn hands out one per step, value, label

    label: str
    data: str


class Reply(BaseModel):
    text: str
    buttons: list[list[Button]] = Field(default_factory=list)
    request_contact: bool = False


# Intents: what the runner must do in the same transaction as saving the session. A closed union:
# the runner has one handler per type (bot.runner.HANDLERS), and a test checks none is missing.


class Event(BaseModel):
    """An event for the log (`events` table): `name` and its payload."""

    kind: Literal["event"] = "event"
    name: str
    data: dict[str, Any] = Field(default_factory=dict)


class StoreBlob(BaseModel):
    """An accepted upload: write it to the blob store and record it."""

    kind: Literal["store_blob"] = "store_blob"
    blob: bytes
    sha256: str
    blob_kind: str  # "image" or "pdf"
    mime: str
    pages: int = 1


class Submit(BaseModel):
    kind: Literal["submit"] = "submit"


class Resubmit(BaseModel):
    """Corrected items go back to the department (or the window) that asked for them."""

    kind: Literal["resubmit"] = "resubmit"
    correction: Correction


class Ticket(BaseModel):
    """A question the notice cannot answer, for the help desk."""

    kind: Literal["ticket"] = "ticket"
    question: str
    step: str
    ref: str | None = None
    reason: str | None = None
    candidate: str | None = None  # the bank entry the question most likely belongs to, for staff
    topic: str | None = None  # the out-of-scope class (dialogs.faq_scope.TOPICS), for staff


class Status(BaseModel):
    kind: Literal["status"] = "status"


class Rate(BaseModel):
    """好差评: a score, or a comment on the score given before."""

    kind: Literal["rate"] = "rate"
    ref: str
    score: int | None = None
    comment: str | None = None


class MyData(BaseModel):
    """/mydata: the runner adds what was submitted, where it went and when, and how long it is kept."""

    kind: Literal["my_data"] = "my_data"


class ForgetDraft(BaseModel):
    """/delete confirmed: the draft is already emptied; remove its files (those nothing else uses)."""

    kind: Literal["forget_draft"] = "forget_draft"
    refs: list[str] = Field(default_factory=list)


Intent = Annotated[
    Event | StoreBlob | Submit | Resubmit | Ticket | Status | Rate | MyData | ForgetDraft, Field(discriminator="kind")
]
INTENT_TYPES = (Event, StoreBlob, Submit, Resubmit, Ticket, Status, Rate, MyData, ForgetDraft)


class Outcome(BaseModel):
    replies: list[Reply]
    session: Session
    intents: list[Intent] = Field(default_factory=list)
