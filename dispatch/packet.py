"""One department's packet (form PDF, materials PDF, data.json) built from the frozen application."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dialogs import departments, notice
from dialogs.clock import local_text, utc, utcnow
from dialogs.fields import display_value
from dialogs.form import BY_KEY, FIELDS, SECTION_NOTES, SECTIONS, FieldSpec, Kind, option_label
from dialogs.idnumbers import ID_TYPE_LABELS
from dialogs.options import UNDECIDED_NAME
from dispatch import routing
from storage.blobs import BlobCorrupted, BlobStore

if TYPE_CHECKING:
    from dispatch.formpdf import FormDocument, FormRow
# dispatch.formpdf (fpdf, fontTools, pypdf, PIL) is imported when a PDF is rendered, in the worker:
# the bot process imports this module for Packet and the data.json only.

SCHEMA_VERSION = "hebei-flexjob-packet/1"
ALL = "all"
TITLE = "灵活就业“一件事一次办”申报表单"
MAX_BOXES = 8  # choice fields with more options (民族, 学历...) show the chosen name only
EXTRAS = {d.key: d.extras for d in departments.DEPARTMENTS} | {ALL: ("eligibility", "flags")}


@dataclass(frozen=True)
class PacketSource:
    """A snapshot of what a packet is built from, safe to hand to a worker thread."""

    ref: str
    version: int
    data: dict[str, Any]
    accepted_at: datetime | None = None
    deadline: date | None = None
    deadline_provisional: bool = False
    case_id: int | None = None

    @classmethod
    def of(cls, app: Any, case_id: int | None = None) -> PacketSource:
        return cls(
            ref=app.ref,
            version=app.version,
            data=json.loads(json.dumps(app.data)),
            accepted_at=app.accepted_at,
            deadline=app.deadline,
            deadline_provisional=bool(app.deadline_provisional),
            case_id=case_id,
        )


@dataclass
class Packet:
    ref: str
    department: str
    version: int
    files: dict[str, bytes]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The idempotency key: the department sees one effect per (application, department, version)."""
        return delivery_key(self.ref, self.department, self.version)


def delivery_key(ref: str, department: str, version: int) -> str:
    return f"{ref}:{department}:v{version}"


def build_packet(
    source: PacketSource, dept: str, blobs: BlobStore, *, render_pdfs: bool = True, now: datetime | None = None
) -> Packet:
    """Blocking (about 1–2 s with PDFs): call through asyncio.to_thread."""
    if dept == ALL:
        fields, materials = routing.all_fields(source.data), routing.all_materials(source.data)
    else:
        fields, materials = routing.fields_for(dept, source.data), routing.materials_for(dept, source.data)
    now = utc(now or utcnow())
    meta = {
        "case_id": source.case_id,
        "deadline": source.deadline.isoformat() if source.deadline else None,
        "deadline_provisional": source.deadline_provisional,
        "name": fields.get("name") or (source.data.get("answers") or {}).get("name"),
    }
    files: dict[str, bytes] = {"data.json": _data_json(source, dept, fields, materials)}
    if render_pdfs:
        from dispatch.formpdf import document_set, materials_pdf, photo_set, render_form_pdf

        # The form's font subset is made from this department's own form only: a subset shared with
        # the other departments' forms would embed glyphs of characters only they print.
        document = form_document(source, dept, fields, now)
        with document_set(document):
            files["form.pdf"] = render_form_pdf(document)
        if any(m.get("files") for m in materials.values()):
            unreadable: list[str] = []
            # The application's photos are rendered once for all its departments; each bundle takes
            # only its own materials' pages from that set, and loads no photo the set already shows.
            everything = routing.all_materials(source.data)
            photos = photo_set(_photo_key(everything), lambda: _parts(blobs, everything))
            files["materials.pdf"] = materials_pdf(_parts(blobs, materials, photos), unreadable, photos)
            meta["unreadable"] = unreadable
    return Packet(ref=source.ref, department=dept, version=source.version, files=files, meta=meta)


def _parts(
    blobs: BlobStore, materials: dict[str, Any], photos: Any = None
) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """Each material's files, loaded from the store; with `photos` (a formpdf.PhotoSet), a photo the
    set already shows stays unloaded (formpdf.Held: its reference only)."""
    if photos is not None:
        from dispatch.formpdf import Held, photo_caption
    out = []
    for m in materials.values():
        files = m.get("files") or []
        items = []
        for number, f in enumerate(files, 1):
            caption = photo_caption(m["title"], number, len(files)) if photos is not None else ""
            if photos is not None and f.get("kind") == "image" and photos.holds(caption, f.get("sha256")):
                items.append(("image", Held(f["sha256"])))
            else:
                items.append(_material(blobs, f))
        out.append((m["title"], items))
    return out


def _photo_key(materials: dict[str, Any]) -> tuple:
    """Names every file of `materials` by title, place and content hash (the blob store checks the
    bytes it returns against it): equal keys, equal photo pages."""
    return tuple(
        (m["title"], tuple((f.get("kind"), f.get("sha256")) for f in m.get("files") or [])) for m in materials.values()
    )


def _material(blobs: BlobStore, f: dict[str, Any]) -> tuple[str, bytes]:
    """A stored file for the bundle; one that is gone or altered stands as a placeholder page."""
    try:
        return f["kind"], blobs.get(f["sha256"])
    except (OSError, ValueError, BlobCorrupted, Exception):  # noqa: BLE001 - whatever the store raises
        return "missing", b""


def build_full_packet(source: PacketSource, blobs: BlobStore, **kw: Any) -> Packet:
    """The window's and staff's packet: the union of all departments' fields and materials."""
    return build_packet(source, ALL, blobs, **kw)


def form_document(source: PacketSource, dept: str, fields: dict[str, Any], now: datetime) -> FormDocument:
    from dispatch.formpdf import FormDocument, FormSection

    sections = []
    for section in SECTIONS:
        rows = [form_row(spec, fields[spec.key]) for spec in FIELDS if spec.section == section and spec.key in fields]
        if rows:
            sections.append(FormSection(section, rows, note=SECTION_NOTES.get(section)))
    commitment = source.data.get("commitment") or {}
    title = TITLE if dept == ALL else f"{TITLE}（{departments.get(dept).title}）"
    return FormDocument(
        title=title,
        reference=f"{source.ref}（第{source.version}版）",
        sections=sections,
        commitment=commitment.get("text") or notice.COMMITMENT,
        signer=str((source.data.get("answers") or {}).get("name") or ""),
        signed_at=local_text(commitment.get("accepted_at")),
        generated_at=local_text(now),
        signed_how="窗口当面确认" if commitment.get("in_person") else "线上确认",
    )


def form_row(spec: FieldSpec, value: Any) -> FormRow:
    from dispatch.formpdf import FormRow

    if spec.key == "archive_agency_code" and value not in (None, ""):
        # 转入机构编号 is the code; 档案转入机构 (its own row) the name
        name = option_label(spec, str(value))
        if name == UNDECIDED_NAME:
            return FormRow(spec.label, UNDECIDED_NAME, required=spec.required or spec.starred)
        note = "（默认编号，以经办机构为准）" if spec.configured_default else ""
        return FormRow(spec.label, f"{value}{note}", required=spec.required or spec.starred)
    if spec.key == "id_type" and value:
        return FormRow(spec.label, ID_TYPE_LABELS.get(value, str(value)), required=spec.required or spec.starred)
    if spec.kind == Kind.choice and spec.options and len(spec.options) <= MAX_BOXES:
        chosen = [dict(spec.options).get(str(value), str(value))] if value not in (None, "") else []
        return FormRow(
            spec.label,
            "",
            required=spec.required or spec.starred,
            options=[label for _, label in spec.options],
            chosen=chosen,
        )
    if spec.kind == Kind.date and value:  # 表2 prints dates as 年 月 日
        d = date.fromisoformat(str(value))
        return FormRow(spec.label, f"{d.year}年{d.month}月{d.day}日", required=spec.required or spec.starred)
    text = "" if value in (None, "") else display_value(spec, value)
    return FormRow(spec.label, text, required=spec.required or spec.starred)


def _text(spec: FieldSpec, value: Any) -> str:
    row = form_row(spec, value)
    return row.value or "、".join(row.chosen or [])


def _data_json(source: PacketSource, dept: str, fields: dict[str, Any], materials: dict[str, Any]) -> bytes:
    doc = {
        "schema_version": SCHEMA_VERSION,
        "ref": source.ref,
        "version": source.version,
        "department": dept,
        "department_name": departments.NAMES.get(dept, "一窗综合受理"),
        "tasks": departments.TASKS.get(dept, "全部事项"),
        "accepted_at": utc(source.accepted_at).isoformat() if source.accepted_at else None,
        "deadline": source.deadline.isoformat() if source.deadline else None,
        "deadline_provisional": source.deadline_provisional,
        "fields": {k: {"label": BY_KEY[k].label, "value": v, "text": _text(BY_KEY[k], v)} for k, v in fields.items()},
        "materials": {
            k: {
                "title": m["title"],
                "files": [
                    {key: f.get(key) for key in ("sha256", "kind", "mime", "pages", "size")}
                    for f in m.get("files") or []
                ],
            }
            for k, m in materials.items()
        },
        "commitment": {k: (source.data.get("commitment") or {}).get(k) for k in ("text", "accepted_at")},
    }
    for extra in EXTRAS.get(dept, ()):
        doc[extra] = source.data.get(extra)
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False, default=str).encode()
