"""Reading ticks back out of a workbook that `ppo export` wrote, defensively.

The file may have been through anyone's hands: it is checked as a zip (declared sizes
and compression ratios, against zip bombs) before it is read, its XML is refused if it holds
a DTD (no entity tricks), and only a file carrying ppo's "_ppo" sheet is read. Rows are
streamed (`xlsx_stream`: only the wanted columns), cached values taken.

Texts are read raw and decoded by `cell_text.unescape`, the inverse of what ppo writes, so a
note typed `AB_x00C1_ok` comes back as typed whoever saved the book last.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException

from ppo_checklist.core.dates import parse_date
from ppo_checklist.core.model import tick_word
from ppo_checklist.errors import BadWorkbook, DateError, WorkbookError
from ppo_checklist.i18n import _
from ppo_checklist.workbook import cell_text, xlsx_stream
from ppo_checklist.workbook.rows import col_name
from ppo_checklist.workbook.write import (
    ANCHOR_NAMES,
    EXCEL_EPOCH,
    FORMAT_MARK,
    FORMAT_VERSION,
    META_SHEET,
)

# A ppo workbook of 100 000 trips unpacks to about 400 MB of XML at a ratio near 15;
# a zip bomb unpacks to many GB at ratios in the thousands.
MAX_UNPACKED = 2 * 1024**3
MAX_RATIO = 200
RATIO_FLOOR = 1024 * 1024  # small members may compress very well and harm no one
# The worksheets are streamed, every other member is read whole: the shared strings above
# all (kept as their XML's bytes). A ppo workbook of
# 100 000 trips has none of them above 1 MB; a client list's shared strings stay far below.
MAX_WHOLE_MEMBER = 32 * 1024**2
MAX_ROW = 1_048_576  # Excel's last row: a reader never walks past it
META_COLUMNS = 3 + len(ANCHOR_NAMES) + 2  # ("dates", sheet, trip, *anchors), and room to grow


class ExportedDates:
    """Each trip's input dates as exported (the `_ppo` sheet's "dates" rows), kept as
    arrays: a few bytes a trip, however large the book."""

    NONE = -1

    def __init__(self, anchors: tuple[str, ...]):
        self.anchors = anchors
        self.ids = array("q")
        self.days = [array("i") for _anchor in anchors]  # Excel serials fit 32 bits
        self.ordered = True
        self.known: dict[int, dt.date] = {}  # serial -> day, made once each
        self.moments: dict[int, dt.datetime] = {}  # and as a datetime

    def add(self, trip_id: int, values: tuple) -> None:
        """Raises ValueError (or TypeError) for what is not a day's serial number."""
        if self.ids and trip_id <= self.ids[-1]:
            self.ordered = False
        count = len(self.anchors)
        serials = [
            self.NONE if value is None or value == "" else int(value)
            for value in (values[:count] if len(values) >= count else (*values, *[None] * (count - len(values))))
        ]
        for serial in serials:
            if serial != self.NONE and not 0 <= serial <= LAST_SERIAL:
                raise ValueError(serial)
        self.ids.append(trip_id)
        for column, serial in zip(self.days, serials):
            column.append(serial)

    def extend(self, trip_ids: list[int], columns: list[list[int]]) -> None:
        """Many trips' serials at once (`columns`: one list an anchor, NONE where empty), as
        `add` takes them one by one. Raises ValueError for a serial past the last day."""
        if any(column and max(column) > LAST_SERIAL for column in columns):
            raise ValueError(max(max(column) for column in columns if column))
        last = self.ids[-1] if self.ids else None
        if trip_ids and (
            (last is not None and trip_ids[0] <= last) or any(a >= b for a, b in zip(trip_ids, trip_ids[1:]))
        ):
            self.ordered = False
        self.ids.extend(trip_ids)
        for days, column in zip(self.days, columns):
            days.extend(column)

    def get(self, trip_id: int) -> dict[str, dt.date | None] | None:
        at = self.find(trip_id)
        if at < 0:
            return None
        return {anchor: self._day(column[at]) for anchor, column in zip(self.anchors, self.days)}

    def find(self, trip_id: int) -> int:
        """Where the trip's dates are (for `moment`); -1: the trip is not among them."""
        if not self.ordered:
            order = sorted(range(len(self.ids)), key=self.ids.__getitem__)
            self.ids = array("q", (self.ids[i] for i in order))
            self.days = [array("i", (column[i] for i in order)) for column in self.days]
            self.ordered = True
        at = bisect_right(self.ids, trip_id) - 1
        return at if at >= 0 and self.ids[at] == trip_id else -1

    def moment(self, at: int, anchor: int) -> dt.datetime | None:
        """The day exported for the `anchor`-th input date of the trip `find` found at `at`, as
        a date cell is read (a datetime at midnight)."""
        serial = self.days[anchor][at]
        found = self.moments.get(serial)
        if found is None and serial != self.NONE:
            found = self.moments[serial] = dt.datetime.combine(self._day(serial), dt.time())  # type: ignore[arg-type]
        return found

    def _day(self, serial: int) -> dt.date | None:
        found = self.known.get(serial)
        if found is None and serial != self.NONE:
            found = self.known[serial] = EXCEL_EPOCH + dt.timedelta(days=serial)
        return found


LAST_SERIAL = 2_958_465  # 31.12.9999


@dataclass(frozen=True)
class SheetMap:
    name: str
    playbook: str
    trip_header: str
    steps: dict[int, tuple[str, str, str]]  # no -> (step id, date header, tick header)
    # Input dates: anchor -> header, and per trip the dates as exported. A file from a ppo
    # before these were recorded has neither: its input dates are compared with the store.
    anchors: dict[str, str] = field(default_factory=dict)
    exported: ExportedDates | None = None
    legacy: bool = False  # no anchor rows: look for the input date headers ppo used then
    note_header: str | None = None  # None: written before ppo read notes back


@dataclass(frozen=True)
class RowTicks:
    """One trip row as found: the tick cells that hold something, raw."""

    sheet: str
    row: int
    trip_id: int
    ticks: dict[int, tuple[str, Any]]  # no -> (cell name, value): the cells not empty
    # anchor -> (cell, value): those not holding the day exported (all, when that is unknown)
    dates: dict[str, tuple[str, Any]] = field(default_factory=dict)
    exported: dict[str, dt.date | None] | None = None  # as written by ppo; None: unknown
    note: tuple[str, Any] | None = None  # (cell, value) of the note; None: the file has none


def check_zip(path: Path) -> None:
    """Refuse what is not a zip, or would unpack to far more than it weighs."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                streamed = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
                if not streamed and info.file_size > MAX_WHOLE_MEMBER:
                    raise BadWorkbook(
                        _("{path}: refused: {member} would unpack to {mb} MB, read whole").format(
                            path=path, member=info.filename, mb=info.file_size // 1024**2
                        )
                    )
                if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise BadWorkbook(
                        _("{path}: refused: {member} would unpack {n}× its size (a zip bomb?)").format(
                            path=path,
                            member=info.filename,
                            n=info.file_size // max(info.compress_size, 1),
                        )
                    )
            if total > MAX_UNPACKED:
                raise BadWorkbook(
                    _("{path}: refused: it would unpack to {mb} MB").format(path=path, mb=total // 1024**2)
                )
    except zipfile.BadZipFile:
        raise BadWorkbook(_("{path}: not a readable .xlsx file (not a zip)").format(path=path)) from None


@contextmanager
def opened(path: Path, raw_text: bool = True):
    """The workbook, its sheets streamed (`xlsx_stream.Book`), or a clear error (exit 2
    content, 1 I/O): a file that is not as a spreadsheet writes it, or hostile, is refused in
    one line whenever it shows. Texts come as the file holds them, for `cell_value` to decode
    (`raw_text`: the only way it is read now, the word kept for the callers that say it)."""
    if not path.exists():
        raise BadWorkbook(_("no such file: {path}").format(path=path))  # bad input (exit 2), as for import
    if path.is_dir():
        raise BadWorkbook(_("{path} is a folder, not a workbook").format(path=path))
    if not path.is_file():
        raise BadWorkbook(_("{path} is not a regular file (a device or a pipe?)").format(path=path))
    if not os.access(path, os.R_OK):
        raise WorkbookError(_("cannot read {path}: permission denied").format(path=path))
    check_zip(path)
    global _last_strings
    try:
        with zipfile.ZipFile(path) as archive:
            key = _opened_file(archive)
            known = _last_strings[1] if key is not None and _last_strings and _last_strings[0] == key else None
            book = xlsx_stream.Book(archive, known)
            if key is not None:
                _last_strings = (key, book.strings)
            yield book
    except OSError as exc:
        raise WorkbookError(_("cannot read {path}: {e}").format(path=path, e=exc.strerror or exc)) from None
    except (xlsx_stream.Hostile, DefusedXmlException) as exc:
        raise BadWorkbook(_("{path}: refused: hostile XML ({e})").format(path=path, e=type(exc).__name__)) from None
    except (xlsx_stream.NotAsExpected, zipfile.BadZipFile, UnicodeDecodeError, KeyError, SyntaxError) as exc:
        raise BadWorkbook(_("{path} is not a readable XLSX workbook ({e})").format(path=path, e=_reason(exc))) from None


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:120] if text else type(exc).__name__


def cell_value(value: Any) -> Any:
    """A cell's value (of a book `opened`) as typed: a text decoded
    (`cell_text.unescape`); numbers and dates as they are."""
    return cell_text.unescape(value) if isinstance(value, str) else value


# The last map read, by the open file it came from (device, inode, size, modification time):
# `export` over yesterday's book reads it to know the file is ppo's, then `sync` reads it
# again (~0.7 s at 100 000 trips). A file changed or replaced in between is read again.
_last_map: tuple[tuple, list[SheetMap]] | None = None
# And its shared strings (~0.1 s to read at 100 000 trips), by the same key: the book is opened
# once to know it is ppo's, once more to be synced.
_last_strings: tuple[tuple, xlsx_stream.SharedStrings] | None = None


def read_map(book, path: Path) -> list[SheetMap]:
    """The `_ppo` sheet: the mark, and each checklist sheet's headers; else not ppo's.
    `book`: as `opened` gives it."""
    global _last_map
    key = _opened_file(book)
    if key is not None and _last_map is not None and _last_map[0] == key:
        return _last_map[1]
    maps = _read_map(book, path)
    if key is not None:
        _last_map = (key, maps)
    return maps


def _opened_file(opened) -> tuple | None:
    """The open file's identity (device, inode, size, modification time) and its members'
    (name, CRC, compressed size), which change with any content, however coarse the file
    system's clock: `opened` a book or its zip archive."""
    archive = getattr(opened, "archive", opened)
    try:
        info = os.fstat(archive.fp.fileno())
    except (AttributeError, OSError, ValueError):  # not a file on disk
        return None
    members = tuple((member.filename, member.CRC, member.compress_size) for member in archive.infolist())
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, members)


def _read_map(book, path: Path) -> list[SheetMap]:
    not_ours = BadWorkbook(_("{path} is not a workbook written by ppo export (no _ppo sheet)").format(path=path))
    if META_SHEET not in book.sheetnames:
        raise not_ours
    # A few columns (the widest row: a trip's dates), at most Excel's rows, streamed.
    rows = (
        (
            number,
            tuple(
                [
                    cell_text.unescape(value) if value.__class__ is str else value
                    for value in map(values.get, range(max(values) + 1))
                ]
            ),
        )
        for number, values in book.rows(META_SHEET, max_col=META_COLUMNS, max_row=MAX_ROW)
    )
    first = next(rows, (0, ()))[1]
    if not first or first[:2] != ("format", FORMAT_MARK):
        raise not_ours
    version = first[2] if len(first) > 2 else None
    if not isinstance(version, (int, float)) or int(version) > FORMAT_VERSION:
        raise BadWorkbook(_("{path} was written by a newer ppo (format {v}): upgrade ppo").format(path=path, v=version))
    sheets: dict[str, SheetMap] = {}
    read_fast = False
    try:
        for number, row in rows:
            if row and row[0] == "dates":  # one a trip: the most of them by far
                if not read_fast:
                    read_fast = True
                    if _dates_as_written(book, sheets, number):
                        break
                sheet = sheets[row[1]]
                if sheet.exported is None:
                    sheet = sheets[row[1]] = replace(sheet, exported=ExportedDates(tuple(sheet.anchors)))
                sheet.exported.add(int(row[2]), row[3:])  # type: ignore[union-attr]
            elif row and row[0] == "sheet":
                sheets[row[1]] = SheetMap(str(row[1]), str(row[2]), str(row[3]), {})
            elif row and row[0] == "step":
                sheets[row[1]].steps[int(row[2])] = (str(row[3]), str(row[4]), str(row[5]))
            elif row and row[0] == "note":
                sheets[row[1]] = replace(sheets[row[1]], note_header=str(row[2]))
            elif row and row[0] == "anchor":
                sheets[row[1]].anchors[str(row[2])] = str(row[3])
    except (IndexError, KeyError, TypeError, ValueError, OverflowError):
        raise BadWorkbook(_("{path}: the _ppo sheet is damaged").format(path=path)) from None
    for name, sheet in sheets.items():
        if not sheet.anchors:  # written before ppo recorded them: the headers it used
            anchors = {a: str(h) for a, h in ANCHOR_NAMES.items()}
            sheets[name] = replace(sheet, anchors=anchors, legacy=True)
    return list(sheets.values())


# A "dates" row exactly as ppo writes it: "dates", the sheet (shared strings), the trip, and
# each input date's serial in its column from D on (an empty date: no cell). Read at C speed
# by `_dates_as_written`.
_DATE_COLUMNS = "DEFGHI"  # META_COLUMNS - 3 of them
_DATES_ROW = re.compile(
    rb'<row r="(\d+)"><c r="A\1" t="s"><v>(\d+)</v></c><c r="B\1" t="s"><v>(\d+)</v></c><c r="C\1"><v>(\d+)</v></c>'
    + b"".join(rb'(?:<c r="' + c.encode() + rb'\1"><v>(\d+)</v></c>)?' for c in _DATE_COLUMNS)
    + rb"</row>"
)
_ROW_NUMBER = xlsx_stream.row_numbers()


def _dates_as_written(book, sheets: dict[str, SheetMap], first: int) -> bool:
    """The `_ppo` sheet's "dates" rows (from row `first` on) read straight from its XML into
    `sheets`, when every row from there on is one as ppo writes it; False (nothing changed)
    for any other shape (a book saved again by a spreadsheet program): the rows are read
    cell by cell instead."""
    prefix, chunks = book.sheet_data(META_SHEET)
    if prefix:
        return False
    names: dict[bytes, str | None] = {}

    def text(index: bytes) -> str | None:
        if index not in names:
            at = int(index)
            names[index] = cell_text.unescape(book.strings[at]) if at < len(book.strings) else None
        return names[index]

    dated: dict[str, ExportedDates] = {}  # kept aside until every row is read: all or none
    previous = 0
    for chunk in chunks:  # a chunk at a time: the arrays hold a few bytes a trip, no more
        every = [int(n) for n in _ROW_NUMBER.findall(chunk)]
        if len(every) != chunk.count(b"<row"):  # a row without its number
            return False
        if any(a >= b for a, b in zip([previous, *every], every)):  # a row again, or out of order
            return False
        previous = every[-1] if every else previous
        numbers = [n for n in every if n >= first]
        matched = [m for m in _DATES_ROW.findall(chunk) if int(m[0]) >= first]
        if [int(m[0]) for m in matched] != numbers or (numbers and numbers[-1] > MAX_ROW):
            return False
        by_sheet: dict[bytes, list[tuple]] = {}
        for match in matched:
            by_sheet.setdefault(match[2], []).append(match)
        for index, rows in by_sheet.items():
            name = text(index)
            if name not in sheets or any(text(kind) != "dates" for kind in {m[1] for m in rows}):
                return False
            exported = dated.get(name)
            if exported is None:
                exported = dated[name] = ExportedDates(tuple(sheets[name].anchors))
            columns = [
                [int(serial) if serial else ExportedDates.NONE for serial in (m[4 + k] for m in rows)]
                for k in range(len(exported.anchors))
            ]
            exported.extend([int(m[3]) for m in rows], columns)
    for name, exported in dated.items():
        sheets[name] = replace(sheets[name], exported=exported)
    return True


@contextmanager
def ticks(path: Path) -> Iterator[Iterator[RowTicks]]:
    """Every trip row of every checklist sheet, with its tick cells, as the file holds them,
    streamed. The file is opened, its map read and every sheet's header checked on entering
    (a file not as ppo wrote it is refused before any row is read); a fault found among the
    rows is raised while they are read, inside the block."""
    with opened(path, raw_text=True) as book:
        sheets = []
        for sheet_map in read_map(book, path):
            if sheet_map.name not in book.sheetnames:
                raise BadWorkbook(_("{path}: sheet '{s}' is missing (renamed?)").format(path=path, s=sheet_map.name))
            sheets.append(_Columns(book, sheet_map, path))
        yield (row for columns in sheets for row in columns.rows(book))


class _Columns:
    """Where a checklist sheet holds what sync reads, from its header row (its row 1)."""

    def __init__(self, book, sheet_map: SheetMap, path: Path):
        first: dict[int, Any] = next(iter(book.rows(sheet_map.name, max_row=1)), (0, {}))[1]
        where = {str(cell_value(value)): index for index, value in sorted(first.items()) if value is not None}

        def column(header: str) -> int:
            if header not in where:
                raise BadWorkbook(
                    _("{path}: sheet '{s}' has no '{h}' column").format(path=path, s=sheet_map.name, h=header)
                )
            return where[header]

        self.sheet_map = sheet_map
        self.trip = column(sheet_map.trip_header)
        self.ticks = [(no, column(tick_header)) for no, (_sid, _date, tick_header) in sheet_map.steps.items()]
        self.dates = [
            (anchor, column(header))
            for anchor, header in sheet_map.anchors.items()
            if header in where or not sheet_map.legacy
        ]
        self.note = where.get(sheet_map.note_header) if sheet_map.note_header else None

    def rows(self, book) -> Iterator[RowTicks]:
        name, trip_col, exported = self.sheet_map.name, self.trip, self.sheet_map.exported
        ticks = [(no, col, col_name(col)) for no, col in self.ticks]
        order = list(exported.anchors) if exported is not None else []
        dates = [
            (anchor, col, col_name(col), order.index(anchor) if anchor in order else -1) for anchor, col in self.dates
        ]
        note_col, note_letter = self.note, col_name(self.note) if self.note is not None else ""
        wanted = {trip_col, *(col for _no, col in self.ticks), *(col for _anchor, col in self.dates)}
        if note_col is not None:
            wanted.add(note_col)
        for number, cells in book.rows(name, columns=wanted, max_row=MAX_ROW):
            trip = cells.get(trip_col)
            if number < 2 or trip is None or trip == "":
                continue
            if trip.__class__ is int:
                trip_id = trip
            else:
                try:
                    trip_id = int(trip)
                except (TypeError, ValueError):
                    continue  # a note or a total someone typed under the table
                if trip_id != trip:
                    continue
            at = str(number)
            row_ticks = {}
            for no, col, letter in ticks:
                value = cells.get(col)
                if value is not None:
                    row_ticks[no] = (letter + at, cell_text.unescape(value) if value.__class__ is str else value)
            # The input dates as exported are left out (the most of them by far): a cell equal
            # to the day exported says no other day, however it is read (a date cell is read as
            # a datetime; one read otherwise, a number or a text, is compared in full by sync).
            row_dates = {}
            found = -1 if exported is None else exported.find(trip_id)
            for anchor, col, letter, k in dates:
                value = cells.get(col)
                if found < 0 or k < 0 or value != exported.moment(found, k):  # type: ignore[union-attr]
                    row_dates[anchor] = (letter + at, cell_text.unescape(value) if value.__class__ is str else value)
            note = None
            if note_col is not None:
                note = (note_letter + at, cell_value(cells.get(note_col)))
            as_exported = exported.get(trip_id) if row_dates and exported is not None else None
            yield RowTicks(name, number, trip_id, row_ticks, row_dates, as_exported, note)


def input_day(value: Any, dayfirst: bool = True) -> tuple[str, dt.date | None]:
    """What an input date cell says: ("date", day), ("none", None) or ("bad", None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "none", None
    if isinstance(value, dt.datetime):
        return "date", value.date()
    if isinstance(value, dt.date):
        return "date", value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return "date", EXCEL_EPOCH + dt.timedelta(days=int(value))
        except OverflowError:
            return "bad", None

    try:
        return "date", parse_date(str(value).strip(), dayfirst)
    except DateError:
        return "bad", None


def tick_day(value: Any, dayfirst: bool = True) -> tuple[str, dt.date | None]:
    """What a tick cell says: ("none", None); ("tick", day or None = sync day); ("bad", None)."""
    if value is None:
        return "none", None
    if isinstance(value, bool):
        return ("tick", None) if value else ("none", None)
    if isinstance(value, dt.datetime):
        return "tick", value.date()
    if isinstance(value, dt.date):
        return "tick", value
    if isinstance(value, (int, float)):
        if value == 1:
            return "tick", None
        return ("none", None) if value == 0 else ("bad", None)
    text = str(value).strip()
    if not text:
        return "none", None
    said = tick_word(text)
    if said is not None:
        return ("tick", None) if said else ("none", None)

    try:
        return "tick", parse_date(text, dayfirst)
    except DateError:
        return "bad", None
