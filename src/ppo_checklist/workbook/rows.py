"""The big sheets' rows, written as sheet XML by ppo and spliced into XlsxWriter's book.

XlsxWriter writes the whole book: every small sheet, and each big sheet's frame (its header
row, columns, frozen panes, conditional formats, validation, protection, print setup). A big
sheet's rows (one a trip, one a step: millions of cells at a network's size) are regular, the
same cells and formulas shifted from row to row, so ppo writes them itself, several times
faster than cell by cell through XlsxWriter: into a scratch file per sheet while the trips
stream by, then into the final zip between the frame's header row and its `</sheetData>`.
They are compressed as they are written, in a second thread (`deflating`: zlib lets go of
the interpreter while it works, so the two cores share the export), and spliced into the book
still compressed (`zip_parts`).

Strings go into XlsxWriter's own shared string table (escaped by `cell_text` as the book,
`xlsx_sheet.TextExactBook`, writes the table: `_xHHHH_`, control characters), styles are
XlsxWriter's format indices, so the cells are the ones XlsxWriter would have written. Imported
by the export (and `col_name` wherever a cell is named).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from ppo_checklist.aside import Aside
from ppo_checklist.workbook import zip_parts

BATCH = 2000  # rows joined before each write to the scratch file
AHEAD = 4  # batches waiting to be compressed at most: then the rows wait (memory stays flat)

_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def col_name(col: int) -> str:
    """A column's letters (0: A), as a cell reference names it."""
    name = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        name = chr(65 + rest) + name
    return name


def xml_escape(text: str) -> str:
    """`&`, `<` and `>` as XML writes them, as xml.sax.saxutils.escape does (whose module
    loads urllib's HTTP client: 30 ms of every command that reads or writes a workbook)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def formula_xml(formula: str) -> str:
    """A formula as the <f> element holds it: without its `=`, XML-escaped."""
    return xml_escape(formula[1:] if formula.startswith("=") else formula)


def deflating() -> Aside:
    """The second thread that compresses the big sheets' rows as they are written, a batch at
    a time in the order given, no more than AHEAD batches waiting (`Aside`)."""
    return Aside("ppo-deflate", AHEAD)


class SheetRows:
    """One big sheet's rows after its header (`header_rows`, written by XlsxWriter): cells are
    added in column order, a row ended with `end`. `strings` gives a text's index in the
    book's shared strings (XlsxWriter's). The rows go to `path` deflated, in the `deflating()`
    thread, as one part of the sheet's stream (`zip_parts`): `crc` and `size` are the part's
    once that thread is done."""

    def __init__(self, path: Path, width: int, strings, deflating: Aside, header_rows: int = 1):
        self.path = path
        self.handle: IO[bytes] = open(path, "wb")  # noqa: SIM115 (closed by close())
        self.deflating = deflating
        self.compressor = zip_parts.compressor()
        self.crc = 0
        self.size = 0
        self.finishing = False
        self.letters = [col_name(col) for col in range(width)]
        self.index = strings
        self.width = width
        self.rows = header_rows  # rows so far, the header's included
        self.cells: list[str] = []
        self.pending: list[str] = []
        self.r = str(header_rows + 1)

    # A cell: `s` a style index (0: none); refs are the column's letters and the row's number.
    def number(self, col: int, value: float, s: int = 0) -> None:
        style = f' s="{s}"' if s else ""
        text = value if type(value) is int else f"{value:.16G}"  # as XlsxWriter writes a float
        self.cells.append(f'<c r="{self.letters[col]}{self.r}"{style}><v>{text}</v></c>')

    def string(self, col: int, text: str, s: int = 0) -> None:
        style = f' s="{s}"' if s else ""
        self.cells.append(f'<c r="{self.letters[col]}{self.r}"{style} t="s"><v>{self.index(text)}</v></c>')

    def blank(self, col: int, s: int) -> None:
        self.cells.append(f'<c r="{self.letters[col]}{self.r}" s="{s}"/>')

    def formula(self, col: int, f: str, value: Any, s: int = 0) -> None:
        """`f` as `formula_xml` made it, with this row's number in it; `value` its cached result."""
        style = f' s="{s}"' if s else ""
        if isinstance(value, str) and value:
            text = xml_escape(value)
            self.cells.append(f'<c r="{self.letters[col]}{self.r}"{style} t="str"><f>{f}</f><v>{text}</v></c>')
        else:
            self.cells.append(f'<c r="{self.letters[col]}{self.r}"{style}><f>{f}</f><v>{value}</v></c>')

    def end(self) -> None:
        self.pending.append(f'<row r="{self.r}">{"".join(self.cells)}</row>')
        self.cells.clear()
        self.rows += 1
        self.r = str(self.rows + 1)
        if len(self.pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        self.deflating.run(self._deflate, "".join(self.pending).encode())
        self.pending.clear()

    def _deflate(self, data: bytes) -> None:  # in the deflating thread
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.handle.write(self.compressor.compress(data))

    def close(self) -> None:
        """The last rows on their way (once); the file is complete once the thread is done."""
        if self.finishing:
            return
        self.finishing = True
        if self.pending:
            self._flush()
        self.deflating.run(self._finish)

    def release(self) -> None:
        """The scratch file closed whatever became of its rows (a batch that failed, a finish
        cancelled), once the thread is done: so that its folder can go (Windows keeps an open
        file)."""
        self.handle.close()

    def _finish(self) -> None:  # in the deflating thread
        with self.handle:
            self.handle.write(self.compressor.flush(zlib.Z_SYNC_FLUSH))  # a part: not the last

    def dimension(self, last_col: int) -> bytes:
        return f'<dimension ref="A1:{self.letters[last_col]}{max(self.rows, 1)}"/>'.encode()


def assemble(frame: bytes, target: Path, streams: Mapping[str, SheetRows]) -> None:
    """The final book at `target`: XlsxWriter's `frame` (a zip in memory), with each member
    named in `streams` given its streamed rows (deflated already) after its own (the header)."""
    with zipfile.ZipFile(io.BytesIO(frame)) as source, open(target, "wb") as handle:
        out = zip_parts.ZipOut(handle)
        for info in source.infolist():
            data = source.read(info)
            rows = streams.get(info.filename)
            if rows is None:
                out.add(info.filename, info.date_time, data)
                continue
            head, tail = _split(data)
            head = _DIMENSION.sub(rows.dimension(rows.width - 1), head, count=1)
            crc = zip_parts.crc32_combine(zlib.crc32(head), rows.crc, rows.size)
            crc = zip_parts.crc32_combine(crc, zlib.crc32(tail), len(tail))
            size = len(head) + rows.size + len(tail)
            with open(rows.path, "rb") as body:  # closed even when the book cannot be written
                parts = _chunks(zip_parts.deflated(head, last=False), body, zip_parts.deflated(tail, last=True))
                out.add_deflated(info.filename, info.date_time, crc, size, parts)
        out.close()


def _chunks(head: bytes, body: IO[bytes], tail: bytes) -> Iterator[bytes]:
    yield head
    while chunk := body.read(1 << 20):
        yield chunk
    yield tail


def close_all(streams: Iterable[SheetRows]) -> None:
    """Each sheet's last rows on their way, every one of them even when one fails (its
    batch's error), the first error raised after."""
    failed: BaseException | None = None
    for rows in streams:
        try:
            rows.close()
        except Exception as exc:
            failed = failed or exc
    if failed is not None:
        raise failed


def _split(sheet: bytes) -> tuple[bytes, bytes]:
    """A frame sheet's XML cut where the streamed rows go: before `</sheetData>`."""
    at = sheet.find(b"</sheetData>")
    if at >= 0:
        return sheet[:at], sheet[at:]
    at = sheet.find(b"<sheetData/>")
    if at < 0:
        raise ValueError("no sheetData in a sheet XlsxWriter wrote")
    return sheet[:at] + b"<sheetData>", b"</sheetData>" + sheet[at + len(b"<sheetData/>") :]
