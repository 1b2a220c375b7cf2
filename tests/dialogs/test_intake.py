"""Tests for judging uploads by content: images normalised, PDFs checked, the rest refused."""

from __future__ import annotations

import hashlib
import os
import struct
import time
import zlib
from io import BytesIO

import pytest
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader, PdfWriter

from dialogs.intake import (
    MAX_PDF_PAGES,
    MAX_UPLOAD_BYTES,
    Accepted,
    Rejected,
    inspect_upload,
)


def image_bytes(size=(800, 600), color="white", fmt="JPEG", mode="RGB", **save) -> bytes:
    out = BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(text=f"page {n + 1}")
    return bytes(pdf.output())


def encrypted(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=BytesIO(data))
    writer.encrypt(user_password, owner_password="owner", algorithm="AES-256")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def reject_reason(data: bytes, filename: str | None = None) -> str:
    result = inspect_upload(data, filename)
    assert isinstance(result, Rejected), result
    return result.reason


def accepted(data: bytes, filename: str | None = None) -> Accepted:
    result = inspect_upload(data, filename)
    assert isinstance(result, Accepted), result
    return result


def opened(result: Accepted) -> Image.Image:
    im = Image.open(BytesIO(result.data))
    im.load()
    return im


# --- refused before looking inside -------------------------------------------------


def test_empty_file_is_rejected():
    assert "空" in reject_reason(b"")


def test_oversized_file_is_rejected_with_the_limit():
    reason = reject_reason(bytes(MAX_UPLOAD_BYTES + 1))
    assert "20MB" in reason


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"GIF89a" + bytes(200), "GIF"),
        (b"\x00\x00\x00\x18ftypheic" + bytes(200), "HEIC"),
        (b"PK\x03\x04" + bytes(200), "Word"),
        (b"MZ\x90\x00" + bytes(200), "程序"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "Word"),
    ],
)
def test_known_unsupported_formats_are_named_and_alternatives_offered(data, named):
    reason = reject_reason(data, "scan.jpg")
    assert named in reason
    assert "PDF、JPG 或 PNG" in reason and "照片" in reason


@pytest.mark.parametrize("data", [os.urandom(4096), "你好，这是文本".encode(), b"\xff\xd8"])
def test_unrecognised_content_is_rejected(data):
    reason = reject_reason(data)
    assert "PDF、JPG 或 PNG" in reason and "照片" in reason


def test_real_gif_image_is_rejected():
    assert "GIF" in reject_reason(image_bytes(fmt="GIF", mode="P"))


# --- images ---------------------------------------------------------------------------


def test_jpeg_is_accepted_and_reencoded():
    result = accepted(image_bytes((800, 600), "navy"))
    assert (result.kind, result.mime, result.pages) == ("image", "image/jpeg", 1)
    assert (result.width, result.height) == (800, 600)
    assert result.data.startswith(b"\xff\xd8\xff")
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()


def test_content_wins_over_the_name():
    result = accepted(image_bytes(), filename="户口簿.pdf")
    assert result.kind == "image"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_become_jpeg(fmt):
    result = accepted(image_bytes((640, 480), "teal", fmt=fmt))
    assert result.mime == "image/jpeg"
    assert opened(result).format == "JPEG"


def test_transparent_png_is_flattened_onto_white():
    result = accepted(image_bytes((300, 300), (0, 0, 0, 0), fmt="PNG", mode="RGBA"))
    assert opened(result).getpixel((150, 150)) == pytest.approx((255, 255, 255), abs=3)


def test_sixteen_bit_greyscale_png_is_accepted():
    result = accepted(image_bytes((300, 300), 40000, fmt="PNG", mode="I;16"))
    assert opened(result).mode == "RGB"


def test_long_side_is_capped():
    result = accepted(image_bytes((4800, 3000), "white"))
    assert (result.width, result.height) == (2400, 1500)


def test_tiny_image_is_rejected_as_unreadable():
    assert "太小" in reject_reason(image_bytes((150, 400)))


def test_exif_orientation_is_applied_and_exif_stripped():
    stored = Image.new("RGB", (400, 300), "blue")
    stored.paste((255, 0, 0), (0, 0, 400, 150))  # top half red as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise for display
    exif[0x010F] = "PhoneMaker"
    out = BytesIO()
    stored.save(out, format="JPEG", exif=exif, quality=95)
    result = accepted(out.getvalue())
    im = opened(result)
    assert im.size == (300, 400)
    red, blue = im.getpixel((250, 200)), im.getpixel((50, 200))
    assert red[0] > 200 and red[2] < 60
    assert blue[2] > 200 and blue[0] < 60
    assert len(im.getexif()) == 0
    assert b"PhoneMaker" not in result.data


def test_polyglot_tail_is_dropped():
    tail = b"PK\x03\x04" + b"EVILPAYLOAD" * 50
    result = accepted(image_bytes() + tail)
    assert b"EVILPAYLOAD" not in result.data


def test_truncated_jpeg_is_rejected():
    noisy = Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3))
    out = BytesIO()
    noisy.save(out, format="JPEG")
    data = out.getvalue()
    assert "损坏" in reject_reason(data[: len(data) // 2])


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge 1-bit image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [30_000, 7_000])
def test_decompression_bomb_is_rejected_before_decoding(side):
    start = time.perf_counter()
    assert "分辨率过大" in reject_reason(_png_declaring(side, side))
    assert time.perf_counter() - start < 1.0


def test_real_compressed_bomb_png_is_rejected():
    data = image_bytes((9_000, 9_000), 0, fmt="PNG", mode="1")  # 81 Mpx, below Pillow's guard
    assert len(data) < 100_000
    assert "分辨率过大" in reject_reason(data)


# --- PDFs -----------------------------------------------------------------------------


def test_pdf_is_accepted_rewritten():
    data = pdf_bytes(2)
    result = accepted(data, filename="scan.jpg")
    assert (result.kind, result.mime, result.pages) == ("pdf", "application/pdf", 2)
    assert result.data.startswith(b"%PDF-") and len(PdfReader(BytesIO(result.data)).pages) == 2
    assert b"page 1" in PdfReader(BytesIO(result.data)).pages[0].extract_text().encode()
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    assert (result.width, result.height) == (None, None)


def test_password_protected_pdf_is_rejected():
    assert "请上传未加密的PDF" in reject_reason(encrypted(pdf_bytes(1), "secret"))


def test_pdf_encrypted_with_empty_password_is_accepted():
    assert accepted(encrypted(pdf_bytes(1), "")).pages == 1


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9])
def test_truncated_pdf_is_rejected(fraction):
    data = pdf_bytes(3)
    assert "文件已损坏或不完整" in reject_reason(data[: int(len(data) * fraction)])


def test_pdf_header_with_garbage_is_rejected():
    assert "文件已损坏或不完整" in reject_reason(b"%PDF-1.7\n" + os.urandom(2000))


def test_pdf_with_too_many_pages_is_rejected():
    reason = reject_reason(pdf_bytes(MAX_PDF_PAGES + 1))
    assert str(MAX_PDF_PAGES) in reason


# --- never raises ---------------------------------------------------------------------

MAGICS = [b"", b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP"]


@settings(max_examples=150, deadline=None)
@given(prefix=st.sampled_from(MAGICS), body=st.binary(max_size=2048))
def test_never_raises_on_arbitrary_bytes(prefix, body):
    result = inspect_upload(prefix + body)
    assert isinstance(result, (Accepted, Rejected))
