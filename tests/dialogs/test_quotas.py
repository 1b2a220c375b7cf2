"""Upload quotas in the engine: files per slot and bytes per application; the verdict arrives as data."""

from __future__ import annotations

import hashlib

from dialogs.materials import MAX_APPLICATION_BYTES, MAX_FILES_PER_SLOT
from dialogs.model import Checked, Upload, UserInput
from tests.scripts import ELIGIBILITY, FORM, MATERIALS, jpeg


def checked_file(n: int, size: int = 1000) -> Upload:
    sha = hashlib.sha256(str(n).encode()).hexdigest()
    return Upload(checked=Checked(ok=True, kind="image", mime="image/jpeg", sha256=sha, pages=1, size=size, data=b"x"))


def test_a_slot_takes_at_most_its_quota_of_files(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS[:1])
    chat.send("upload", [checked_file(n) for n in range(MAX_FILES_PER_SLOT + 5)])
    assert len(chat.session.materials["household"]) == MAX_FILES_PER_SLOT
    assert len([i for i in chat.intents if i.kind == "store_blob"]) == MAX_FILES_PER_SLOT
    assert f"最多{MAX_FILES_PER_SLOT}个文件" in chat.text
    chat.send("upload", [checked_file(999)])
    assert len(chat.session.materials["household"]) == MAX_FILES_PER_SLOT and not chat.intents


def test_an_application_takes_at_most_its_quota_of_bytes(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS[:1])
    big = MAX_APPLICATION_BYTES // 3
    chat.send("upload", [checked_file(n, size=big) for n in range(4)])
    assert len(chat.session.materials["household"]) == 3
    assert "合计不能超过100MB" in chat.text


def test_a_refused_verdict_is_shown_and_nothing_is_stored(chat):
    chat.run(ELIGIBILITY + FORM + MATERIALS[:1])
    chat.send("upload", [Upload(checked=Checked(ok=False, reason="文件处理超时，无法接收。", limit="time"))])
    assert "文件未被接收：文件处理超时" in chat.text and not chat.intents
    raw = UserInput(kind="upload", files=[Upload(data=jpeg("red"))], now=chat.now, account="telegram:1")
    out = chat.engine.handle(chat.session, raw)  # the engine never judges bytes itself
    assert "文件未被接收" in "".join(r.text for r in out.replies) and not out.intents
