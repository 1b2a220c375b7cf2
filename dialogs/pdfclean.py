"""Rewrites an uploaded PDF with qpdf (pikepdf): every object parsed and bounded, active content removed."""

from __future__ import annotations

import zlib
from io import BytesIO

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

MAX_PDF_PAGES = 50
MAX_DEPTH = 64  # direct nesting of arrays/dictionaries inside one object
MAX_OBJECTS = 100_000
MAX_STREAM_DECODED = 64 << 20  # one stream, decoded
MAX_PDF_DECODED = 512 << 20  # all streams of the file, decoded

# Keys that carry scripts, automatic actions, attachments or XFA forms: dropped wherever they occur.
ACTIVE_KEYS = (
    "/JS",
    "/JavaScript",
    "/AA",
    "/OpenAction",
    "/EmbeddedFiles",
    "/EF",
    "/XFA",
    "/RichMediaContent",
    "/RichMediaSettings",
)
SAFE_ACTIONS = frozenset({"/GoTo"})  # a jump inside the document; everything else is removed
UNSAFE_ANNOTS = frozenset({"/FileAttachment", "/Screen", "/Movie", "/Sound", "/RichMedia", "/3D"})
IMAGE_CODECS = frozenset({"/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode"})

DAMAGED = "文件已损坏或不完整，请重新扫描保存为 PDF 后上传，或直接拍照发送。"
ENCRYPTED = "该 PDF 设有密码，无法查看。请上传未加密的PDF，或改为拍照发送。"
NO_PAGES = "该 PDF 没有页面，请重新扫描后上传。"
TOO_COMPLEX = "该 PDF 结构异常（嵌套过深或对象过多），无法安全处理。请用扫描软件重新导出为 PDF，或直接拍照发送。"
TOO_BIG = "该 PDF 解压后内容过大，无法安全处理。请降低扫描分辨率后重新导出，或直接拍照发送。"


class Refused(Exception):
    """The PDF cannot be made safe; the message is the Chinese reason for the applicant."""


def clean_pdf(data: bytes) -> tuple[bytes, int]:
    """The rewritten PDF and its page count, or Refused. Trailing bytes after %%EOF do not survive."""
    pdf = _open(data)
    with pdf:
        try:
            pages = len(pdf.pages)
        except Exception as e:  # qpdf refuses loops in the page tree
            raise Refused(DAMAGED) from e
        if pages < 1:
            raise Refused(NO_PAGES if not _deep_warning(pdf) else TOO_COMPLEX)
        if pages > MAX_PDF_PAGES:
            raise Refused(f"该 PDF 共 {pages} 页，超过 {MAX_PDF_PAGES} 页上限。请只上传所需材料的页面。")
        _sweep(pdf)
        if _deep_warning(pdf):
            raise Refused(TOO_COMPLEX)
        for page in pdf.pages:
            box = [float(v) for v in page.mediabox]
            if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
                raise Refused(DAMAGED)
        if "/AcroForm" in pdf.Root and "/NeedAppearances" in pdf.Root.AcroForm:
            del pdf.Root.AcroForm["/NeedAppearances"]
        out = BytesIO()
        pdf.save(
            out,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            recompress_flate=False,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            deterministic_id=True,
            encryption=False,
        )
    return out.getvalue(), pages


def _open(data: bytes) -> pikepdf.Pdf:
    """Open without xref reconstruction (a rebuilt truncated file silently lacks pages); data appended
    after the last %%EOF (a ZIP polyglot, junk) hides the cross-reference table, so retry without it."""
    cut = data.rfind(b"%%EOF")
    for candidate in (data, data[: cut + 5] if cut > 0 else None):
        if candidate is None:
            continue
        try:
            return pikepdf.open(BytesIO(candidate), attempt_recovery=False)
        except pikepdf.PasswordError as e:
            raise Refused(ENCRYPTED) from e
        except Exception:  # noqa: BLE001 - qpdf's many parse errors all mean "damaged" here
            continue
    raise Refused(DAMAGED)


def _deep_warning(pdf: pikepdf.Pdf) -> bool:
    return any("nested" in w or "depth" in w for w in pdf.get_warnings())


def _sweep(pdf: pikepdf.Pdf) -> None:
    """Parse every object once: bound depth and decoded size, and strip active content."""
    decoded = 0
    for count, obj in enumerate(pdf.objects, 1):
        if count > MAX_OBJECTS:
            raise Refused(TOO_COMPLEX)
        if isinstance(obj, Stream):
            decoded += _decoded_size(obj)
            if decoded > MAX_PDF_DECODED:
                raise Refused(TOO_BIG)
        if isinstance(obj, (Dictionary, Array, Stream)):
            _walk(obj)


def _walk(root) -> None:
    stack = [(root, 0)]
    while stack:
        obj, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Refused(TOO_COMPLEX)
        if isinstance(obj, (Dictionary, Stream)):
            _strip(obj)
            children = [obj.get(k) for k in list(obj.keys())]
        elif isinstance(obj, Array):
            children = list(obj)
        else:
            continue
        for child in children:
            if isinstance(child, (Dictionary, Array)) and not child.is_indirect:
                stack.append((child, depth + 1))


def _strip(d) -> None:
    for key in ACTIVE_KEYS:
        if key in d:
            del d[key]
    for key in ("/A", "/Next"):
        action = d.get(key)
        unsafe = isinstance(action, Dictionary) and str(action.get("/S", "")) not in SAFE_ACTIONS
        if unsafe or isinstance(action, Array):  # an array is a chain of actions: keep none
            del d[key]
    annots = d.get("/Annots")
    if isinstance(annots, Array):
        keep = [a for a in annots if not (isinstance(a, Dictionary) and str(a.get("/Subtype", "")) in UNSAFE_ANNOTS)]
        if len(keep) != len(annots):
            d[Name.Annots] = Array(keep)


def _filters(stream: Stream) -> list[str]:
    f = stream.get("/Filter")
    if f is None:
        return []
    return [str(x) for x in f] if isinstance(f, Array) else [str(f)]


def _decoded_size(stream: Stream) -> int:
    """Decoded length, measured without holding the output; Refused past the per-stream cap."""
    filters = _filters(stream)
    raw = stream.read_raw_bytes()
    if filters and filters[-1] in IMAGE_CODECS:
        filters = filters[:-1]  # kept as encoded; viewers decode images themselves
        if not filters:
            return len(raw)
    if not filters:
        return len(raw)
    if all(f in ("/FlateDecode", "/Fl") for f in filters):
        data = raw
        for _ in filters[:-1]:
            data = _inflate(data, keep=True)
        return _inflate(data, keep=False)
    try:  # LZW, ASCII85, RunLength...: the worker's memory cap bounds what qpdf may allocate
        size = len(stream.read_bytes())
    except Exception as e:
        raise Refused(DAMAGED) from e
    if size > MAX_STREAM_DECODED:
        raise Refused(TOO_BIG)
    return size


def _inflate(data: bytes, keep: bool) -> bytes | int:
    z = zlib.decompressobj()
    parts: list[bytes] = []
    total = 0
    pending = data
    try:
        while pending or not z.eof:
            chunk = z.decompress(pending, 1 << 20)
            pending = z.unconsumed_tail
            total += len(chunk)
            if total > MAX_STREAM_DECODED:
                raise Refused(TOO_BIG)
            if keep:
                parts.append(chunk)
            if not chunk and not pending:
                break
    except zlib.error as e:
        raise Refused(DAMAGED) from e
    return b"".join(parts) if keep else total
