"""A subsetter for a desubroutinized CID-keyed CFF font (the cached common face, dispatch.fontcache):
the subset's charstrings are the source's bytes, copied. fontTools' subsetter decompiles, executes and
recompiles every kept charstring (~0.3 ms a glyph); with no subroutines to renumber there is nothing
to rewrite, so a subset is an assembly of byte slices (Adobe Technical Note #5176, "The Compact Font
Format Specification"). Any other font (subroutines, name-keyed, CFF2) is refused with `Unsupported`,
and the caller uses fontTools."""

from __future__ import annotations

import struct
from dataclasses import dataclass

_OFFSET_OPS = {15, 17, 18, (12, 36), (12, 37)}  # charset, CharStrings, Private, FDArray, FDSelect
_STRING_OPS = {0, 1, 2, 3, 4, (12, 0), (12, 21), (12, 22), (12, 38)}  # version...Weight, Copyright, names
_ROS, _FONTNAME, _SUBRS, _CIDCOUNT = (12, 30), (12, 38), 19, (12, 34)
_STANDARD_STRINGS = 391  # SIDs below this name the spec's standard strings


class Unsupported(ValueError):
    """The font is not a desubroutinized CID-keyed CFF: fontTools must subset it."""


def _index(data: bytes, pos: int) -> tuple[list[tuple[int, int]], int]:
    """The (start, end) of each item of the INDEX at `pos`, and the position after it."""
    (count,) = struct.unpack_from(">H", data, pos)
    if count == 0:
        return [], pos + 2
    size = data[pos + 2]
    base = pos + 3 + (count + 1) * size - 1  # offsets count from the byte before the data
    offsets = [int.from_bytes(data[pos + 3 + i * size : pos + 3 + (i + 1) * size], "big") for i in range(count + 1)]
    return [(base + offsets[i], base + offsets[i + 1]) for i in range(count)], base + offsets[-1]


def _dict(raw: bytes) -> list[tuple[object, bytes, list[float]]]:
    """A DICT's entries in order: (operator, operand bytes as written, operand values)."""
    out: list[tuple[object, bytes, list[float]]] = []
    start = pos = 0
    values: list[float] = []
    while pos < len(raw):
        b = raw[pos]
        if b <= 21:  # an operator
            op: object = (12, raw[pos + 1]) if b == 12 else b
            out.append((op, raw[start:pos], values))
            pos += 2 if b == 12 else 1
            start, values = pos, []
        elif b == 28:
            values.append(struct.unpack_from(">h", raw, pos + 1)[0])
            pos += 3
        elif b == 29:
            values.append(struct.unpack_from(">i", raw, pos + 1)[0])
            pos += 5
        elif b == 30:  # a real: nibbles up to 0xf; its value is never needed here
            pos += 1
            while pos < len(raw) and (raw[pos] & 0x0F) != 0x0F and (raw[pos] >> 4) != 0x0F:
                pos += 1
            pos += 1
            values.append(0.0)
        elif b <= 246:
            values.append(b - 139)
            pos += 1
        elif b <= 250:
            values.append((b - 247) * 256 + raw[pos + 1] + 108)
            pos += 2
        elif b <= 254:
            values.append(-(b - 251) * 256 - raw[pos + 1] - 108)
            pos += 2
        else:
            raise Unsupported(f"DICT byte {b}")
    return out


def _op(op: object) -> bytes:
    return bytes(op) if isinstance(op, tuple) else bytes((op,))


def _int5(value: int) -> bytes:
    """An integer operand in its fixed five-byte form, so that offsets can be filled in afterwards."""
    return b"\x1d" + struct.pack(">i", value)


def _index_bytes(items: list[bytes]) -> bytes:
    if not items:
        return b"\x00\x00"
    offsets = [1]
    for item in items:
        offsets.append(offsets[-1] + len(item))
    size = 1 if offsets[-1] < 1 << 8 else 2 if offsets[-1] < 1 << 16 else 3 if offsets[-1] < 1 << 24 else 4
    head = struct.pack(">HB", len(items), size) + b"".join(o.to_bytes(size, "big") for o in offsets)
    return head + b"".join(items)


@dataclass(frozen=True)
class _FontDict:
    entries: list[tuple[object, bytes, list[float]]]  # without FontName and Private
    name: bytes | None
    private: bytes


class CidFont:
    """A parsed desubroutinized CID-keyed CFF table: each glyph's charstring bytes, CID and font dict."""

    def __init__(self, cff: bytes) -> None:
        self.data = data = cff
        if data[0] != 1:
            raise Unsupported("not CFF version 1")
        names, pos = _index(data, data[2])
        tops, pos = _index(data, pos)
        strings, pos = _index(data, pos)
        subrs, _ = _index(data, pos)
        if len(names) != 1 or len(tops) != 1:
            raise Unsupported("not one font")
        if subrs:
            raise Unsupported("global subroutines")
        self.name = data[slice(*names[0])]
        self._strings = [data[slice(*s)] for s in strings]
        top = _dict(data[slice(*tops[0])])
        ops = {op: values for op, _, values in top}
        if not top or top[0][0] != _ROS or 17 not in ops or (12, 36) not in ops or (12, 37) not in ops:
            raise Unsupported("not CID-keyed")
        self.top = top
        charstrings, _ = _index(data, int(ops[17][0]))
        self.charstrings = charstrings
        n = len(charstrings)
        self.cids = self._charset(int(ops[15][0]) if 15 in ops else 0, n)
        self.fd_of = self._fdselect(int(ops[(12, 37)][0]), n)
        fds, _ = _index(data, int(ops[(12, 36)][0]))
        self.fds = [self._font_dict(data[slice(*fd)]) for fd in fds]
        self.names = [f"cid{cid:05d}" if gid else ".notdef" for gid, cid in enumerate(self.cids)]
        self.gid_of = {name: gid for gid, name in enumerate(self.names)}

    def _string(self, sid: int) -> bytes:
        if sid < _STANDARD_STRINGS:
            raise Unsupported("a standard string where a custom one was expected")
        return self._strings[sid - _STANDARD_STRINGS]

    def _charset(self, pos: int, n: int) -> list[int]:
        if pos <= 2:
            raise Unsupported("a predefined charset")
        data, fmt, pos = self.data, self.data[pos], pos + 1
        cids = [0]
        while len(cids) < n:
            if fmt == 0:
                cids.append(struct.unpack_from(">H", data, pos)[0])
                pos += 2
                continue
            first = struct.unpack_from(">H", data, pos)[0]
            if fmt == 1:
                left, pos = data[pos + 2], pos + 3
            elif fmt == 2:
                left, pos = struct.unpack_from(">H", data, pos + 2)[0], pos + 4
            else:
                raise Unsupported(f"charset format {fmt}")
            cids.extend(range(first, first + left + 1))
        return cids[:n]

    def _fdselect(self, pos: int, n: int) -> list[int]:
        data, fmt = self.data, self.data[pos]
        if fmt == 0:
            return list(data[pos + 1 : pos + 1 + n])
        if fmt != 3:
            raise Unsupported(f"FDSelect format {fmt}")
        (ranges,) = struct.unpack_from(">H", data, pos + 1)
        out: list[int] = []
        for r in range(ranges):
            first, fd = struct.unpack_from(">HB", data, pos + 3 + 3 * r)
            (end,) = struct.unpack_from(">H", data, pos + 3 + 3 * (r + 1))
            out.extend([fd] * (end - first))
        return out[:n]

    def _font_dict(self, raw: bytes) -> _FontDict:
        entries = _dict(raw)
        ops = {op: values for op, _, values in entries}
        if 18 not in ops:
            raise Unsupported("a font dict with no Private")
        size, offset = (int(v) for v in ops[18])
        private = self.data[offset : offset + size]
        if any(op == _SUBRS for op, _, _ in _dict(private)):
            raise Unsupported("local subroutines")
        name = self._string(int(ops[_FONTNAME][0])) if _FONTNAME in ops else None
        kept = [e for e in entries if e[0] not in (18, _FONTNAME)]
        return _FontDict(kept, name, private)

    def subset(self, glyphs) -> tuple[bytes, dict[str, int]]:
        """The CFF table of .notdef and `glyphs` (names as fontTools gives them: 'cid01234'), in the
        source's glyph order, with the source's CIDs and font dicts; and each kept glyph's new id.
        Names the font lacks are left out, as fontTools does."""
        gids = sorted({0} | {g for g in map(self.gid_of.get, glyphs) if g is not None})
        used = sorted({self.fd_of[g] for g in gids})
        new_fd = {fd: k for k, fd in enumerate(used)}
        strings = [self._string(int(self.top[0][2][0])), self._string(int(self.top[0][2][1]))]
        names: list[int | None] = []
        for fd in used:
            if self.fds[fd].name is None:
                names.append(None)
            else:
                names.append(_STANDARD_STRINGS + len(strings))
                strings.append(self.fds[fd].name)
        charset = b"\x00" + b"".join(struct.pack(">H", self.cids[g]) for g in gids[1:])
        fdselect = b"\x00" + bytes(new_fd[self.fd_of[g]] for g in gids)
        charstrings = _index_bytes([self.data[slice(*self.charstrings[g])] for g in gids])

        def top_dict(charset_at: int, fdselect_at: int, charstrings_at: int, fdarray_at: int) -> bytes:
            ros = _int5(_STANDARD_STRINGS) + _int5(_STANDARD_STRINGS + 1) + _ros_supplement(self.top[0][1])
            out = [ros + _op(_ROS)]
            for op, operands, _ in self.top[1:]:
                if op in _OFFSET_OPS or op in _STRING_OPS or op == _ROS:
                    continue
                out.append(operands + _op(op))
            out.append(_int5(charset_at) + _op(15))
            out.append(_int5(fdselect_at) + _op((12, 37)))
            out.append(_int5(charstrings_at) + _op(17))
            out.append(_int5(fdarray_at) + _op((12, 36)))
            return b"".join(out)

        def font_dicts(private_at: int) -> tuple[list[bytes], list[bytes]]:
            dicts, privates = [], []
            for k, fd in enumerate(used):
                source = self.fds[fd]
                parts = [operands + _op(op) for op, operands, _ in source.entries]
                if names[k] is not None:
                    parts.append(_int5(names[k]) + _op(_FONTNAME))
                parts.append(_int5(len(source.private)) + _int5(private_at) + _op(18))
                dicts.append(b"".join(parts))
                privates.append(source.private)
                private_at += len(source.private)
            return dicts, privates

        header = b"\x01\x00\x04\x04"
        name_index = _index_bytes([self.name])
        string_index = _index_bytes(strings)
        no_subrs = _index_bytes([])
        # Every offset is written in five bytes, so the sizes are known before the offsets are.
        top_len = len(_index_bytes([top_dict(0, 0, 0, 0)]))
        charset_at = len(header) + len(name_index) + top_len + len(string_index) + len(no_subrs)
        fdselect_at = charset_at + len(charset)
        charstrings_at = fdselect_at + len(fdselect)
        fdarray_at = charstrings_at + len(charstrings)
        fdarray_len = len(_index_bytes(font_dicts(0)[0]))
        dicts, privates = font_dicts(fdarray_at + fdarray_len)
        top_index = _index_bytes([top_dict(charset_at, fdselect_at, charstrings_at, fdarray_at)])
        assert len(top_index) == top_len
        table = b"".join(
            [header, name_index, top_index, string_index, no_subrs, charset, fdselect, charstrings]
            + [_index_bytes(dicts)]
            + privates
        )
        return table, {self.names[g]: k for k, g in enumerate(gids)}


def _ros_supplement(operands: bytes) -> bytes:
    """The third operand of ROS (the supplement) as written in the source."""
    values = _dict(operands + b"\x0c\x1e")[0][2]
    if len(values) != 3:
        raise Unsupported("ROS")
    return _int5(int(values[2]))
