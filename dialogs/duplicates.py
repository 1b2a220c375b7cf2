"""Repeated answers: a text equal to the previous field's answer, or a file already used, is confirmed first."""

from __future__ import annotations

import hashlib

from dialogs.callbacks import RepeatCb
from dialogs.form import ASKED
from dialogs.materials import SLOTS
from dialogs.model import Button, LastText, Repeat, Reply, Session, UserInput

LABELS = {f.step: f.label for f in ASKED}


def _digest(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def remember(s: Session, state: str, inp: UserInput) -> None:
    """After an answer was taken: of a text, keep only its digest, to compare the next answer with."""
    s.meta.last_text = LastText(step=state, sha=_digest(inp.text.strip())[:32]) if inp.kind == "text" else None


def _ask(what: str) -> Reply:
    return Reply(
        text=(
            f"您发送的内容与{what}完全相同，可能是重复发送。\n如确需使用，请点“仍然使用”；否则请点“不是，重新填写”。"
        ),
        buttons=[
            [
                Button(label="仍然使用", data=RepeatCb("use").pack()),
                Button(label="不是，重新填写", data=RepeatCb("drop").pack()),
            ]
        ],
    )


def check_text(s: Session, inp: UserInput) -> Reply | None:
    """A confirmation question when a text repeats the previous field's answer, else None."""
    last = s.meta.last_text
    if inp.kind != "text" or last is None or last.step == s.state:
        return None
    if last.sha != _digest(inp.text.strip())[:32]:
        return None
    s.meta.repeat = Repeat(state=s.state, kind="text", text=inp.text)
    label = LABELS.get(last.step)
    return _ask(f"上一项“{label}”的回答" if label else "上一项的回答")


def check_files(s: Session, slot: str, taken: list[str]) -> Reply | None:
    """A confirmation question when a file just taken for `slot` is already used for another one."""
    allowed = set(s.meta.repeat_allowed)
    used = {f["sha256"]: key for key, files in s.materials.items() if key != slot for f in files or []}
    for sha in taken:
        if sha in used and sha not in allowed:
            s.meta.repeat = Repeat(state=s.state, kind="file", sha=sha)
            title = SLOTS[used[sha]].title if used[sha] in SLOTS else "已上传的材料"
            return _ask(f"已上传的“{title}”")
    return None


def resolve(s: Session, choice: RepeatCb | None, inp: UserInput) -> tuple[str, UserInput | None, Reply | None]:
    """The answer to the confirmation: ("stale"|"drop"|"use", the input to take now, a note)."""
    pending, s.meta.repeat = s.meta.repeat, None
    value = choice.choice if choice is not None else ""
    if pending is None or pending.state != s.state or value not in ("use", "drop"):
        return "stale", None, None
    if value == "drop":
        return "drop", None, Reply(text="好的，已忽略重复发送的内容。")
    if pending.kind == "text":
        s.meta.last_text = None
        return "use", UserInput(kind="text", text=pending.text or "", now=inp.now, account=inp.account), None
    s.meta.repeat_allowed = sorted({*s.meta.repeat_allowed, pending.sha or ""})
    return "use", None, Reply(text="好的，请再发送一次这个文件。")
