"""Reading client files (CSV from Excel or Google Sheets, .xlsx) into trips, in bulk.

The file is streamed and nothing is written unless every row is good: its rows are read and
checked in pure code as they are read (dates, playbook, schedule), then a part of PART rows
at a time their clients and duplicates are resolved against the store and they are written,
all in one transaction that is rolled back at the end if any row was bad; a part is written
while the next is checked and decided (on PostgreSQL in a second thread). What is held
across parts is what deciding a later row needs, in compact form (`Planner`, `_PartWriter`):
memory stays flat in the file's size. A dry run decides the whole file at once.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import hashlib
import itertools
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from ppo_checklist.aside import Aside
from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.core import passport
from ppo_checklist.core.consent import ADS, CONSENT_CHANNELS, ConsentEntry, consent_word
from ppo_checklist.core.dates import parse_date
from ppo_checklist.core.intake import (
    ClientIndex,
    DraftChecker,
    ManagerSpellings,
    Other,
    Sharing,
    TwoClients,
    sale_key,
)
from ppo_checklist.core.model import (
    ANCHORS,
    tick_word,
    unsafe_text,
)
from ppo_checklist.core.playbooks import Offset, Playbook
from ppo_checklist.core.schedule import Deriver, anchor_word
from ppo_checklist.core.words import IMPORTED_NOTE
from ppo_checklist.core.workdays import WorkCalendar
from ppo_checklist.errors import BadInput, DateError
from ppo_checklist.i18n import _
from ppo_checklist.store import Store
from ppo_checklist.workbook import read as workbook_read

# Column names users' spreadsheets carry, compared after `_header_key` (case, spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "client", "клиент", "фио", "имя", "имя клиента"),
    "phone": ("phone", "телефон", "тел", "тел."),
    "email": ("email", "e-mail", "почта", "эл. почта", "электронная почта"),
    "manager": ("manager", "менеджер"),
    "purchase": ("purchase", "дата покупки", "покупка"),
    "departure": ("departure", "дата вылета", "вылет"),
    "return": ("return", "дата возвращения", "возвращение", "дата возврата"),
    "declined": ("declined", "дата отказа"),
    "playbook": ("playbook", "сценарий"),
    "note": ("note", "примечание", "комментарий"),
    "birthday": ("birthday", "день рождения", "дата рождения"),
    "passport_expires": ("passport_expires", "passport expires", "паспорт до", "паспорт действителен до"),
    # yes/да/1/+: the client signed consent to advertising (both channels, dated the purchase)
    "consent": ("consent", "согласие", "согласие на рекламу", "согласие на рассылку"),
}
CLIENT_DATE_FIELDS = ("birthday", "passport_expires")  # the client's own dates, each optional
REQUIRED = ("name",)  # and the default playbook's dates when there is no playbook column
DATE_FIELDS = ANCHORS  # purchase, departure, return, declined
TEXT_FIELDS = ("name", "phone", "email", "manager", "playbook", "note", "consent")
DEFAULT_PLAYBOOK = "tour"
ENCODINGS = ("utf-8-sig", "cp1251")

Progress = Callable[[str, int, int], None]  # (phase, done, total)
PROGRESS_EVERY = 1000


def _header_key(text: Any) -> str:
    return " ".join(str(text if text is not None else "").split()).casefold()


_ALIASES = {_header_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


class RawTable(NamedTuple):
    """A file's header mapped to ppo's columns, and its data rows with file line numbers,
    read as they are consumed (once)."""

    columns: dict[str, int]  # ppo column -> position in a row
    width: int  # cells in the header row: a value beyond it has no column
    rows: Iterable[tuple[int, list[Any]]]
    size_hint: int  # about how many rows: for a progress bar only
    steps: dict[int, str] = {}  # position -> a step's id, number or title (its done date or tick)
    titles: tuple[str, ...] = ()  # the header's cells as the file names its columns


class Checked(NamedTuple):
    """A row that passed every check: ready to become a trip."""

    line: int
    name: str
    phone: str | None
    email: str | None
    phone_key: str | None
    email_key: str | None
    manager: str
    playbook: str
    dates: tuple[dt.date | None, ...]  # in DATE_FIELDS order
    note: str | None
    dues: tuple[dt.date, ...]  # the playbook's steps' due dates, in step order
    done: tuple[tuple[int, dt.date], ...] = ()  # (step index, done on) from the file's step columns
    consent: bool = False  # the `consent` column said yes: consent to advertising on both channels
    birthday: dt.date | None = None
    passport_expires: dt.date | None = None


class BadRow(NamedTuple):
    line: int
    reason: str

    def __str__(self) -> str:
        return _("line {n}: {reason}").format(n=self.line, reason=self.reason)


@dataclass
class ImportResult:
    """What an import found and did; `written` is False for a dry run or a rejected file."""

    file: str
    rows: int = 0
    added: int = 0
    clients_added: int = 0
    already: int = 0  # the same trip is in the store
    repeated: int = 0  # the same trip came earlier in this file
    bad: list[BadRow] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    skip_bad: bool = False
    marked: int = 0  # steps imported as done
    shared: list[Shared] = field(default_factory=list)  # new clients sharing a known contact

    @property
    def rejected(self) -> bool:
        """Bad rows and no --skip-bad: nothing goes in, and a dry run says the same (exit 2)."""
        return bool(self.bad) and not self.skip_bad

    def record(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows": self.rows,
            "added": self.added,
            "clients_added": self.clients_added,
            "already": self.already,
            "repeated": self.repeated,
            "bad": [{"line": b.line, "reason": b.reason} for b in self.bad],
            "dry_run": self.dry_run,
            "written": self.written,
            "done_marks": self.marked,
            "shared_contacts": [shared.record() for shared in self.shared],
        }


# --- reading files -------------------------------------------------------------------------


def read_table(path: Path, step_keys: frozenset[str] = frozenset()) -> RawTable:
    """The header and rows of a .csv or .xlsx file, as users' spreadsheet programs save them.
    A column named as in `step_keys` (a step's id, number or title) holds that step's done mark."""
    if path.is_dir():
        raise BadInput(_("{path} is a folder; name a .csv or .xlsx file").format(path=path))
    if not path.exists():
        raise BadInput(_("no such file: {path}").format(path=path))
    if not path.is_file():
        raise BadInput(_("{path} is not a regular file (a device or a pipe?)").format(path=path))
    suffix = path.suffix.lower()
    rows: Iterable[tuple[int, list[Any]]]
    if suffix in (".csv", ".txt"):
        header, rows, size = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        header, rows, size = _read_xlsx(path)
    elif suffix == ".xls":
        raise BadInput(_("{path}: old .xls files cannot be read; save it as .xlsx or CSV").format(path=path))
    else:
        raise BadInput(_("{path}: not a .csv or .xlsx file").format(path=path))
    if header is None:
        raise BadInput(_("{path}: the file is empty (a header row is needed)").format(path=path))
    columns, steps = map_header(header, str(path), step_keys)
    return RawTable(columns, len(header), rows, size, steps, tuple(_cell_text(title) for title in header))


def encoding_of(path: Path) -> tuple[str, int]:
    """(UTF-8 (with or without BOM) if the whole file is valid UTF-8, else Windows-1251 (older
    Russian Excel); its lines, about). Read in chunks: the file is never held whole."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        lines = 0
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK_BYTES):
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding, lines
    raise BadInput(_("{src}: not UTF-8 or Windows-1251 text").format(src=path))


CHUNK_BYTES = 1 << 20


def sniff_delimiter(header_line: str) -> str:
    """Excel in a Russian locale separates with `;`, Google Sheets and others with `,`."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _read_csv(path: Path) -> tuple[list[str] | None, Iterator[tuple[int, list[Any]]], int]:
    """The header, and the rows as they are read: the file is streamed, never held whole, and
    no row of it is held longer than MAX_ROW_CHARS characters."""
    encoding, lines = encoding_of(path)
    rows = _streamed_csv(path, encoding)
    header = next(rows, (0, None))[1]
    return header, rows, lines


def _streamed_csv(path: Path, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    """`_csv_rows` of the file read line by line (newline="": `\r\n`, `\r` or `\n` ends a line,
    kept for the csv module), its delimiter sniffed from the first line."""
    with path.open(encoding=encoding, newline="") as handle:
        lines = _BoundedLines(handle)
        try:
            first_line = next(lines, "")
        except _RowTooLong:
            raise _row_too_long(path, 1) from None
        delimiter = sniff_delimiter(first_line)
        reader = csv.reader(itertools.chain((first_line,), lines), delimiter=delimiter)
        yield from _csv_rows(reader, path, delimiter, lines)


class _RowTooLong(Exception):
    """A row (its lines, when a quoted cell spans several) is longer than MAX_ROW_CHARS."""


class _BoundedLines:
    """A text file's lines for the csv module, each read at most MAX_ROW_CHARS + 1 characters
    at a time: a row longer than that (`row_chars`, which the reader of the rows sets back to
    0 at each row's end) stops the reading before it is held, however long the line is."""

    def __init__(self, handle: Any):
        self.readline = handle.readline
        self.row_chars = 0

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.readline(MAX_ROW_CHARS + 1)
        if not line:
            raise StopIteration
        self.row_chars += len(line)
        if self.row_chars > MAX_ROW_CHARS:
            raise _RowTooLong
        return line


def _csv_rows(
    reader: Any, path: Path, delimiter: str = ",", lines: _BoundedLines | None = None
) -> Iterator[tuple[int, list[Any]]]:
    """(line, cells) of each row that is not blank; the first is the header.

    A quoted cell may span lines only in the note column (a cell of several lines); anywhere
    else, or holding what reads as more rows, it is a quote that was never closed and that
    swallowed the rows after it: an error naming the line where it opens. A row longer than
    MAX_ROW_CHARS, a cell longer than the csv module's field limit or more than MAX_ROWS rows
    are refused, naming the bound."""
    consumed = 0
    note = -1  # the note column's position, once the header is read
    width = 0
    count = 0
    try:
        for fields in reader:
            line = consumed + 1  # a quoted cell may span lines: a row is numbered by its first
            consumed = reader.line_num
            if lines is not None:
                lines.row_chars = 0
            if consumed > line and width:
                _check_spanning(fields, note, width, delimiter, path, line)
            for cell in fields:
                if cell and not cell.isspace():
                    if not width:
                        width = len(fields)
                        note = next((i for i, t in enumerate(fields) if _ALIASES.get(_header_key(t)) == "note"), -1)
                    elif count == MAX_ROWS:
                        raise BadInput(_too_many_rows(path))
                    else:
                        count += 1
                    yield line, fields
                    break
    except _RowTooLong:
        raise _row_too_long(path, consumed + 1) from None
    except csv.Error as exc:
        if str(exc).startswith("field larger than field limit"):
            message = _("{path}: line {n}: refused: a cell of more than {max} characters")
            limit = csv.field_size_limit()
            raise BadInput(message.format(path=path, n=consumed + 1, max=f"{limit:,}")) from None
        raise BadInput(_("{path}: line {n}: {e}").format(path=path, n=consumed + 1, e=exc)) from None


def _row_too_long(path: Path, line: int) -> BadInput:
    message = _(
        "{path}: line {n}: refused: a row of more than {max} characters;"
        " a client's row is far shorter (a quote left open?)"
    )
    return BadInput(message.format(path=path, n=line, max=f"{MAX_ROW_CHARS:,}"))


def _too_many_rows(path: Path) -> str:
    return _("{path}: refused: more than {n} rows; split the file").format(path=path, n=f"{MAX_ROWS:,}")


def _check_spanning(fields: list[str], note: int, width: int, delimiter: str, path: Path, line: int) -> None:
    for position, cell in enumerate(fields):
        if "\n" not in cell and "\r" not in cell:
            continue
        swallowed = any(part.count(delimiter) >= max(width - 1, 1) for part in cell.splitlines()[1:])
        if position != note or swallowed:
            message = _("{path}: line {n}: a quote opens here and never closes where its cell ends (check the quotes)")
            raise BadInput(message.format(path=path, n=line))


# What a file can make ppo hold. A CSV is streamed: one row at a time is read, never longer
# than MAX_ROW_CHARS (a client's row is a few hundred characters; a note of pages fits), each
# cell at most the csv module's field limit (131 072), and at most MAX_ROWS rows (an agency
# network's list of a year's trips). An .xlsx is read as a stream too, MAX_CELLS at most.
MAX_ROW_CHARS = 1 << 20
MAX_ROWS = 1_000_000
MAX_CELLS = 2_000_000
HEADER_COLUMNS = 256


def _read_xlsx(path: Path) -> tuple[list[Any] | None, Iterator[tuple[int, list[Any]]], int]:
    """The first sheet, through the same guards as `ppo sync` (the zip's declared sizes, the
    streamed reader), its header first: the rows are read only as they are consumed, after
    the header is checked, only as wide as it, never more than MAX_CELLS cells (refused from
    the sheet's declared size when it says so, else as they are counted)."""
    with workbook_read.opened(path) as book:
        if not book.sheetnames:
            return None, iter(()), 0
        sheet = book.sheetnames[0]
        header: list[Any] | None = None
        at = 0
        # The header: the first row with text, in the first HEADER_COLUMNS columns (a client
        # list has about ten; a hostile file declares 16 384 to make every row that wide).
        for at, cells in book.rows(sheet, max_col=HEADER_COLUMNS, max_row=workbook_read.MAX_ROW):  # noqa: B007
            values = [workbook_read.cell_value(cells.get(c)) for c in range(max(cells) + 1)]
            if any(_cell_text(v) for v in values):
                header = _trimmed(values)
                break
        declared = book.dimension(sheet)
    if header is None:
        return None, iter(()), 0
    size = max(declared[0] - at, 0) if declared is not None else 0
    return header, _xlsx_rows(path, sheet, at, len(header), size), size


def _too_many_cells(path: Path) -> BadInput:
    return BadInput(_("{path}: refused: more than {n} cells; split the file").format(path=path, n=f"{MAX_CELLS:,}"))


def _xlsx_rows(path: Path, sheet: str, header_at: int, width: int, declared: int) -> Iterator[tuple[int, list[Any]]]:
    """The rows below the header (read once the header is found good), as wide as it:
    refused past MAX_CELLS cells, from the `declared` rows if they say so, else as counted."""
    if declared * width > MAX_CELLS:
        raise _too_many_cells(path)
    cells_read = 0
    with workbook_read.opened(path) as book:
        for number, cells in book.rows(sheet, columns=range(width), max_row=workbook_read.MAX_ROW):
            if number <= header_at:
                continue
            values = [workbook_read.cell_value(cells.get(c)) for c in range(width)]
            if not any(_cell_text(v) for v in values):
                continue
            cells_read += width
            if cells_read > MAX_CELLS:
                raise _too_many_cells(path)
            yield number, values


def _trimmed(values: list[Any]) -> list[Any]:
    while values and not _cell_text(values[-1]):
        values.pop()
    return values


def map_header(
    header: Sequence[Any], source: str, step_keys: frozenset[str] = frozenset()
) -> tuple[dict[str, int], dict[int, str]]:
    """Which position holds which column, and which a step's done marks; unknown, repeated or
    missing columns are errors.

    Phone, e-mail, manager, playbook and note may be left out: their cells may be empty too.
    """
    columns: dict[str, int] = {}
    steps: dict[int, str] = {}
    for position, title in enumerate(header):
        key = _header_key(_cell_text(title))
        if not key:
            continue  # an empty header cell: Excel's trailing separators
        column = _ALIASES.get(key)
        if column is None and key in step_keys:
            if key in steps.values():
                raise BadInput(_("{src}: column '{c}' appears twice").format(src=source, c=str(title).strip()))
            steps[position] = key
            continue
        if column is None:
            raise BadInput(
                _("{src}: unknown column '{c}' (known: {k}, or a step's id, number or title)").format(
                    src=source, c=str(title).strip(), k=", ".join(COLUMNS)
                )
            )
        if column in columns:
            raise BadInput(_("{src}: column '{c}' appears twice").format(src=source, c=str(title).strip()))
        columns[column] = position
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise _missing_columns(source, missing)
    return columns, steps


def step_keys(playbooks: dict[str, Playbook]) -> frozenset[str]:
    """What a column may be called to hold a step's done marks: its id, number or title."""
    return frozenset(
        _header_key(key) for pb in playbooks.values() for s in pb.steps for key in (s.id, str(s.no), s.title)
    )


def _step_index(playbook: Playbook, key: str) -> int | None:
    """The position in `playbook.steps` of the step a column names, or None."""
    for index, step in enumerate(playbook.steps):
        if key in (_header_key(step.id), str(step.no), _header_key(step.title)):
            return index
    return None


def _missing_columns(source: str, missing: list[str]) -> BadInput:
    example = " / ".join(f"'{a}'" for a in COLUMNS[missing[0]][:3])
    return BadInput(_("{src}: missing column {c} (e.g. {a})").format(src=source, c=", ".join(missing), a=example))


def require_dates(table: RawTable, playbooks: dict[str, Playbook], source: str) -> None:
    """Without a playbook column every row is a tour: its date columns must be there."""
    if "playbook" in table.columns or DEFAULT_PLAYBOOK not in playbooks:
        return
    missing = [a for a in playbooks[DEFAULT_PLAYBOOK].dates if a not in table.columns]
    if missing:
        raise _missing_columns(source, missing)


# --- checking rows (pure) --------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value.__class__ is str:  # every CSV cell: the common case first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed as a number in Excel
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _cell_date(value: Any, dayfirst: bool, seen: dict[str, dt.date | None]) -> dt.date | None:
    """A cell's date; `seen` remembers texts already read (a file repeats a few hundred days)."""
    if value.__class__ is str:
        day = seen.get(value, _UNSEEN)
        if day is _UNSEEN:
            text = value.strip()
            day = seen[value] = parse_date(text, dayfirst) if text else None
        return day  # type: ignore[return-value]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        raise DateError(_("not a date: {v}").format(v=_cell_text(value)))
    text = _cell_text(value)
    return parse_date(text, dayfirst) if text else None


_UNSEEN = object()


class CheckedFile(NamedTuple):
    good: list[Checked]
    bad: list[BadRow]
    rows: int


def check_rows(
    table: RawTable,
    playbooks: dict[str, Playbook],
    dayfirst: bool,
    default_manager: str,
    progress: Progress | None = None,
    today: dt.date | None = None,
    calendar: WorkCalendar | None = None,
) -> CheckedFile:
    """Every row checked on its own (`RowChecker`): the good ones ready to become trips, the
    bad ones with their line and every reason."""
    check = RowChecker(table, playbooks, dayfirst, default_manager, today, calendar)
    found = ImportResult("")
    good = [row for part in _checked_parts(table, check, found, progress, whole=True) for row in part]
    return CheckedFile(good, found.bad, found.rows)


class RowChecker:
    """Checks one row at a time as `ppo add` checks what it is typed (the same draft checker):
    no text a stored text may not hold, a name, a real phone and e-mail, readable dates in
    order, a known playbook, each step column's done date (not in the future, not before the
    trip). It remembers what rows repeat: date texts, contact spellings, playbooks."""

    def __init__(
        self,
        table: RawTable,
        playbooks: dict[str, Playbook],
        dayfirst: bool,
        default_manager: str,
        today: dt.date | None = None,
        calendar: WorkCalendar | None = None,
    ):
        self.playbooks, self.dayfirst, self.today, self.calendar = playbooks, dayfirst, today, calendar
        self.default_manager = default_manager
        self.width = width = table.width
        # Each row is cut or padded to the header's width plus one empty cell, where every
        # column the file lacks points: then no cell needs a bounds check.
        at = {column: table.columns.get(column, width) for column in TEXT_FIELDS + DATE_FIELDS}
        self.text_cells = itemgetter(*(at[column] for column in TEXT_FIELDS))
        self.date_cells = itemgetter(*(at[column] for column in DATE_FIELDS))
        self.client_date_at = [
            (column, table.columns[column]) for column in CLIENT_DATE_FIELDS if column in table.columns
        ]
        self.note_at = table.columns.get("note", width)
        self.consent_at = table.columns.get("consent", width)
        self.titles = table.titles
        self.drafts = DraftChecker()
        self.seen: dict[str, dt.date | None] = {}  # date texts already read
        self.days: dict[dt.date, dt.date] = {}  # one object per day: due dates repeat across rows
        self.managers: dict[str, str] = {}
        self.derivers: dict[str, Deriver] = {}
        self.step_columns = sorted(table.steps.items())
        self.step_at: dict[tuple[str, str], int | None] = {}

    def __call__(self, line: int, cells: list[Any]) -> Checked | BadRow:
        reasons = self._fit(cells)
        unsafe = self._unsafe(cells)
        if unsafe:  # the row is bad; no other reason repeats what it holds
            return BadRow(line, "; ".join(reasons + unsafe))
        name, phone, email, manager, playbook_id, note, consent_cell = [
            v.strip() if v.__class__ is str else _cell_text(v) for v in self.text_cells(cells)
        ]
        draft, problems = self.drafts.check(name, phone, email, manager, note)
        reasons = problems[:1] + reasons + problems[1:]  # the name first: it says which row this is
        consent = self._consent(consent_cell, reasons)
        dates = self._dates(self.date_cells(cells), reasons)
        client_dates = (
            _client_dates(cells, self.client_date_at, self.dayfirst, self.seen, reasons) if self.client_date_at else {}
        )
        deriver = self._deriver(playbook_id or DEFAULT_PLAYBOOK, reasons)
        dues = self._dues(deriver, dates, reasons) if deriver is not None and not reasons else ()
        done: tuple[tuple[int, dt.date], ...] = ()
        if self.step_columns and deriver is not None:
            done = self._done_marks(cells, deriver.playbook, dates, dues, reasons)
        if reasons:
            return BadRow(line, "; ".join(reasons))
        assert deriver is not None
        return Checked(
            line,
            draft.name,
            draft.phone,
            draft.email,
            draft.phone_key,
            draft.email_key,
            self.managers.setdefault(draft.manager, draft.manager) or self.default_manager,
            deriver.playbook.id,
            dates,
            draft.note,
            dues,
            done,
            consent,
            **client_dates,
        )

    def _fit(self, cells: list[Any]) -> list[str]:
        """The row cut or padded to the header's width, plus the one empty cell."""
        width, size = self.width, len(cells)
        reasons = []
        if size > width:
            if any(_cell_text(v) for v in cells[width:]):
                reasons.append(_("more cells than the header has columns (a stray separator?)"))
            del cells[width:]
        elif size < width:
            cells.extend([""] * (width - size))
        cells.append("")
        return reasons

    def _unsafe(self, cells: list[Any]) -> list[str]:
        """Each cell holding what `ppo add` refuses (control characters, bidi overrides), by its
        column as the file names it; a note may hold line breaks and tabs."""
        try:
            joined = "".join(cells)  # a CSV row: all text, and nearly always clean
        except TypeError:
            joined = "".join([cell for cell in cells if cell.__class__ is str])
        if not unsafe_text(joined):
            return []
        message = _("column '{c}' contains control characters")
        return [
            message.format(c=self.titles[p] if p < len(self.titles) else p + 1)
            for p in range(self.width)
            if cells[p].__class__ is str and unsafe_text(cells[p], multiline=p == self.note_at)
        ]

    def _consent(self, cell: str, reasons: list[str]) -> bool:
        """The `consent` column: a yes-word (yes, да, 1, +), a no-word (no, нет, 0, -) or empty;
        anything else, a tick word («сделано», ✓) included, is refused by the column's name:
        consent is never recorded on a guess."""
        said = consent_word(cell)
        if said is None:
            at = self.consent_at
            column = self.titles[at] if at < len(self.titles) else at + 1
            message = _("column '{c}': '{v}' is neither yes nor no (yes, да, 1, +; or no, нет, 0, -)")
            reasons.append(message.format(c=column, v=cell))
        return bool(said)

    def _dates(self, values: tuple[Any, ...], reasons: list[str]) -> tuple[dt.date | None, ...]:
        """The anchors' dates, in DATE_FIELDS order; a text read before is not read again."""
        seen_get = self.seen.get
        dates = tuple([seen_get(v, _UNSEEN) if v.__class__ is str else _UNSEEN for v in values])
        if _UNSEEN not in dates:
            return dates  # type: ignore[return-value]
        read: list[dt.date | None] = []
        for column, value, day in zip(DATE_FIELDS, values, dates):
            if day is _UNSEEN:
                try:
                    day = _cell_date(value, self.dayfirst, self.seen)
                except DateError as exc:
                    reasons.append(f"{anchor_word(column)}: {exc}")
                    day = None
            read.append(day)  # type: ignore[arg-type]
        return tuple(read)

    def _deriver(self, playbook_id: str, reasons: list[str]) -> Deriver | None:
        deriver = self.derivers.get(playbook_id)
        if deriver is None and playbook_id in self.playbooks:
            deriver = self.derivers[playbook_id] = Deriver(self.playbooks[playbook_id], self.calendar)
        if deriver is None:
            known = ", ".join(sorted(self.playbooks))
            reasons.append(_("unknown playbook '{id}' (known: {k})").format(id=playbook_id, k=known))
        return deriver

    def _dues(self, deriver: Deriver, dates: tuple[dt.date | None, ...], reasons: list[str]) -> tuple[dt.date, ...]:
        """The playbook's steps' due dates, or the problem with the row's dates."""
        missing = None in dates and [a for a in deriver.playbook.dates if dates[DATE_FIELDS.index(a)] is None]
        if missing:
            reasons.append(_("no {a} date").format(a=", ".join(anchor_word(a) for a in missing)))
            return ()
        days = self.days
        try:
            return tuple([days.setdefault(day, day) for day in deriver.dues(dates)])
        except DateError as exc:
            reasons.append(str(exc))
            return ()

    def _done_marks(
        self,
        cells: list[Any],
        playbook: Playbook,
        dates: tuple[dt.date | None, ...],
        dues: tuple[dt.date, ...],
        reasons: list[str],
    ) -> tuple[tuple[int, dt.date], ...]:
        """(step index, done on) for each step column with a date or a tick (its due day)."""
        marks = []
        start = dates[DATE_FIELDS.index(playbook.start)]
        for position, key in self.step_columns:
            value = cells[position]
            text = _cell_text(value)
            if not text or value is False:
                continue
            index = self._step_index(playbook, key)
            if index is None:
                reasons.append(_("column '{c}': the {pb} playbook has no such step").format(c=key, pb=playbook.id))
                continue
            day = self._done_day(value, text, key, dues[index] if dues else None, reasons)
            if day is not None and self._plausible(day, start, key, reasons):
                marks.append((index, day))
        return tuple(marks)

    def _step_index(self, playbook: Playbook, key: str) -> int | None:
        index = self.step_at.get((playbook.id, key), -1)
        if index == -1:
            index = self.step_at[(playbook.id, key)] = _step_index(playbook, key)
        return index

    def _done_day(self, value: Any, text: str, key: str, due: dt.date | None, reasons: list[str]) -> dt.date | None:
        """A step cell's done day: a tick is the step's due day, a date itself, "no" none."""
        said = True if value is True else tick_word(text)
        if said is False:
            return None  # "нет", "-": not done
        if said:
            return due
        try:
            return _cell_date(value, self.dayfirst, self.seen)
        except DateError:
            reasons.append(_("column '{c}': '{v}' is not a date or a tick").format(c=key, v=text))
            return None

    def _plausible(self, day: dt.date, start: dt.date | None, key: str, reasons: list[str]) -> bool:
        """A done day is neither in the future nor before the trip began."""
        if self.today is not None and day > self.today:
            reasons.append(_("column '{c}': {d} is in the future").format(c=key, d=day.strftime(DAY_FORMAT)))
            return False
        if start is not None and day < start:
            message = _("column '{c}': {d} is before the trip began ({s})")
            reasons.append(message.format(c=key, d=day.strftime(DAY_FORMAT), s=start.strftime(DAY_FORMAT)))
            return False
        return True


# --- clients and duplicates against the store ------------------------------------------------


def _client_dates(
    cells: list[Any], at: list[tuple[str, int]], dayfirst: bool, seen: dict, reasons: list[str]
) -> dict[str, dt.date | None]:
    """The row's birthday and passport date where given; an unreadable one is noted as the row's problem."""
    found: dict[str, dt.date | None] = {}
    for column, position in at:
        value = cells[position]
        if not _cell_text(value):
            continue
        try:
            found[column] = _cell_date(value, dayfirst, seen)
        except DateError as exc:
            reasons.append(f"{CLIENT_DATE_WORDS[column]()}: {exc}")
    return found


CLIENT_DATE_WORDS = {"birthday": lambda: _("birthday"), "passport_expires": lambda: _("passport expires")}


def _stored_dates(days: Sequence[str | None]) -> tuple[dt.date | None, ...]:
    return tuple(dt.date.fromisoformat(day) if day else None for day in days)


class _Client:
    """A client as the import sees it: one from the store (`id`) or a new one (`id` None,
    first seen on `line`)."""

    __slots__ = ("name", "phone", "email", "phone_key", "email_key", "id", "filled", "line", "stored")

    def __init__(
        self,
        name: str,
        phone: str | None,
        email: str | None,
        keys: tuple[str | None, str | None],
        id: int | None = None,
        line: int = 0,
    ):
        self.name, self.phone, self.email = name, phone, email
        self.phone_key, self.email_key = keys  # phone_key(phone), email_key(email)
        self.id = id
        self.line = line
        self.filled = False  # a store client gains a phone or e-mail it lacked
        self.stored = id is not None  # in the store, or on its way there (its id may come later)


class Shared(NamedTuple):
    """A row's new client shares a phone or e-mail with clients of another name (a family)."""

    line: int
    name: str
    sharing: Sharing

    def __str__(self) -> str:
        return _("line {n}: {said}").format(n=self.line, said=self.sharing.line(self.name))

    def record(self) -> dict[str, Any]:
        return {"line": self.line, "name": self.name, **self.sharing.record()}


@dataclass
class Plan:
    """What to write: new clients, store clients to complete, and the new trips."""

    clients: list[_Client] = field(default_factory=list)
    completed: list[_Client] = field(default_factory=list)
    trips: list[tuple[_Client, Checked]] = field(default_factory=list)
    already: int = 0
    repeated: int = 0
    bad: list[BadRow] = field(default_factory=list)
    shared: list[Shared] = field(default_factory=list)


class Planner:
    """Decides, in file order, each row's client and whether its sale is new, by the rules of
    `ppo add` (core/intake): the same name with the same phone or e-mail is the same client;
    the same contact under another name, a new client sharing it; a row with neither, a new
    client. A sale is the same when the client's name, the playbook and the dates are: one in
    the store is "already there", one earlier in the file "repeated". Each manager takes the
    spelling the store (or the file, first) has for them.

    It may decide a file a part at a time (`decide` once a part): what it keeps across parts is
    the sales (a 16-byte digest each) and the managers' spellings; each part's clients are
    given to it (`Store.import_context`), those this import wrote from earlier parts included.
    """

    def __init__(self, managers: Iterable[str] = ()):
        self.in_store: set[bytes] = set()
        self.seen: set[bytes] = set()
        self.spelling = ManagerSpellings(managers)

    def learn_sales(self, known_sales: Iterable[Sequence[Any]]) -> None:
        """Sales the store has (name, playbook, dates as ISO text)."""
        self.in_store.update(_sale_digest(name, playbook, _stored_dates(days)) for name, playbook, *days in known_sales)

    def decide(self, rows: Iterable[Checked], clients: Iterable[_Client]) -> Plan:
        """The rows' new clients, the known `clients` to complete, and the new trips."""
        result = Plan()
        index: ClientIndex[_Client] = ClientIndex()
        for known in clients:
            index.add(known, known.phone_key, known.email_key)
        seen, in_store, spelling = self.seen, self.in_store, self.spelling
        for row in rows:
            sale = _sale_digest(row.name, row.playbook, row.dates)
            if sale in seen:
                result.repeated += 1
                continue
            if sale in in_store:
                seen.add(sale)
                result.already += 1
                continue
            client = _client_of(row, index, result)
            if client is None:
                continue
            seen.add(sale)
            manager = spelling(row.manager)
            result.trips.append((client, row if manager == row.manager else row._replace(manager=manager)))
        return result


def _sale_digest(name: str, playbook: str, dates: tuple[dt.date | None, ...]) -> bytes:
    """`sale_key` in 16 bytes (BLAKE2b): what a file of a million sales can hold; two sales
    would share one with odds of about 1 in 10^26."""
    key_name, key_playbook, key_dates = sale_key(name, playbook, dates)
    days = ",".join(str(day.toordinal()) if day is not None else "" for day in key_dates)  # type: ignore[attr-defined]
    return hashlib.blake2b(f"{key_name}\x1f{key_playbook}\x1f{days}".encode(), digest_size=16).digest()


def plan(
    rows: Iterable[Checked],
    known_clients: Iterable[Sequence[Any]],
    known_sales: Iterable[Sequence[Any]],
    managers: Iterable[str] = (),
) -> Plan:
    """The whole file decided at once (`Planner`) against the store's clients and sales."""
    planner = Planner(managers)
    planner.learn_sales(known_sales)
    return planner.decide(rows, _known_clients(known_clients))


def _known_clients(rows: Iterable[Sequence[Any]], lines: Callable[[int], int] | None = None) -> list[_Client]:
    """The store's clients (`Store.import_context`) as an import sees them; `lines` gives the
    file line of one this import wrote (0: the store had it)."""
    return [
        _Client(name, phone, email, (p_key, e_key), client_id, lines(client_id) if lines else 0)
        for client_id, name, phone, email, p_key, e_key in rows
    ]


def _client_of(row: Checked, index: ClientIndex[_Client], result: Plan) -> _Client | None:
    """The row's client, known (completed with what it lacked) or new; None: a bad row."""
    p_key, e_key = row.phone_key, row.email_key
    try:
        match = index.match(row.name, p_key, e_key)
    except TwoClients as exc:
        result.bad.append(BadRow(row.line, str(exc)))
        return None
    client = match.same
    if client is None:
        client = _Client(row.name, row.phone, row.email, (p_key, e_key), line=row.line)
        result.clients.append(client)
        if match.sharing:
            result.shared.append(_shared(row, match.sharing))
    else:
        _complete(client, row, result)
    index.add(client, client.phone_key, client.email_key)
    return client


def _shared(row: Checked, sharing: list[_Client]) -> Shared:
    def named(key: str | None, of: Callable[[_Client], str | None]) -> tuple[Other, ...]:
        return tuple((None if c.line else c.id, c.line, c.name) for c in sharing if key and of(c) == key)

    by_phone = named(row.phone_key, attrgetter("phone_key"))
    by_email = named(row.email_key, attrgetter("email_key"))
    return Shared(row.line, row.name, Sharing(row.phone, row.email, by_phone, by_email))


def _complete(client: _Client, row: Checked, result: Plan) -> None:
    """A known client gains the phone or e-mail it lacked (as `ppo add` does); others stay."""
    changed = False
    if row.phone and not client.phone:
        client.phone, client.phone_key, changed = row.phone, row.phone_key, True
    if row.email and not client.email:
        client.email, client.email_key, changed = row.email, row.email_key, True
    if changed and client.stored and not client.filled:
        client.filled = True
        result.completed.append(client)


# --- the use-case ------------------------------------------------------------------------------


def import_file(
    store: Store,
    path: Path,
    playbooks: dict[str, Playbook],
    dayfirst: bool = True,
    default_manager: str = "",
    skip_bad: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: dt.date | None = None,
    done_before: dt.date | None = None,
    calendar: WorkCalendar | None = None,
    passport_margin: Offset | None = None,
) -> ImportResult:
    """Adds the file's trips: all of them or (with bad rows) none, unless `skip_bad`.

    The file is streamed: checked, decided and written PART rows at a time inside one
    transaction, rolled back at its end if any row was bad (every bad row is still found and
    said); what is held across parts is what deciding later rows needs (`Planner`). A dry run
    decides the whole file at once and writes nothing. History comes along: a step due before
    `done_before` counts as done on its due day, and a step column's date or tick marks that
    step done; either is noted as imported."""
    if done_before is not None and today is not None and done_before > today + dt.timedelta(days=1):
        raise DateError(_("--done-before {d} is in the future").format(d=done_before.strftime(DAY_FORMAT)))
    table = read_table(path, step_keys(playbooks))
    require_dates(table, playbooks, str(path))
    if dry_run:
        checked, bad, rows = check_rows(table, playbooks, dayfirst, default_manager.strip(), progress, today, calendar)
        result = ImportResult(str(path), rows=rows, dry_run=True, skip_bad=skip_bad)
        decided = _plan_against(store, checked, bad, result)
        result.marked = sum(len(_marks(row, done_before)) for _client, row in decided.trips)
        return result
    check = RowChecker(table, playbooks, dayfirst, default_manager.strip(), today, calendar)
    result = ImportResult(str(path), skip_bad=skip_bad)
    try:
        with store.write():
            writer = _PartWriter(store, playbooks, result, done_before, today, calendar, passport_margin)
            writer.through(_checked_parts(table, check, result, progress), progress, table.size_hint)
            if result.rejected:
                raise _Rejected  # what the good parts wrote goes back
            result.written = True
    except _Rejected:
        pass
    return result


class _Rejected(Exception):
    """A bad row without --skip-bad: the import's transaction is rolled back."""


PART = 5000  # rows checked, decided and written at a time


def _checked_parts(
    table: RawTable, check: RowChecker, result: ImportResult, progress: Progress | None, whole: bool = False
) -> Iterator[list[Checked]]:
    """The file's good rows, PART at a time (`whole`: all in one); the bad ones and the count go
    to `result`."""
    part: list[Checked] = []
    bad, total = result.bad, table.size_hint
    count = 0
    for count, (line, cells) in enumerate(table.rows, start=1):
        if progress and count % PROGRESS_EVERY == 1:
            progress("check", count - 1, total)
        row = check(line, cells)
        if row.__class__ is BadRow:
            bad.append(row)
            continue
        part.append(row)  # type: ignore[arg-type]
        if len(part) == PART and not whole:
            result.rows = count
            yield part
            part = []
    result.rows = count
    if part:
        yield part
    if progress:
        progress("check", count, count)


class _PartWriter:
    """Decides and writes a file's rows a part at a time, in one transaction. Held across
    parts: the `Planner`, the ids and lines of the clients this import wrote (two arrays: a
    later row may be theirs), and the store's sales asked for (by their days)."""

    def __init__(
        self,
        store: Store,
        playbooks: dict[str, Playbook],
        result: ImportResult,
        done_before: dt.date | None,
        today: dt.date | None,
        calendar: WorkCalendar | None,
        passport_margin: Offset | None,
    ):
        self.store, self.result = store, result
        self.done_before, self.today, self.calendar = done_before, today, calendar
        self.within = passport_margin or passport.margin()
        self.planner = Planner(store.managers())
        self.steps = {
            pb.id: [(s.no, s.id, s.title, s.channel, m) for s, m in zip(pb.steps, Deriver(pb).moments())]
            for pb in playbooks.values()
        }
        self.client_ids = array("q")  # the clients this import wrote, in id order (ids only grow)
        self.client_lines = array("q")  # and the file line each was first seen on
        self.first_trip: int | None = None  # the first trip this import wrote
        self.days_asked: set[dt.date] = set()

    def through(self, parts: Iterable[list[Checked]], progress: Progress | None, total: int) -> None:
        """Each part decided and written (after a bad row too: every bad row is found, and the
        later parts are decided as the whole file would be); the bad rows end sorted by line.

        A part is written while the next is checked and decided (in a second thread where the
        store's writes wait on a server: `Store.writes_aside`): the store's clients for a part
        are asked for once the write before is done, and the part written meanwhile gives its
        own clients (`_decide`)."""
        result = self.result
        previous: _Written | None = None
        with Aside("ppo-import-write", inline=not self.store.writes_aside) as writes:
            for part in parts:
                writes.wait()
                context = self._context(part)
                if previous is not None:
                    writes.run(self._write, previous)
                previous = _Written(self._decide(part, context, previous))
                if progress:
                    progress("write", result.rows, max(total, result.rows))
            if previous is not None:
                writes.run(self._write, previous)
        result.bad.sort()

    def _context(self, part: list[Checked]) -> tuple[list[_Client], list[tuple]]:
        """The store's clients holding the part's phones and e-mails (this import's among
        them) and the store's own sales on the part's days (`Store.import_context`)."""
        phones = {row.phone_key for row in part if row.phone_key}
        emails = {row.email_key for row in part if row.email_key}
        days = {day for row in part for day in (row.dates[0], row.dates[3]) if day is not None} - self.days_asked
        self.days_asked |= days
        clients, sales = self.store.import_context(phones, emails, days, self.first_trip)
        return _known_clients(clients, self._line_of), sales

    def _decide(self, part: list[Checked], context: tuple[list[_Client], list[tuple]], before: _Written | None) -> Plan:
        """The part's rows decided against the store's clients (`context`) and the clients of
        the part `before` it, which may not be in the store yet: its new ones, and those it
        completed (newer than the store's copy)."""
        clients, sales = context
        if before is not None:
            by_id = {client.id: client for client in clients}
            by_id.update((client.id, client) for client in before.plan.completed)
            clients = sorted(by_id.values(), key=attrgetter("id")) + before.plan.clients
        self.planner.learn_sales(sales)
        decided = self.planner.decide(part, clients)
        result = self.result
        result.shared += decided.shared
        result.bad += decided.bad
        result.added += len(decided.trips)
        result.clients_added += len(decided.clients)
        result.already += decided.already
        result.repeated += decided.repeated
        return decided

    def _line_of(self, client_id: int) -> int:
        """The file line of a client this import wrote; 0 for one the store had."""
        at = bisect.bisect_left(self.client_ids, client_id)
        if at < len(self.client_ids) and self.client_ids[at] == client_id:
            return self.client_lines[at]
        return 0

    def _write(self, written: _Written) -> None:
        """The part's new clients, the store's clients completed, the trips and their steps,
        done marks, consents, and the clients' birthdays and passport dates."""
        store, decided = self.store, written.plan
        ids = store.add_clients_bulk(written.clients)
        for client, client_id in zip(decided.clients, ids):
            client.id = client_id
            self.client_ids.append(client_id)
            self.client_lines.append(client.line)
        store.complete_clients_bulk([(c.id, phone, email) for c, phone, email in written.completed])  # type: ignore[misc]
        trips = decided.trips
        trip_ids = store.add_trips_bulk(
            [(client.id, row.manager, row.playbook, row.dates, row.note, row.dues) for client, row in trips],  # type: ignore[misc]
            self.steps,
        )
        if trip_ids and self.first_trip is None:
            self.first_trip = trip_ids[0]
        marks = [
            (trip_id, self.steps[row.playbook][index][0], day, IMPORTED_NOTE)
            for trip_id, (_client, row) in zip(trip_ids, trips)
            for index, day in sorted(_marks(row, self.done_before).items())
        ]
        if marks:
            store.mark_done_bulk(marks)
            self.result.marked += len(marks)
        store.add_consents(_consents(trips, self.today))
        _write_client_dates(store, zip(trip_ids, trips), self.within, self.calendar)


class _Written:
    """A part's plan as it goes to be written: what of its clients a later part may still
    change (their contacts) is taken now, and its new clients count as stored from here on (a
    later part completes them as it does the store's)."""

    __slots__ = ("plan", "clients", "completed")

    def __init__(self, plan: Plan):
        self.plan = plan
        self.clients = [(c.name, c.phone, c.email, c.phone_key, c.email_key) for c in plan.clients]
        self.completed = [(c, c.phone, c.email) for c in plan.completed]
        for client in plan.clients:
            client.stored = True
        for client in plan.completed:
            client.filled = False  # a later part may complete it again


def _marks(row: Checked, done_before: dt.date | None) -> dict[int, dt.date]:
    """A new trip's done marks: step index -> done on."""
    marks = {index: due for index, due in enumerate(row.dues) if done_before is not None and due < done_before}
    marks.update(row.done)
    return marks


def _plan_against(store: Store, checked: list[Checked], bad: list[BadRow], result: ImportResult) -> Plan:
    phones = {row.phone_key for row in checked if row.phone_key}
    emails = {row.email_key for row in checked if row.email_key}
    starts = {day for row in checked for day in (row.dates[0], row.dates[3]) if day is not None}
    clients, sales = store.import_context(phones, emails, starts)
    decided = plan(checked, clients, sales, store.managers())
    result.shared = decided.shared
    result.bad = sorted(bad + decided.bad)
    result.added = len(decided.trips)
    result.clients_added = len(decided.clients)
    result.already, result.repeated = decided.already, decided.repeated
    return decided


def _write_client_dates(
    store: Store, trips: Iterable[tuple[int, tuple[_Client, Checked]]], within: Offset, calendar: WorkCalendar | None
) -> None:
    """The rows' birthdays and passport dates onto their clients, and the passport check onto
    each new trip (`trips`: (trip id, (client, row))) whose client's passport expires too soon
    (due on its purchase day)."""
    for trip_id, (client, row) in trips:
        if row.birthday is None and row.passport_expires is None:
            continue
        assert client.id is not None
        store.update_client(client.id, birthday=row.birthday, passport_expires=row.passport_expires)
        dates = dict(zip(DATE_FIELDS, row.dates))
        if row.passport_expires is not None and passport.too_soon(row.passport_expires, dates, within):
            start = dates["purchase"]
            assert start is not None  # too_soon: a sold tour
            store.add_steps(trip_id, [passport.check_step(dates, start, calendar, row.passport_expires)])


def _consents(part: Sequence[tuple[_Client, Checked]], today: dt.date | None) -> list[ConsentEntry]:
    """The ledger's lines for the rows whose `consent` said yes: advertising on both channels,
    dated the purchase (else the decline, else the day of the import), via import."""
    entries: list[ConsentEntry] = []
    for client, row in part:
        if not row.consent:
            continue
        day = next((d for d in (row.dates[0], row.dates[3]) if d is not None), None) or today or dt.date.today()
        entries += [ConsentEntry(client.id, ch, ADS, True, day, "import") for ch in CONSENT_CHANNELS]  # type: ignore[arg-type]
    return entries
