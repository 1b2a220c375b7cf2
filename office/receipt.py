"""The window's acceptance receipt (受理回执) as an A4 PDF, with the binding code and its QR code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

import segno
from fpdf import XPos, YPos
from fpdf.enums import MethodReturnValue, WrapMode

from dialogs.clock import BEIJING, utc
from dialogs.notice import SIX_MATTERS, TIME_LIMIT_DAYS
from dispatch.formpdf import _LABEL, FONT, _new_pdf, _output

TITLE = "灵活就业“一件事一次办”受理回执"
QR_SCALE = 4  # pixels per module in the embedded PNG
FIXED_TEXT = "办理事项后续办理查询进度请妥善保管本回执受理窗口（盖章）日期：0123456789年月日"  # for the font subset
NO_LINE_START = "。，、；：？！）》」』”’"  # Chinese punctuation never begins a line (kinsoku)


@dataclass(frozen=True)
class Receipt:
    ref: str
    name: str
    masked_id: str
    accepted_at: datetime
    deadline: date
    provisional: bool
    window: str
    staff_number: str
    phone: str
    code: str
    code_expires: datetime | None
    qr_payload: str


def qr_payload(code: str, bot_username: str = "") -> str:
    """A t.me link that starts the bot with the code, or the command itself when no bot name is set."""
    plain = code.replace("-", "")
    return f"https://t.me/{bot_username.lstrip('@')}?start=bind_{plain}" if bot_username else f"/bind {plain}"


def qr_png(payload: str) -> bytes:
    out = BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=QR_SCALE, border=2)
    return out.getvalue()


def _day(d: date | datetime) -> str:
    if isinstance(d, datetime):
        d = utc(d).astimezone(BEIJING)
    return f"{d.year}年{d.month}月{d.day}日"


def lines(r: Receipt) -> dict[str, list[str] | list[tuple[str, str]]]:
    deadline = f"{TIME_LIMIT_DAYS}个工作日，{_day(r.deadline)}前办结" + (
        "（法定节假日安排公布后可能顺延，届时另行告知）" if r.provisional else ""
    )
    if r.code:
        telegram = (
            f"1. Telegram：在 Telegram 中打开本服务的机器人，发送“/bind {r.code}”（或用手机扫描右侧二维码），"
            "绑定后发送 /status 即可随时查看进度，办理结果也会在 Telegram 中通知您。"
        )
        code = [
            f"绑定码：{r.code}",
            f"只能使用一次，{_day(r.code_expires)}前有效。绑定码相当于查询凭证，请勿交给他人。",
        ]
    else:
        telegram = "1. Telegram：本申请已与申请人的 Telegram 账号关联，发送 /status 即可查看进度。"
        code = ["本申请已关联 Telegram 账号", "如需更换关联的账号，请携带身份证件到窗口办理。"]
    return {
        "facts": [
            ("受理编号", r.ref),
            ("申请人", r.name),
            ("证件号码", r.masked_id),
            ("受理日期", _day(r.accepted_at)),
            ("办结时限", deadline),
            ("受理窗口", r.window),
            ("受理人员工号", r.staff_number),
        ],
        "matters": [f"{i}. {m}" for i, m in enumerate(SIX_MATTERS, 1)],
        "next": [
            "窗口已将您的申报表单和申报材料录入上传，推送至人社、医保、税务部门并联办理，您无需再到各部门提交。",
            "各部门办结后将告知办理结果；如需补正信息或材料，将告知需要补正的内容和原因。",
        ],
        "follow": [
            telegram,
            "2. 窗口：携带本回执和身份证件，到“一件事一次办”窗口查询。",
            f"3. 电话：拨打 {r.phone}，报受理编号查询。没有智能手机或不使用 Telegram 的，可通过窗口或电话查询。",
        ],
        "code": code,
    }


def _wrapped(pdf, text: str, width: float) -> list[str]:
    """Character-wrapped lines, pulling a character down so no line starts with closing punctuation."""
    lines = pdf.multi_cell(width, 1, text, dry_run=True, wrapmode=WrapMode.CHAR, output=MethodReturnValue.LINES)
    for i in range(1, len(lines)):
        while lines[i][:1] and lines[i][0] in NO_LINE_START and len(lines[i - 1]) > 1:
            lines[i - 1], lines[i] = lines[i - 1][:-1], lines[i - 1][-1] + lines[i]
    return lines


def _paragraph(pdf, text: str, height: float, width: float = 0) -> None:
    width = width or pdf.epw
    for line in _wrapped(pdf, text, width):
        pdf.cell(width, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_receipt(r: Receipt) -> bytes:
    """Blocking (font subsetting): call through asyncio.to_thread."""
    parts = lines(r)
    text = (
        TITLE
        + "".join(a + b for a, b in parts["facts"])
        + "".join("".join(v) for k, v in parts.items() if k != "facts")
        + FIXED_TEXT
    )
    pdf = _new_pdf(TITLE, text=text)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, size=11)
    with pdf.table(
        col_widths=(28, 72),
        width=pdf.epw,
        first_row_as_headings=False,
        wrapmode=WrapMode.CHAR,
        text_align="LEFT",
        padding=1.5,
        line_height=pdf.font_size * 1.5,
    ) as table:
        for label, value in parts["facts"]:
            row = table.row()
            row.cell(label, style=_LABEL)
            row.cell(value)
    for title, key in (("本次受理的办理事项（共6项）", "matters"), ("后续办理", "next"), ("查询办理进度", "follow")):
        pdf.ln(3)
        pdf.set_font(FONT, "B", 12)
        pdf.set_fill_color(217, 217, 217)
        pdf.cell(0, 8, title, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=10.5)
        for line in parts[key]:
            _paragraph(pdf, line, 6)
    pdf.ln(4)
    top = pdf.get_y()
    size = 38 if r.code else 0
    if r.code:
        pdf.image(BytesIO(qr_png(r.qr_payload)), x=pdf.l_margin + pdf.epw - size, y=top, w=size, h=size)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(pdf.epw - size - 6, 9, parts["code"][0], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    _paragraph(pdf, parts["code"][1], 6, pdf.epw - size - 6)
    pdf.set_y(max(pdf.get_y(), top + size) + 8)
    pdf.set_font(FONT, size=11)
    pdf.cell(
        0, 8, f"受理窗口（盖章）：{' ' * 24}日期：{_day(r.accepted_at)}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(2)
    pdf.set_font(FONT, size=9)
    pdf.cell(0, 5, "请妥善保管本回执。", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return _output(pdf)
