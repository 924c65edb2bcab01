"""The big sheets' rows, written as sheet XML by ppo and spliced into XlsxWriter's book.

XlsxWriter writes the whole book: every small sheet, and each big sheet's frame (its header
row, columns, frozen panes, conditional formats, validation, protection, print setup). A big
sheet's rows (one a trip, one a step: millions of cells at a network's size) are regular, the
same cells and formulas shifted from row to row, so ppo writes them itself, several times
faster than cell by cell through XlsxWriter: into a scratch file per sheet while the trips
stream by, then into the final zip between the frame's header row and its `</sheetData>`.

Strings go into XlsxWriter's own shared string table (escaped by `cell_text` as the book,
`xlsx_sheet.TextExactBook`, writes the table: `_xHHHH_`, control characters), styles are
XlsxWriter's format indices, so the cells are the ones XlsxWriter would have written. Imported
by the export (and `col_name` wherever a cell is named).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

BATCH = 2000  # rows joined before each write to the scratch file
COMPRESSLEVEL = 6  # zlib's default, as XlsxWriter's own zip

_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def col_name(col: int) -> str:
    """A column's letters (0: A), as a cell reference names it."""
    name = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        name = chr(65 + rest) + name
    return name


def formula_xml(formula: str) -> str:
    """A formula as the <f> element holds it: without its `=`, XML-escaped."""
    return escape(formula[1:] if formula.startswith("=") else formula)


class SheetRows:
    """One big sheet's rows after its header (`header_rows`, written by XlsxWriter): cells are
    added in column order, a row ended with `end`. `strings` gives a text's index in the
    book's shared strings (XlsxWriter's)."""

    def __init__(self, path: Path, width: int, strings, header_rows: int = 1):
        self.path = path
        self.handle: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed by close())
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
            self.cells.append(f'<c r="{self.letters[col]}{self.r}"{style} t="str"><f>{f}</f><v>{escape(value)}</v></c>')
        else:
            self.cells.append(f'<c r="{self.letters[col]}{self.r}"{style}><f>{f}</f><v>{value}</v></c>')

    def end(self) -> None:
        self.pending.append(f'<row r="{self.r}">{"".join(self.cells)}</row>')
        self.cells.clear()
        self.rows += 1
        self.r = str(self.rows + 1)
        if len(self.pending) >= BATCH:
            self.handle.write("".join(self.pending))
            self.pending.clear()

    def close(self) -> None:
        if self.pending:
            self.handle.write("".join(self.pending))
            self.pending.clear()
        self.handle.close()

    def dimension(self, last_col: int) -> bytes:
        return f'<dimension ref="A1:{self.letters[last_col]}{max(self.rows, 1)}"/>'.encode()


def assemble(frame: bytes, target: Path, streams: Mapping[str, SheetRows]) -> None:
    """The final book at `target`: XlsxWriter's `frame` (a zip in memory), with each member
    named in `streams` given its streamed rows after its own (the header)."""
    with zipfile.ZipFile(io.BytesIO(frame)) as source:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL) as out:
            for info in source.infolist():
                data = source.read(info)
                rows = streams.get(info.filename)
                if rows is None:
                    out.writestr(info, data, zipfile.ZIP_DEFLATED, COMPRESSLEVEL)
                    continue
                head, tail = _split(data)
                head = _DIMENSION.sub(rows.dimension(rows.width - 1), head, count=1)
                entry = zipfile.ZipInfo(info.filename, info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.file_size = len(head) + rows.path.stat().st_size + len(tail)
                with out.open(entry, "w") as member, open(rows.path, "rb") as body:
                    member.write(head)
                    while chunk := body.read(1 << 20):
                        member.write(chunk)
                    member.write(tail)


def _split(sheet: bytes) -> tuple[bytes, bytes]:
    """A frame sheet's XML cut where the streamed rows go: before `</sheetData>`."""
    at = sheet.find(b"</sheetData>")
    if at >= 0:
        return sheet[:at], sheet[at:]
    at = sheet.find(b"<sheetData/>")
    if at < 0:
        raise ValueError("no sheetData in a sheet XlsxWriter wrote")
    return sheet[:at] + b"<sheetData>", b"</sheetData>" + sheet[at + len(b"<sheetData/>") :]
