"""Canary: known ID, phone and bank numbers through a whole application, a correction, a help-desk
ticket and a rating, with DEBUG logging on; then every place data rests or goes is searched.

No plain value may be found in the database file or its WAL, the blob store, the logs or what staff
chats received; only the department packets hold them, and not the packets of a department whose
age public key is configured. No stored upload starts with an image or PDF signature.
"""

from __future__ import annotations

import re

from pyrage import x25519

from tests.e2e.test_journey import (
    ADMIN_CHAT,
    APPLICANT,
    DESK,
    HELPDESK_CHAT,
    HRSS_CHAT,
    STAFF,
    TAX_CLERK,
    Deployment,
    api,
    contains,
    drive,
    offers,
    say,
)
from tests.scripts import ADULT_MAN, ELIGIBILITY, FORM, MATERIALS, SUBMIT

__all__ = ["api"]  # the fake Bot API fixture, shared with the journey

ID, PHONE, BANK = ADULT_MAN, "13912340987", "6222021234567890128"
FORM_PHONE = "13812345678"  # the scripts' phone (also the prompt's example): replaced by ours
WRITTEN = {  # how the applicant types them, besides the plain digits
    "id": ["1301 0219 9003 0712 33", "130102-19900307-1233"],
    "phone": ["139-1234-0987", "139 1234 0987"],
    "bank": ["6222 0212 3456 7890 128", "6222-0212-3456-7890-128"],
}
NAME, STREET = "张𫖮", "建设北大街12号"
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"%PDF", b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*", b"PK\x03\x04")


def needles() -> list[bytes]:
    values = [ID, PHONE, BANK, *[w for ws in WRITTEN.values() for w in ws]]
    out = [v.encode() for v in values]
    for text in (NAME, STREET):
        out += [text.encode(), text.encode("unicode_escape"), text.encode("utf-16-le")]
    return out


def found_in(data: bytes) -> list[str]:
    return [n.decode(errors="replace") for n in needles() if n in data]


async def test_no_plain_personal_data_at_rest_in_logs_or_staff_chats(api, tmp_path):
    dep = Deployment(api, tmp_path / "data")
    tax_key = x25519.Identity.generate()
    dep.env.update(
        LOG_LEVEL="DEBUG", AUTO_ACCEPT="true", DISPATCH__DEPARTMENTS__TAX__PUBLIC_KEY=str(tax_key.to_public())
    )
    try:
        await _journey(api, dep)
    finally:
        dep.kill()  # kill -9: the WAL stays as it was, with whatever it held
        print(dep.output())
    data = dep.data_dir

    # The database file, its WAL and shared memory.
    db_files = [p for p in data.glob("assistant.db*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in db_files), [p.name for p in db_files]
    for p in db_files:
        assert not found_in(p.read_bytes()), (p.name, found_in(p.read_bytes()))

    # The blob store: ciphertext only, names unrelated to content, no file signature at the start.
    blobs = [p for p in (data / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) >= 3
    for p in blobs:
        raw = p.read_bytes()
        assert not raw.startswith(SIGNATURES) and raw.startswith(b"HBE1"), p
        assert not found_in(raw)

    # The logs (the bot at DEBUG, and every CLI call) and what every staff chat received.
    outputs = [entry.split("\n", 1)[-1] for entry in dep.cli_log]  # without the test's own "$ bot argv" line
    logs = "\n".join(dep.log_lines() + outputs)
    assert " DEBUG " in logs
    assert not found_in(logs.encode()), found_in(logs.encode())
    staff_chats = [
        c
        for c in api.calls
        if c.method in ("sendMessage", "editMessageText") and str(c.params.get("chat_id")) != str(APPLICANT)
    ]
    assert {str(HELPDESK_CHAT), str(HRSS_CHAT)} <= {str(c.params["chat_id"]) for c in staff_chats}
    for c in staff_chats:
        assert not found_in(c.text.encode()), (c.params["chat_id"], c.text)

    # The applicant never had a full number echoed back (none was asked for).
    for c in api.messages(APPLICANT):
        assert not [v for v in (ID, PHONE, BANK) if v in re.sub(r"[\s-]", "", c.text)], c.text

    # Department packets: the plain folder holds the values (by design); the keyed one does not.
    medical = data / "outbox" / "medical"
    assert any(found_in(p.read_bytes()) for p in medical.rglob("data.json"))
    tax = [p for p in (data / "outbox" / "tax").rglob("*") if p.is_file() and p.name != "receipt.json"]
    assert tax and all(p.suffix == ".age" and not found_in(p.read_bytes()) for p in tax)
    import pyrage

    opened = [pyrage.decrypt(p.read_bytes(), [tax_key]) for p in tax if p.name == "data.json.age"]
    assert opened and all(BANK.encode() in raw for raw in opened)

    # Key file: owner-only, in the 0700 data directory.
    assert oct((data / "keys.json").stat().st_mode & 0o777) == "0o600"
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    for p in db_files:
        assert oct(p.stat().st_mode & 0o777) == "0o600", p


async def _journey(api, dep: Deployment) -> None:
    await dep.cli("staff", "add", *STAFF[0])
    for row in STAFF[1:]:
        await dep.cli("staff", "add", *row)
    await dep.start()
    form = [("text", WRITTEN["phone"][0]) if v == FORM_PHONE else (k, v) for k, v in FORM]
    await drive(api, APPLICANT, [("text", "/start"), *ELIGIBILITY, *form], offers(MATERIALS[0][1]))

    question = (
        f"我的身份证{WRITTEN['id'][0]}，手机{WRITTEN['phone'][1]}，卡号{WRITTEN['bank'][1]}，"
        f"退休后每个月能领多少养老金？"
    )
    await say(api, APPLICANT, lambda: api.push_text(APPLICANT, question), offers(MATERIALS[0][1]))
    ticket = (await api.wait_for_reply(HELPDESK_CHAT, contains("工单 #"), timeout=10))[-1]
    await dep.until(
        "ticket message recorded",
        lambda: dep.query(
            "SELECT 1 FROM tickets WHERE staff_chat_id = ? AND staff_message_id = ?",
            HELPDESK_CHAT,
            ticket.result["message_id"],
        ),
    )
    answer = f"您好，已核对尾号{BANK[-4:]}的账户，养老金请到社保经办机构测算。"
    await say(
        api,
        HELPDESK_CHAT,
        lambda: api.push_text(DESK, answer, chat_id=HELPDESK_CHAT, reply_to=ticket.result["message_id"]),
        contains("已转达申请人"),
    )

    got = await drive(api, APPLICANT, MATERIALS + SUBMIT, contains("提交成功"))
    ref = re.search(r"受理编号：(LJ[\w-]+)", got[-1].text).group(1)
    for dept in ("medical", "tax"):
        await dep.until(
            f"{dept} folder", lambda d=dept: (dep.data_dir / "outbox" / d / f"{ref}-v1" / "receipt.json").is_file()
        )

    # The tax clerk asks for the bank account again; the re-ask shows it masked.
    await dep.cli("packets", "decide", ref, "--dept", "tax", "--as", str(TAX_CLERK), "--claim")
    await dep.cli(
        "packets",
        "decide",
        ref,
        "--dept",
        "tax",
        "--as",
        str(TAX_CLERK),
        "--correct",
        f"银行账号{WRITTEN['bank'][0]}有误，请核对后重新填写",
        "--fields",
        "bank_account",
    )
    await api.wait_for_reply(APPLICANT, offers(f"c|tax|{ref}"), timeout=10)
    got = await say(api, APPLICANT, lambda: api.push_callback(APPLICANT, f"c|tax|{ref}"))
    assert any("6222 **** **** 0128" in c.text for c in got), [c.text for c in got]
    await say(api, APPLICANT, lambda: api.push_text(APPLICANT, WRITTEN["bank"][1]), offers("review|ok"))
    await say(api, APPLICANT, lambda: api.push_callback(APPLICANT, "review|ok"), offers("commitment|accept"))
    await say(api, APPLICANT, lambda: api.push_callback(APPLICANT, "commitment|accept"), contains("补正内容已提交"))
    await dep.until("tax v2", lambda: (dep.data_dir / "outbox" / "tax" / f"{ref}-v2" / "receipt.json").is_file())

    for dept, clerk in (("hrss", STAFF[1][0]), ("medical", STAFF[2][0]), ("tax", str(TAX_CLERK))):
        await dep.cli("packets", "decide", ref, "--dept", dept, "--as", clerk, "--done")
    await api.wait_for_reply(APPLICANT, offers(f"r|1|{ref}"), timeout=10)
    await say(api, APPLICANT, lambda: api.push_callback(APPLICANT, f"r|1|{ref}"), contains("感谢"))
    await say(
        api, APPLICANT, lambda: api.push_text(APPLICANT, f"太慢了，我的手机{WRITTEN['phone'][0]}"), contains("已收到")
    )
    await api.wait_for_reply(HELPDESK_CHAT, contains("差评回访"), timeout=10)
    await say(api, APPLICANT, lambda: api.push_command(APPLICANT, "status"), contains(ref))
    assert not api.messages(ADMIN_CHAT)
