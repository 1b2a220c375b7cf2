"""Freezing a finished draft into the immutable application record (data as JSON)."""

from __future__ import annotations

from typing import Any

from dialogs import notice
from dialogs.form import FIELDS, applies
from dialogs.materials import SLOTS, required_slots
from dialogs.model import Session

SCHEMA_VERSION = "hebei-flexjob/1"
FLAG_KEYS = ("age_borderline", "age_unverified", "retire_date", "sex_declared")


def freeze(s: Session) -> dict[str, Any]:
    answers = {f.key: s.answers.get(f.key) for f in FIELDS if applies(f, s.answers)}
    slots = required_slots(s)
    if s.answers.get("archive_entrusted") == "unsure" and s.materials.get("archive_letter"):
        slots.insert(-2, "archive_letter")
    return {
        "schema_version": SCHEMA_VERSION,
        "answers": answers,
        "eligibility": {k: s.answers.get(k) for k in ("birth", "archive", "situation")},
        "materials": {k: {"title": SLOTS[k].title, "files": s.materials.get(k) or []} for k in slots},
        "material_answers": {k: s.answers.get(k) for k in ("doc_choice", "archive_entrusted")},
        "flags": {k: getattr(s.meta, k) for k in FLAG_KEYS if getattr(s.meta, k) is not None}
        | ({"archive_unsure": True} if s.answers.get("archive") == "unsure" else {}),
        "commitment": s.meta.commitment.model_dump(mode="json", exclude_none=True) if s.meta.commitment else None,
        "consent": {"version": s.meta.consent_version, "agreed_at": s.meta.consent_at},
        "notice": {
            "version": s.meta.notice_version,
            "acknowledged_at": s.meta.notice_ack_at,
            "current_version": notice.NOTICE_VERSION,
        },
    }
