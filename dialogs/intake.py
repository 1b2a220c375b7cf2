"""Judges one uploaded file by its content and normalises it for storage."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

from dialogs.model import Checked

if TYPE_CHECKING:
    from PIL import Image
# PIL and pikepdf (dialogs.pdfclean) are imported where a file is judged, i.e. in the intake pool's
# worker processes: the bot process imports this module for its limits and texts only.


def __getattr__(name: str):
    if name == "MAX_PDF_PAGES":  # re-exported from dialogs.pdfclean without importing pikepdf early
        from dialogs.pdfclean import MAX_PDF_PAGES

        return MAX_PDF_PAGES
    raise AttributeError(name)


MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # Bot API getFile cannot fetch more
MAX_PIXELS = 40_000_000  # declared width × height
MAX_JPEG_PIXELS = 256_000_000  # JPEGs decode at 1/8 scale when large (a 200 Mpx phone photo)
MAX_DECODED_BYTES = 96 << 20  # width × height × bands at the scale actually decoded
MAX_IMAGE_SIDE = 2400
MIN_IMAGE_SIDE = 200
JPEG_QUALITY = 85

_ACCEPTED = "请上传 PDF、JPG 或 PNG 格式的文件；用手机拍摄的材料，直接以“照片”方式发送即可。"

# (magic test, human description) for formats we recognise only to refuse them kindly
_REFUSED_KINDS: tuple[tuple[Callable[[bytes], bool], str], ...] = (
    (
        lambda d: (
            d[4:8] == b"ftyp" and d[8:12] in {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
        ),
        "HEIC/HEIF 照片（苹果手机默认格式）",
    ),
    (lambda d: d[:6] in {b"GIF87a", b"GIF89a"}, "GIF 动图"),
    (lambda d: d[:2] == b"BM", "BMP 图片"),
    (lambda d: d[:4] in {b"II*\x00", b"MM\x00*"}, "TIFF 图片"),
    (lambda d: d[:4] == b"PK\x03\x04", "压缩包或 Word/Excel 文档"),
    (lambda d: d[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Word/Excel 文档"),
    (lambda d: d[:4] == b"Rar!" or d[:6] == b"7z\xbc\xaf\x27\x1c", "压缩包"),
    (lambda d: d[:2] == b"MZ" or d[:4] == b"\x7fELF", "程序文件"),
)


@dataclass(frozen=True)
class Accepted:
    kind: str  # "image" | "pdf"
    mime: str
    data: bytes  # normalised bytes to store
    sha256: str
    pages: int
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Rejected:
    reason: str  # Chinese, specific, says what to send instead
    limit: str | None = None  # which limit refused it, when one did


TOO_HEAVY = "文件过大或过于复杂，无法处理。请压缩或分页扫描后重新上传，照片可直接以“照片”方式发送。"
TOO_SLOW = "文件处理超时，无法接收。请压缩或分页扫描后重新上传，照片可直接以“照片”方式发送。"


def judge(data: bytes) -> Checked:
    """inspect_upload as the value the engine receives."""
    result = inspect_upload(data)
    if isinstance(result, Rejected):
        return Checked(ok=False, reason=result.reason, limit=result.limit)
    return Checked(
        ok=True,
        kind=result.kind,
        mime=result.mime,
        sha256=result.sha256,
        pages=result.pages,
        width=result.width,
        height=result.height,
        size=len(result.data),
        data=result.data,
    )


def inspect_upload(data: bytes, filename: str | None = None) -> Accepted | Rejected:
    """Accept a PDF or photo, or say why not. The filename is ignored: content wins."""
    try:
        return _inspect(bytes(data))
    except MemoryError:  # the worker's memory cap was reached
        return Rejected(TOO_HEAVY, limit="memory")
    except Exception:  # noqa: BLE001 - a judge must never crash the conversation
        return Rejected("文件无法识别或已损坏，请重新拍照后以“照片”方式发送，或上传 PDF。")


def _inspect(data: bytes) -> Accepted | Rejected:
    if not data:
        return Rejected("收到的文件是空的（0 字节），请重新上传。")
    if len(data) > MAX_UPLOAD_BYTES:
        return Rejected(
            "文件超过 20MB，无法接收。请压缩或分页扫描后重新上传，照片可直接以“照片”方式发送（Telegram 会自动压缩）。"
        )
    if data.startswith(b"%PDF-"):
        return _inspect_pdf(data)
    if (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"\x89PNG\r\n\x1a\n")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    ):
        return _inspect_image(data)
    for test, what in _REFUSED_KINDS:
        if test(data):
            return Rejected(f"暂不支持{what}。{_ACCEPTED}")
    return Rejected(f"无法识别该文件的格式。{_ACCEPTED}")


def _inspect_image(data: bytes) -> Accepted | Rejected:
    from PIL import Image, ImageOps

    broken = Rejected("图片已损坏或不完整，请重新拍照后以“照片”方式发送。")
    bomb = Rejected("图片分辨率过大，无法处理。请以“照片”方式发送，或缩小后重新上传。")
    formats = ["JPEG", "PNG", "WEBP"]
    try:
        with Image.open(BytesIO(data), formats=formats) as probe:
            width, height = probe.size  # declared size, nothing decoded yet
            if width * height > (MAX_JPEG_PIXELS if probe.format == "JPEG" else MAX_PIXELS):
                return bomb
            probe.verify()
        with Image.open(BytesIO(data), formats=formats) as im:
            if im.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale when the target is smaller
                long = max(width, height)
                if long > MAX_IMAGE_SIDE:
                    im.draft("RGB", (width * MAX_IMAGE_SIDE // long, height * MAX_IMAGE_SIDE // long))
            if im.size[0] * im.size[1] * len(im.getbands()) > MAX_DECODED_BYTES:
                return bomb
            im.load()
            upright = ImageOps.exif_transpose(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return bomb
    except MemoryError:
        return Rejected(bomb.reason, limit="memory")
    except Exception:  # noqa: BLE001 - whatever the parser raises, the file is broken
        return broken
    if min(width, height) < MIN_IMAGE_SIDE:
        return Rejected("图片太小，看不清内容（短边不足 200 像素）。请拍摄清晰、完整的原件照片后重新发送。")
    rgb = _to_rgb(upright)
    rgb.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    out = BytesIO()
    rgb.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)  # drops EXIF and tails
    jpeg = out.getvalue()
    return Accepted("image", "image/jpeg", jpeg, hashlib.sha256(jpeg).hexdigest(), 1, rgb.width, rgb.height)


def _to_rgb(im: Image.Image) -> Image.Image:
    """Flatten transparency onto white, so a transparent scan does not turn black."""
    from PIL import Image

    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        return im.point(lambda v: v / 256).convert("L").convert("RGB")
    return im.convert("RGB")


def _inspect_pdf(data: bytes) -> Accepted | Rejected:
    from dialogs.pdfclean import Refused, clean_pdf

    try:
        clean, pages = clean_pdf(data)
    except Refused as e:
        return Rejected(str(e))
    return Accepted("pdf", "application/pdf", clean, hashlib.sha256(clean).hexdigest(), pages, None, None)
