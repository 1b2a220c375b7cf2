"""The one set of materials (表1): one upload slot per material, checked by content."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs import departments, notice
from dialogs.model import Reply, Session, StoreBlob
from dialogs.steps import Again, BaseStep, Done, Stay, btn, nav

LIMITS = "可发送照片或文件（PDF、JPG、PNG），单个文件不超过20MB。"
MAX_FILES_PER_SLOT = 20
MAX_APPLICATION_BYTES = 100 << 20  # all materials of one application, as stored


@dataclass(frozen=True)
class Slot:
    key: str
    title: str
    note: str
    multi: bool
    images_only: bool = False

    @property
    def departments(self) -> frozenset[str]:
        """Who receives this material: stated per department in dialogs.departments."""
        return departments.receiving_material(self.key)


SLOTS = {
    "household": Slot("household", "户口簿本人页", "户口簿本人页。扫描PDF或拍照上传", True),
    "contract": Slot("contract", "有效期内劳动合同", "劳动合同全部页面。扫描PDF或逐页拍照上传", True),
    "archive_letter": Slot(
        "archive_letter",
        "转出档案介绍信或解除终止劳动关系协议",
        "档案在原存档机构为单位集体委托的须提供该材料，单位加盖公章，扫描PDF",
        True,
    ),
    "id_front": Slot("id_front", "居民身份证（人像面）", "上传身份证正反面：本步上传人像面", False, images_only=True),
    "id_back": Slot("id_back", "居民身份证（国徽面）", "上传身份证正反面：本步上传国徽面", False, images_only=True),
}


def required_slots(s: Session) -> list[str]:
    doc = "contract" if s.answers.get("doc_choice") == "contract" else "household"
    needed = [doc]
    if s.answers.get("archive_entrusted") == "yes":
        needed.append("archive_letter")
    return [*needed, "id_front", "id_back"]


def used_in_other_slot(s: Session, key: str, sha256: str) -> str | None:
    """The title of another material of this application that already is this very file."""
    return next(
        (
            SLOTS[k].title
            for k, files in s.materials.items()
            if k != key and k in SLOTS and any(f["sha256"] == sha256 for f in files or [])
        ),
        None,
    )


def checklist(s: Session) -> str:
    lines = ["材料清单："]
    for key in required_slots(s):
        files = s.materials.get(key) or []
        mark = "✅" if files else "⬜"
        lines.append(f"{mark} {SLOTS[key].title}" + (f"（{len(files)}个文件）" if files else ""))
    if s.answers.get("archive_entrusted") == "unsure":
        files = s.materials.get("archive_letter") or []
        lines.append(("✅ " if files else "▫️ ") + SLOTS["archive_letter"].title + "（如有请上传）")
    return "\n".join(lines)


class DocChoice(BaseStep):
    name = "m_doc_choice"
    expects_choice = staticmethod(lambda s: True)

    def prompt(self, s, inp):
        return [
            Reply(
                text=(
                    "上传材料 1：户口簿或有效期内劳动合同（二选一）。\n"
                    "备注：户口簿本人页或劳动合同全部页面。请选择您要上传的材料："
                ),
                buttons=[
                    [btn(self.name, "household", "户口簿本人页"), btn(self.name, "contract", "有效期内劳动合同")],
                    *nav(self.name),
                ],
            )
        ]

    def accept(self, s, inp):
        value = self.choice_value(inp)
        if value in ("household", "contract"):
            return Done(values={"doc_choice": value})
        return Again("请点击按钮选择“户口簿本人页”或“有效期内劳动合同”。")


class Entrusted(BaseStep):
    name = "m_entrusted"
    expects_choice = staticmethod(lambda s: True)

    def prompt(self, s, inp):
        return [
            Reply(
                text=(
                    "上传材料 2：您的档案在原存档机构是否为原单位集体委托存放的？\n"
                    "（例如原单位统一把职工档案委托给人才服务机构保管。）"
                ),
                buttons=[
                    [btn(self.name, "yes", "是"), btn(self.name, "no", "否"), btn(self.name, "unsure", "不清楚")],
                    *nav(self.name),
                ],
            )
        ]

    def accept(self, s, inp):
        value = self.choice_value(inp)
        if value in ("yes", "no", "unsure"):
            return Done(values={"archive_entrusted": value})
        return Again("请点击“是”“否”或“不清楚”。")


class UploadStep(BaseStep):
    def __init__(self, slot_key: str | None, name: str):
        self.slot_key = slot_key
        self.name = name

    def slot(self, s: Session) -> Slot:
        if self.slot_key:
            return SLOTS[self.slot_key]
        return SLOTS["contract" if s.answers.get("doc_choice") == "contract" else "household"]

    def requested(self, s: Session) -> bool:
        """A department asked for this material again: it must be uploaded, whatever was answered."""
        return s.meta.correction is not None and self.slot(s).key in s.meta.correction.materials

    def applies(self, s):
        if self.name == "m_letter" and not self.requested(s):
            return s.answers.get("archive_entrusted") in ("yes", "unsure")
        return True

    def optional(self, s):
        return self.name == "m_letter" and s.answers.get("archive_entrusted") == "unsure" and not self.requested(s)

    def prompt(self, s, inp):
        slot = self.slot(s)
        files = s.materials.get(slot.key) or []
        text = f"请上传：{slot.title}\n备注：{slot.note}\n"
        text += "可发送照片（JPG、PNG），单个文件不超过20MB。" if slot.images_only else LIMITS
        if slot.multi:
            text += "\n多页材料可逐页拍照连续发送，或合成一个PDF；全部发送后点“完成”。"
        if slot.key == "archive_letter":
            text += "\n\n" + notice.LETTER_SAMPLE
        text += "\n\n" + checklist(s)
        buttons = []
        if files:
            buttons.append([btn(self.name, "done", f"✅ 完成（已收到{len(files)}个文件）")])
            buttons.append([btn(self.name, "clear", "🗑 删除已上传的文件，重新上传")])
        skip = "本项不上传" if self.optional(s) else None
        return [Reply(text=text, buttons=[*buttons, *nav(self.name, skip=skip)])]

    def accept(self, s, inp):
        slot = self.slot(s)
        value = self.choice_value(inp)
        files = list(s.materials.get(slot.key) or [])
        if value == "done":
            return Done() if files else Again("还没有收到文件，请先上传。")
        if value == "clear":
            return Stay([Reply(text=f"已删除“{slot.title}”的全部文件，请重新上传。")], materials={slot.key: []})
        if inp.kind != "upload" or not inp.files:
            return Again(f"这一步需要上传{slot.title}的照片或文件，请直接发送照片或文件。")
        notes, intents = [], []
        if not slot.multi:
            files = []
        for up in inp.files if slot.multi else inp.files[-1:]:
            checked = up.checked  # judged by the intake workers before the engine runs
            if checked is None:
                notes.append("文件未被接收，请重新发送。")
                continue
            if not checked.ok:
                notes.append(f"文件未被接收：{checked.reason}")
                continue
            if slot.images_only and checked.kind != "image":
                notes.append("身份证请以照片（JPG、PNG）上传。")
                continue
            if any(f["sha256"] == checked.sha256 for f in files):
                notes.append("这个文件已经上传过了。")
                continue
            if len(files) >= MAX_FILES_PER_SLOT:
                notes.append(
                    f"“{slot.title}”最多{MAX_FILES_PER_SLOT}个文件，其余未接收。页数较多时请合成一个PDF后上传。"
                )
                continue
            stored = sum(f.get("size") or 0 for key, fs in s.materials.items() if key != slot.key for f in fs)
            if stored + sum(f.get("size") or 0 for f in files) + checked.size > MAX_APPLICATION_BYTES:
                notes.append("全部材料合计不能超过100MB，该文件未接收。请压缩或降低扫描分辨率后重新上传。")
                continue
            elsewhere = used_in_other_slot(s, slot.key, checked.sha256)
            if elsewhere:
                notes.append(f"这个文件已作为“{elsewhere}”上传，同一个文件不能用于两项材料，请上传{slot.title}。")
                continue
            if (
                self.requested(s)
                and checked.sha256 in s.meta.correction.rejected.get(slot.key, [])
                and s.meta.pending_value != {"step": self.name, "sha256": checked.sha256}
            ):
                return Stay(
                    [
                        Reply(
                            text=(
                                f"这正是部门要求补正前您上传的同一个文件（{slot.title}）。如确认无误，请再发送一次；"
                                "否则请重新拍照或扫描后上传。"
                            ),
                            buttons=nav(self.name),
                        )
                    ],
                    meta={"pending_value": {"step": self.name, "sha256": checked.sha256}},
                )
            files.append(
                {
                    "sha256": checked.sha256,
                    "kind": checked.kind,
                    "mime": checked.mime,
                    "pages": checked.pages,
                    "size": checked.size,
                }
            )
            intents.append(
                StoreBlob(
                    blob=checked.data,
                    sha256=checked.sha256,
                    blob_kind=checked.kind,
                    mime=checked.mime,
                    pages=checked.pages,
                )
            )
        changed = {slot.key: files}
        if not intents:
            return Again("\n".join(notes) or "文件未被接收，请重新发送。", materials=changed)
        if not slot.multi:
            return Done(
                notes=[Reply(text="\n".join([f"已收到{slot.title}。", *notes]))], intents=intents, materials=changed
            )
        after = s.model_copy(update={"materials": {**s.materials, **changed}})
        text = "\n".join(
            [
                f"已收到{len(intents)}个文件，{slot.title}共{len(files)}个文件。",
                *notes,
                "还有其他页请继续发送；全部发送后点“完成”。",
                "",
                checklist(after),
            ]
        )
        return Stay(
            [Reply(text=text, buttons=[[btn(self.name, "done", "✅ 完成")], *nav(self.name)])],
            intents=intents,
            materials=changed,
        )


STEPS = (
    DocChoice(),
    UploadStep(None, "m_doc"),
    Entrusted(),
    UploadStep("archive_letter", "m_letter"),
    UploadStep("id_front", "m_id_front"),
    UploadStep("id_back", "m_id_back"),
)
MATERIAL_STEPS = tuple(step.name for step in STEPS)
STEP_OF_SLOT = {
    "household": "m_doc",
    "contract": "m_doc",
    "archive_letter": "m_letter",
    "id_front": "m_id_front",
    "id_back": "m_id_back",
}
