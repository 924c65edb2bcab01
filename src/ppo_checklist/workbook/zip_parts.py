"""A zip written from members deflated beforehand, in parts: what lets the export compress a
big sheet's rows in a second thread while it writes them, and splice them into the book later.

A member's deflate stream may be made of parts, each from its own compressor: every part but
the last ends with a sync flush (a byte-aligned, non-final block), the last with the finish, so
the parts laid end to end are one valid stream (`deflated`). Each part's CRC-32 and length are
kept as it is compressed; `crc32_combine` makes the member's CRC from them (zlib's own, which
Python's zlib does not expose). `ZipOut` writes the members (no ZIP64: a book has no member of
4 GiB, and one that would is refused).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from typing import IO

LEVEL = 6  # zlib's default, as XlsxWriter's own zip
LIMIT = 0xFFFFFFFF  # a size or offset from here on needs ZIP64 (this value marks one)


class TooBig(Exception):
    """A member or the whole zip needs ZIP64 (4 GiB or more)."""


def compressor() -> zlib._Compress:
    """A raw deflate compressor (no zlib header: as a zip member holds it)."""
    return zlib.compressobj(LEVEL, zlib.DEFLATED, -15)


def deflated(data: bytes, last: bool) -> bytes:
    """`data` as one part of a member's deflate stream: the `last` part finishes it."""
    part = compressor()
    return part.compress(data) + part.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A followed by B from crc(A), crc(B) and len(B) (zlib's crc32_combine):
    crc(A) is advanced over len(B) zero bytes by squaring the CRC's shift operator."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _square(odd)  # two zero bits
    odd = _square(even)  # four
    while True:
        even = _square(odd)  # the first pass: one zero byte
        if len2 & 1:
            crc1 = _times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _square(even)
        if len2 & 1:
            crc1 = _times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def _times(matrix: list[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, column) for column in matrix]


class ZipOut:
    """A zip written member by member onto `handle` (deflated, names as given) from its start,
    its central directory on `close`."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.offset = 0
        self.directory: list[bytes] = []

    def add(self, name: str, date_time: tuple[int, ...], data: bytes) -> None:
        """A member from its bytes, deflated here."""
        self.add_deflated(name, date_time, zlib.crc32(data), len(data), [deflated(data, last=True)])

    def add_deflated(self, name: str, date_time: tuple[int, ...], crc: int, size: int, parts: Iterable[bytes]) -> None:
        """A member from its deflate stream's parts (laid end to end), its CRC-32 and length."""
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else 0x800  # bit 11: the name is UTF-8
        time, date = _dos(date_time)
        start = self.offset  # the handle's position: the zip is written from its start
        self._write(_local(flags, time, date, 0, 0, 0, encoded))  # sizes filled in below
        packed = 0
        for part in parts:
            self._write(part)
            packed += len(part)
        if max(size, packed, start) >= LIMIT:
            raise TooBig(name)
        self.handle.seek(start)
        self.handle.write(_local(flags, time, date, crc, packed, size, encoded))
        self.handle.seek(self.offset)
        self.directory.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,  # made by: MS-DOS attributes (none), zip 2.0
                20,  # needed: deflate
                flags,
                8,
                time,
                date,
                crc,
                packed,
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                start,
            )
            + encoded
        )

    def close(self) -> None:
        start = self.offset
        for entry in self.directory:
            self._write(entry)
        if self.offset >= LIMIT:
            raise TooBig("central directory")
        count = len(self.directory)
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, self.offset - start, start, 0))

    def _write(self, data: bytes) -> None:
        self.handle.write(data)
        self.offset += len(data)


def _local(flags: int, time: int, date: int, crc: int, packed: int, size: int, name: bytes) -> bytes:
    header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, time, date, crc, packed, size, len(name), 0)
    return header + name


def _dos(date_time: tuple[int, ...]) -> tuple[int, int]:
    """A member's (time, date) fields: two-second resolution, years from 1980."""
    year, month, day, hour, minute, second = date_time[:6]
    return hour << 11 | minute << 5 | second // 2, max(year - 1980, 0) << 9 | month << 5 | day
