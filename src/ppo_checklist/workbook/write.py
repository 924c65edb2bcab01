"""The director's checklist workbook (XLSX): what `ppo export` writes.

One "Checklist <playbook>" sheet per playbook (each with its own header, autofilter and
frozen panes), an "Actions" sheet (one row per step), a "Summary" per manager, a
"Legend", and a hidden "_ppo" sheet by which `ppo sync` knows the file is ppo's.
Step dates are live formulas of the input dates with their values cached, colours are
conditional formats against TODAY(), so the file is right on whatever day it is opened.
Below its live table the Summary holds the director's figures (`stats`) for a period, as
values of the export's day, and a bar chart of the on-time rate per manager.

Written with XlsxWriter, but for the big sheets' rows (a trip's, a step's), which ppo
streams itself (`rows`): 100 000 trips take a few tens of MB, and a few times less time.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, TypeVar

from ppo_checklist import __version__, files
from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.core import schedule
from ppo_checklist.core.consent import ADS, ads_steps, first_purpose
from ppo_checklist.core.model import (
    ANCHORS,
    CANCELLED,
    LAPSED,
    NO_CONSENT,
    OPTED_OUT,
    SENT_CHANNELS,
    SKIP_MARK,
    SKIPPED,
    TICK_WORDS,
    PlaybookUse,
    Trip,
    TripStep,
)
from ppo_checklist.core.playbooks import Playbook, Step, last_day
from ppo_checklist.core.words import FORMULA_STARTS, channel_name, status_name
from ppo_checklist.errors import BadInput, DateError, WorkbookError
from ppo_checklist.i18n import N_, _, language
from ppo_checklist.workbook import identity, zip_parts
from ppo_checklist.workbook.rows import SheetRows, assemble, close_all, col_name, deflating, formula_xml, xml_escape

if TYPE_CHECKING:
    from ppo_checklist.stats import Figures, KpiReport

T = TypeVar("T")
FORMAT_MARK = "ppo-checklist-workbook"
FORMAT_VERSION = 1
META_SHEET = "_ppo"
# Names and headers are written in the run's language (`_()` where they are used); `_ppo`
# records each sheet's name and headers as written, so sync reads either language back.
ACTIONS_SHEET = N_("Actions")
SUMMARY_SHEET = N_("Summary")
LEGEND_SHEET = N_("Legend")
TICK = "✓"
NOTE_CELL = -1  # a trip's note among the cells carried from the book replaced: (trip, NOTE_CELL)
MAX_ROWS = 1_048_576  # Excel's limit per sheet
EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_FORMAT = "dd.mm.yyyy"
RATE_FORMAT = "0.0%"
RATE_FORMAT_RU = "[$-419]0.0\\ %"  # 4,8 %: a Russian reader's comma and space, whatever the office's locale
ANCHOR_NAMES = {  # English as written before _ppo recorded headers: sync's legacy files
    "purchase": N_("Purchase"),
    "departure": N_("Departure"),
    "return": N_("Return"),
    "declined": N_("Declined"),
}

COLOURS = {  # fill, font
    "input": ("#FFF6CC", None),  # the method's light-yellow input dates
    "due": ("#FFE033", "#5C4A00"),
    "overdue": ("#F26B6B", "#FFFFFF"),
    "done": ("#DCEFD8", "#3B6B35"),
    "cancelled": ("#E7E7E7", "#808080"),
    "lapsed": ("#B8869A", "#FFFFFF"),  # missed for good: darker than overdue, no longer urgent
    "skipped": ("#E7E7E7", "#808080"),
    "opted_out": ("#E3E9F2", "#5B6B80"),
    "no_consent": ("#ECE6F2", "#6B5B80"),  # advertising without consent: never sent, nobody's task
    "header": ("#EEF1F5", None),
}


def serial(day: dt.date) -> int:
    """The Excel serial number of a day (what a cached date value must be)."""
    return (day - EXCEL_EPOCH).days


def quoted_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


# --- the one rule, written for the spreadsheet ----------------------------------------------


def status_conditions(
    date_ref: str,
    tick_ref: str,
    cancelled_ref: str | None = None,
    lapse: tuple[str, int] | None = None,
    opted_ref: str | None = None,
    no_consent: str | None = None,
) -> dict[str, str]:
    """`model.step_status` as spreadsheet conditions, in the rule's order: the first that
    holds is the status (else pending).

    Keep the two in step (a test runs both on the same cases in LibreOffice): a tick
    (`done_condition`: only what `sync` takes for one) is done whatever else; any other step
    of a cancelled trip is cancelled; the skip mark (`ppo skip`) is skipped; a letter or SMS
    step of a client who opted out (`opted_ref` not empty: given only for those steps) is
    opted out; an advertising step without the client's consent (`no_consent`: a condition,
    given only for those steps) is no_consent; past its moment (`lapse`: the cell of its date
    and the days after it) lapsed; a date before TODAY() is overdue, on TODAY() due (a word
    kept in its tick cell does not make it done). ISNUMBER keeps an empty date from being
    "overdue" or "lapsed".
    """
    conditions = {schedule.DONE: done_condition(tick_ref)}
    if cancelled_ref is not None:
        conditions[CANCELLED] = f'{cancelled_ref}<>""'
    conditions[SKIPPED] = f'{tick_ref}="{SKIP_MARK}"'
    if opted_ref is not None:
        conditions[OPTED_OUT] = f'{opted_ref}<>""'
    if no_consent is not None:
        conditions[NO_CONSENT] = no_consent
    if lapse is not None:
        ref, days = lapse
        moment = f"{ref}{days:+d}" if days else ref
        conditions[LAPSED] = f"AND(ISNUMBER({ref}),{moment}<TODAY())"
    conditions[schedule.OVERDUE] = f"AND(ISNUMBER({date_ref}),{date_ref}<TODAY())"
    conditions[schedule.DUE] = f"AND(ISNUMBER({date_ref}),{date_ref}=TODAY())"
    return conditions


# The tick words (`model.TICK_WORDS`, each also with a closing full stop or exclamation mark)
# as a workbook-level name: the formulas call a step done only by them, as `sync` reads it.
TICK_WORDS_NAME = "ppo_ticks"
FIRST_TICK_DAY = serial(dt.date(2000, 1, 1))  # a number from here on in a tick cell is a day


def tick_words_array() -> str:
    words = sorted({w + end for w in TICK_WORDS for end in ("", ".", "!")})
    return "={" + ",".join('"' + w.replace('"', '""') + '"' for w in words) + "}"


def define_tick_words(book) -> None:
    """The name `done_condition` looks the words up in (an XlsxWriter workbook)."""
    book.define_name(TICK_WORDS_NAME, tick_words_array())


def done_condition(tick_ref: str) -> str:
    """A tick cell that says done as `sync` reads it (`read.tick_day`): a tick word (any case,
    spaces around), 1 or TRUE, or a day up to TODAY(). Any other word (kept as typed by
    `export`), the skip mark or a day to come is no tick. Spreadsheets compare text ignoring
    case or not by a setting, so the cell is lowered and the words are lower case."""
    t = tick_ref
    return (
        f"IF(ISNUMBER({t}),OR({t}=1,AND({t}>={FIRST_TICK_DAY},{t}<=TODAY())),"
        f"SUMPRODUCT(--(LOWER(TRIM({t}))={TICK_WORDS_NAME}))>0)"
    )


def only(conditions: Mapping[str, str], status: str) -> str:
    """The condition that the status is `status`: its own, and none before it in the rule."""
    earlier: list[str] = []
    for code, condition in conditions.items():
        if code == status:
            return f"AND({','.join([*earlier, condition])})" if earlier else condition
        earlier.append(f"NOT({condition})")
    raise KeyError(status)


def status_formula(
    date_ref: str,
    tick_ref: str,
    cancelled_ref: str | None = None,
    labels: Mapping[str, str] | None = None,
    lapse: tuple[str, int] | None = None,
    opted_ref: str | None = None,
    no_consent: str | None = None,
) -> str:
    """The status as a formula; `labels` shows each status in words (default: its code)."""
    labels = labels or {}
    formula = f'"{labels.get(schedule.PENDING, schedule.PENDING)}"'
    conditions = status_conditions(date_ref, tick_ref, cancelled_ref, lapse, opted_ref, no_consent)
    for status, condition in reversed(conditions.items()):
        formula = f'IF({condition},"{labels.get(status, status)}",{formula})'
    return "=" + formula


WORKBOOK_STATUSES = (
    schedule.DONE,
    CANCELLED,
    SKIPPED,
    OPTED_OUT,
    NO_CONSENT,
    LAPSED,
    schedule.OVERDUE,
    schedule.DUE,
    schedule.PENDING,
)


def status_labels() -> dict[str, str]:
    """Each status as the workbook shows it, in the run's language."""
    return {code: status_name(code) for code in WORKBOOK_STATUSES}


def due_formula(step: Step, anchor_ref: str, start_ref: str, anchor_is_start: bool) -> str:
    """A step's date from its anchor cell: the offset, then never before the start date.

    Months use EDATE, which clamps the end of month as dateutil's relativedelta does
    (31.01 + 1m = 28.02); relativedelta applies months before days, so EDATE comes first.
    """
    offset = step.offset
    sign = "-" if offset.sign < 0 else "+"
    months = 12 * offset.years + offset.months
    expr = f"EDATE({anchor_ref},{sign if sign == '-' else ''}{months})" if months else anchor_ref
    days = offset.days + 7 * offset.weeks
    if days:
        expr += f"{sign}{days}"
    if anchor_is_start and (offset.sign > 0 or offset.is_zero()):
        return "=" + expr  # can never fall before the start
    return f"=MAX({expr},{start_ref})"


# --- the layout of a checklist sheet ---------------------------------------------------------


@dataclass(frozen=True)
class StepColumn:
    no: int
    id: str
    title: str
    channel: str
    step: Step | None  # None: the store has the step, the playbook no longer does
    header: str
    tick_header: str
    date_col: int
    tick_col: int
    lapse: tuple[int, int] | None = None  # the step's moment: (column of its date, days after it)

    @property
    def sent(self) -> bool:
        """ppo would send it (a letter, an SMS): out of play for a client who opted out."""
        return self.channel in SENT_CHANNELS

    @property
    def ads(self) -> bool:
        """ppo sends it and it is advertising: only with the client's consent on its channel."""
        return self.step is not None and first_purpose(self.step) == ADS


@dataclass(frozen=True)
class SheetLayout:
    name: str
    playbook_id: str
    playbook: Playbook | None  # None: trips of a playbook that is no longer installed
    anchors: tuple[str, ...]
    anchor_cols: dict[str, int]
    steps: tuple[StepColumn, ...]
    note_col: int
    cancelled_col: int | None
    headers: tuple[str, ...]
    opted_col: int = -1  # the client opted out of letters and SMS (not read back)
    consent_col: int = -1  # the channels the client has not consented to ads on (not read back)

    @property
    def trip_header(self) -> str:
        return self.headers[0]

    @property
    def last_col(self) -> int:
        return len(self.headers) - 1


FIXED_HEADERS = (N_("Trip"), N_("Client"), N_("Phone"), N_("Manager"))
CLIENT_COL = 1
FIXED_WIDTHS = (5, 22, 16, 12)
STEP_WIDTH = 12  # a step's date column at least: a date, and a header of a few short lines


def rate_format() -> str:
    """The percentage format in the workbook's language."""
    return RATE_FORMAT_RU if language() == "ru" else RATE_FORMAT


def step_header(no: int, title: str, step: Step | None) -> str:
    """A step's date column: its number and title, and when it falls in words."""
    when = schedule.when_words(step.anchor, step.offset) if step is not None else "?"
    return f"{no}. {title}\n{when}"


BOLD = 1.1  # a bold character's width, in a column's units (a normal digit's)


def fitting_width(text: str, least: float = 0) -> float:
    """A column as wide as the longest word of its header (bold, wrapped): no word broken."""
    longest = max((len(word) for word in text.split()), default=0)
    return max(least, round(longest * BOLD + 1.5, 1))


def wrapped_lines(text: str, width: float) -> int:
    """How many lines a bold header takes wrapped in a column `width` wide (word by word)."""
    room = max(int(width - 1), 1)  # Calc and Excel fit about a character a unit, bold or not
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            if used and used + 1 + len(word) > room:
                lines += 1
                used = 0
            used += len(word) + (1 if used else 0)
    return lines


def sheet_name(label: str, taken: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in label).strip("'")
    base = _("Checklist {playbook}").format(playbook=clean)[:31]
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


def plan_sheets(
    playbooks: Mapping[str, Playbook],
    uses: Mapping[str, PlaybookUse],
    include_all: bool,
) -> list[SheetLayout]:
    """One sheet per installed playbook, and one per playbook the store's trips still use,
    the most used first.

    A sheet's step columns are the playbook's steps plus any step the stored trips have
    that the playbook lost (so no stored step goes missing from the workbook).
    """
    taken = {_(s).casefold() for s in (ACTIONS_SHEET, SUMMARY_SHEET, LEGEND_SHEET)} | {META_SHEET.casefold()}
    layouts = []
    order = sorted(set(playbooks) | set(uses), key=lambda pb: (-(uses[pb].trips if pb in uses else 0), pb))
    for pb_id in order:
        playbook = playbooks.get(pb_id)
        use = uses.get(pb_id)
        stored_steps, stored_anchors = (use.steps, use.dates) if use else ([], set())
        by_no: dict[int, tuple[int, str, str, str, Optional[Step]]]
        if playbook is not None:
            anchors = playbook.dates + playbook.optional_dates
            by_no = {s.no: (s.no, s.id, s.title, s.channel, s) for s in playbook.steps}
        else:
            anchors = tuple(a for a in ANCHORS if a in stored_anchors)
            by_no = {}
        for no, sid, title, channel in stored_steps:
            by_no.setdefault(no, (no, sid, title, channel, None))
        headers = [_(header) for header in FIXED_HEADERS]
        anchor_cols = {}
        for anchor in anchors:
            anchor_cols[anchor] = len(headers)
            headers.append(_(ANCHOR_NAMES[anchor]))
        steps = []
        for no, sid, title, channel, step in (by_no[k] for k in sorted(by_no)):
            header = step_header(no, title, step)
            tick_header = f"{TICK} {no}"
            lapse = None
            if step is not None and step.lapses is not None and step.lapses.anchor in anchor_cols:
                lapse = (anchor_cols[step.lapses.anchor], step.lapses.days)
            steps.append(
                StepColumn(
                    no,
                    sid,
                    title,
                    channel,
                    step,
                    header,
                    tick_header,
                    len(headers),
                    len(headers) + 1,
                    lapse,
                )
            )
            headers += [header, tick_header]
        note_col = len(headers)
        headers.append(_("Note"))
        opted_col = len(headers)
        headers.append(_("Opted out"))
        consent_col = len(headers)
        headers.append(_("No ads consent"))
        cancelled_col = None
        if include_all:
            cancelled_col = len(headers)
            headers.append(_("Cancelled"))
        layouts.append(
            SheetLayout(
                sheet_name(playbook.name if playbook is not None else pb_id, taken),
                pb_id,
                playbook,
                anchors,
                anchor_cols,
                tuple(steps),
                note_col,
                cancelled_col,
                tuple(headers),
                opted_col,
                consent_col,
            )
        )
    return layouts


# --- writing ------------------------------------------------------------------------------


class Consent:
    """Which steps are advertising the client has not consented to, by the ledger as of the
    export: `model.step_status`'s no_consent, as `today` and `send` decide it."""

    def __init__(self, playbooks: Mapping[str, Playbook], ads_consent: Container[tuple[int, str]]):
        self.ads = ads_steps(playbooks)
        self.ads_consent = ads_consent

    def consents(self, client_id: int, channel: str) -> bool:
        return (client_id, channel) in self.ads_consent

    def lacks(self, trip: Trip, step: TripStep) -> bool:
        return (trip.playbook, step.id) in self.ads and not self.consents(trip.client.id, step.channel)


@dataclass
class Counts:
    due: int = 0
    overdue: int = 0
    lapsed: int = 0
    done: int = 0
    skipped: int = 0
    opted_out: int = 0
    no_consent: int = 0
    pending: int = 0

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    @property
    def steps(self) -> int:
        return sum(getattr(self, name) for name in SUMMARY_STATUSES)


@dataclass
class ExportResult:
    trips: int = 0
    steps: int = 0
    totals: Counts = field(default_factory=Counts)
    by_manager: dict[str, Counts] = field(default_factory=dict)


class StepRefs(NamedTuple):
    """Where a step of a trip row is, as the Actions sheet points at it."""

    step: TripStep
    date_ref: str
    tick_ref: str
    title: str
    lapse_formula: str | None  # its moment from the row's date cell, or None
    opted_ref: str | None  # the row's "opted out" cell, for a letter or SMS step
    no_consent: bool = False  # advertising the client has not consented to on its channel


class _SheetWriter:
    """Writes one checklist sheet's trip rows, the formulas and cached values of each."""

    def __init__(
        self,
        sheet,
        rows: SheetRows,
        layout: SheetLayout,
        formats,
        carried: Mapping[tuple[int, int], Any] | None = None,
        consent: Consent | None = None,
    ):
        self.sheet = sheet  # XlsxWriter's: the header row, the sheet's settings
        self.rows = rows  # the trip rows, streamed
        self.carried = carried or {}
        self.consent = consent
        self.layout = layout
        self.s = _styles(formats)
        self.quoted = quoted_sheet(layout.name)
        playbook = layout.playbook
        self.deriver = schedule.Deriver(playbook) if playbook is not None else None
        self.step_nos = [step.no for step in playbook.steps] if playbook is not None else []
        self.templates: dict[int, str] = {}  # XML of each step's date formula, "{r}" for the row
        if playbook is not None:
            start = col_name(layout.anchor_cols[playbook.start]) + "{r}"
            for sc in layout.steps:
                if sc.step is not None:
                    anchor = col_name(layout.anchor_cols[sc.step.anchor]) + "{r}"
                    formula = due_formula(sc.step, anchor, start, sc.step.anchor == playbook.start)
                    self.templates[sc.no] = formula_xml(formula)
        self.letters = {sc.no: (col_name(sc.date_col), col_name(sc.tick_col)) for sc in layout.steps}
        self.opted_letter = col_name(layout.opted_col)
        self.lapse_letters = {sc.no: col_name(sc.lapse[0]) for sc in layout.steps if sc.lapse is not None}

    def expected_dues(self, trip: Trip) -> dict[int, dt.date]:
        """Each step's day as the playbook gives it today (the row's formula), by step number."""
        if self.deriver is None:
            return {}
        dates = trip.dates.get
        try:
            return dict(zip(self.step_nos, self.deriver.dues([dates(anchor) for anchor in ANCHORS])))
        except DateError:
            return {}

    def write_trip(self, trip: Trip) -> list[StepRefs]:
        """The trip's row; returns, per step, the cell references the Actions sheet points at."""
        rows, s, layout = self.rows, self.s, self.layout
        if rows.rows >= MAX_ROWS:
            raise WorkbookError(
                _("too many {pb} trips for one sheet ({n})").format(pb=layout.playbook_id, n=MAX_ROWS - 1)
            )
        rows.number(0, trip.id)
        _text(rows, s, CLIENT_COL, trip.client.name)
        _text(rows, s, 2, trip.client.phone or "")
        _text(rows, s, 3, trip.manager)
        for anchor, col in layout.anchor_cols.items():
            day = trip.dates.get(anchor)
            if day is None:
                rows.blank(col, s.input)
            else:
                rows.number(col, serial(day), s.input)
        expected = self.expected_dues(trip)
        by_no = {step.no: step for step in trip.steps}
        refs = []
        excel_row = rows.r
        quoted = self.quoted
        for sc in layout.steps:
            step = by_no.get(sc.no)
            if step is None:
                continue
            template = self.templates.get(sc.no)
            if template is not None and expected.get(sc.no) == step.due:
                rows.formula(sc.date_col, template.replace("{r}", excel_row), serial(step.due), s.date)
            else:
                # The playbook changed since the trip was scheduled (or is gone): the store's
                # date is what ppo acts on, so the workbook shows it as a plain value.
                rows.number(sc.date_col, serial(step.due), s.date)
            if step.done_on is not None:
                rows.string(sc.tick_col, TICK, s.tick)
            elif step.skipped_on is not None:
                rows.string(sc.tick_col, SKIP_MARK, s.tick)
            elif (trip.id, sc.no) in self.carried:
                self.write_carried(sc.tick_col, self.carried[(trip.id, sc.no)])
            date_letter, tick_letter = self.letters[sc.no]
            date_ref = f"{quoted}!${date_letter}${excel_row}"
            tick_ref = f"{quoted}!${tick_letter}${excel_row}"
            lapse_formula = None
            if sc.lapse is not None and sc.step is not None and step.lapses_on is not None:
                if step.lapses_on == last_day(sc.step.lapses, trip.dates):
                    anchor = f"{quoted}!${self.lapse_letters[sc.no]}${excel_row}"
                    moment = f"{anchor}{sc.lapse[1]:+d}" if sc.lapse[1] else anchor
                    lapse_formula = f'=IF(ISNUMBER({anchor}),{moment},"")'
            opted_ref = f"{quoted}!${self.opted_letter}${excel_row}" if sc.sent else None
            unconsented = self.consent is not None and self.consent.lacks(trip, step)
            refs.append(StepRefs(step, date_ref, tick_ref, sc.title, lapse_formula, opted_ref, unconsented))
        # Typed over in the workbook, `sync` takes it back; one it refused stays as typed.
        note = self.carried.get((trip.id, NOTE_CELL), trip.note)
        if note:
            rows.string(layout.note_col, note, s.note)
        if trip.opted_out:
            rows.string(layout.opted_col, status_name(OPTED_OUT))
        lacking = self.lacking_channels(trip)
        if lacking:
            rows.string(layout.consent_col, ", ".join(channel_name(c) for c in lacking))
        if layout.cancelled_col is not None and trip.cancelled_on is not None:
            rows.number(layout.cancelled_col, serial(trip.cancelled_on), s.date)
        rows.end()
        return refs

    def lacking_channels(self, trip: Trip) -> list[str]:
        """The channels of the sheet's advertising steps the trip's client has not consented to:
        the row's "no ads consent" cell, which those steps' colours read."""
        if self.consent is None:
            return []
        channels = {sc.channel for sc in self.layout.steps if sc.ads}
        return [c for c in SENT_CHANNELS if c in channels and not self.consent.consents(trip.client.id, c)]

    def write_carried(self, col: int, value: Any) -> None:
        """A tick cell of the replaced book that ppo could not take yet, as it was typed."""
        rows, s = self.rows, self.s
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            rows.number(col, serial(value), s.tick_date)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.number(col, value, s.tick)
        elif str(value):
            text = str(value)
            rows.string(col, text, s.tick_quoted if text.startswith(FORMULA_STARTS) else s.tick)

    def finish(self, formats) -> None:
        ws, layout = self.sheet, self.layout
        last = max(self.rows.rows - 1, 1)
        for col, width in enumerate(FIXED_WIDTHS):
            ws.set_column(col, col, fitting_width(layout.headers[col], width))
        for col in layout.anchor_cols.values():
            ws.set_column(col, col, fitting_width(layout.headers[col], 11), formats["input"])
        for sc in layout.steps:
            ws.set_column(sc.date_col, sc.date_col, fitting_width(sc.header, STEP_WIDTH))
            ws.set_column(sc.tick_col, sc.tick_col, 4, formats["tick"])  # empty tick cells: open
        ws.set_column(layout.note_col, layout.note_col, 20, formats["note"])
        ws.set_column(layout.opted_col, layout.opted_col, 11)
        ws.set_column(layout.consent_col, layout.consent_col, fitting_width(layout.headers[layout.consent_col], 11))
        if layout.cancelled_col is not None:
            ws.set_column(layout.cancelled_col, layout.cancelled_col, fitting_width(layout.headers[-1], 11))
        _print_setup(ws)
        _protect(ws)
        ws.freeze_panes(1, 2)
        ws.autofilter(0, 0, last, layout.last_col)
        if self.rows.rows == 1:
            return
        self.conditional_formats(formats)

    def conditional_formats(self, formats) -> None:
        ws, layout = self.sheet, self.layout
        first, last = 1, self.rows.rows - 1
        r = str(first + 1)
        cancelled_ref = f"${col_name(layout.cancelled_col)}{r}" if layout.cancelled_col is not None else None
        cancelled = f'{cancelled_ref}<>""' if cancelled_ref is not None else None
        opted_ref = f"${col_name(layout.opted_col)}{r}"
        consent_ref = f"${col_name(layout.consent_col)}{r}"
        overdue_terms, due_terms = [], []
        for sc in layout.steps:
            date_ref, tick_ref = col_name(sc.date_col) + r, col_name(sc.tick_col) + r
            lapse = (f"${col_name(sc.lapse[0])}{r}", sc.lapse[1]) if sc.lapse is not None else None
            opted = opted_ref if sc.sent else None
            # An advertising step: no consent when the row's cell names its channel.
            unconsented = f'ISNUMBER(SEARCH("{channel_name(sc.channel)}",{consent_ref}))' if sc.ads else None
            # the rule's order: done first
            rules = status_conditions(date_ref, tick_ref, cancelled_ref, lapse, opted, unconsented)
            for colour, formula in rules.items():
                ws.conditional_format(
                    first,
                    sc.date_col,
                    last,
                    sc.date_col,
                    {
                        "type": "formula",
                        "criteria": "=" + formula,
                        "format": formats["cf_" + colour],
                        "stop_if_true": True,
                    },
                )
            ws.conditional_format(
                first,
                sc.tick_col,
                last,
                sc.tick_col,
                {
                    "type": "formula",
                    "criteria": "=" + rules[schedule.DONE],
                    "format": formats["cf_done"],
                    "stop_if_true": True,
                },
            )
            # The name cell looks at every step of its row: absolute columns, relative row.
            abs_cond = status_conditions("$" + date_ref, "$" + tick_ref, None, lapse, opted, unconsented)
            overdue_terms.append(only(abs_cond, schedule.OVERDUE))
            due_terms.append(only(abs_cond, schedule.DUE))
            ws.data_validation(
                first,
                sc.tick_col,
                last,
                sc.tick_col,
                {
                    "validate": "list",
                    "source": [TICK],
                    "error_type": "warning",
                    "ignore_blank": True,
                    "input_title": _("Done?"),
                    "input_message": _("Choose ✓ when the step is done, or type the day it was done (DD.MM.YYYY)."),
                    "error_title": _("Not a tick"),
                    "error_message": _("ppo sync reads ✓, «сделано», да, + or x, or a date. Keep this value?"),
                },
            )
        if not layout.steps:
            return
        name_rules = [(cancelled, "cancelled")] if cancelled else []
        name_rules += [
            (f"OR({','.join(overdue_terms)})", "overdue"),
            (f"OR({','.join(due_terms)})", "due"),
        ]
        for formula, colour in name_rules:
            ws.conditional_format(
                first,
                CLIENT_COL,
                last,
                CLIENT_COL,
                {
                    "type": "formula",
                    "criteria": "=" + formula,
                    "format": formats["cf_" + colour],
                    "stop_if_true": True,
                },
            )


def header_height(layout: SheetLayout) -> float:
    """The header row tall enough for its longest step header, wrapped in its column."""
    lines = max((wrapped_lines(sc.header, fitting_width(sc.header, STEP_WIDTH)) for sc in layout.steps), default=2)
    return 14 * max(lines, 2) + 4


def _protect(ws) -> None:
    """Lock what ppo does not read back, so a spreadsheet says so when someone types there
    instead of the next export silently dropping it. No password: it is a signpost, not a
    safe (Review > Unprotect sheet). Ticks, input dates and notes stay open; filtering and
    column widths stay allowed."""
    ws.protect(
        "",
        {
            "autofilter": True,
            "format_columns": True,
            "format_rows": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


def _print_setup(ws, header_rows: int = 1) -> None:
    """On paper (or PDF): landscape A4 pages as wide as the sheet, as many as its rows need,
    the header rows on every page, the page number at the foot."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.5)
    ws.set_footer("&C&P / &N")


def _formats(book) -> dict:
    def fill(name: str, **more):
        bg, font = COLOURS[name]
        props = {"bg_color": bg, **more}
        if font:
            props["font_color"] = font
        return book.add_format(props)

    return {
        "header": fill("header", bold=True, text_wrap=True, valign="top", bottom=1),
        "input": fill("input", num_format=DATE_FORMAT, border=1, border_color="#E0D9A8", locked=False),
        "date": book.add_format({"num_format": DATE_FORMAT}),
        "tick": book.add_format({"align": "center", "locked": False}),
        "tick_date": book.add_format({"align": "center", "locked": False, "num_format": DATE_FORMAT}),
        "tick_quoted": book.add_format({"align": "center", "locked": False, "quote_prefix": True}),
        "note": book.add_format({"locked": False, "quote_prefix": True}),  # text, even "=…"
        "text": None,
        "text_quoted": book.add_format({"quote_prefix": True}),
        "bold": book.add_format({"bold": True}),
        "title": book.add_format({"bold": True, "font_size": 13}),
        "rate": book.add_format({"num_format": rate_format()}),
        "rate_bold": book.add_format({"num_format": rate_format(), "bold": True}),
        "cf_due": book.add_format({"bg_color": COLOURS["due"][0], "font_color": COLOURS["due"][1]}),
        "cf_overdue": book.add_format(
            {"bg_color": COLOURS["overdue"][0], "font_color": COLOURS["overdue"][1], "bold": True}
        ),
        "cf_done": book.add_format({"bg_color": COLOURS["done"][0], "font_color": COLOURS["done"][1]}),
        "cf_cancelled": book.add_format({"bg_color": COLOURS["cancelled"][0], "font_color": COLOURS["cancelled"][1]}),
        "cf_lapsed": book.add_format({"bg_color": COLOURS["lapsed"][0], "font_color": COLOURS["lapsed"][1]}),
        "cf_skipped": book.add_format(
            {"bg_color": COLOURS["skipped"][0], "font_color": COLOURS["skipped"][1], "font_strikeout": True}
        ),
        "cf_opted_out": book.add_format({"bg_color": COLOURS["opted_out"][0], "font_color": COLOURS["opted_out"][1]}),
        "cf_no_consent": book.add_format(
            {"bg_color": COLOURS["no_consent"][0], "font_color": COLOURS["no_consent"][1]}
        ),
        "swatch": {
            name: fill(name)
            for name in ("input", "due", "overdue", "done", "cancelled", "lapsed", "skipped", "opted_out", "no_consent")
        },
    }


def _text_writer(formats) -> Callable:
    quoted = formats["text_quoted"]

    def write_text(ws, row: int, col: int, value: str) -> None:
        """User text is always a string cell, never a formula (quote_prefix: not when edited)."""
        if value:
            ws.write_string(row, col, value, quoted if value.startswith(FORMULA_STARTS) else None)

    return write_text


class _Styles(NamedTuple):
    """The XlsxWriter formats of the streamed cells, as style indices (0: none)."""

    input: int
    date: int
    tick: int
    tick_date: int
    tick_quoted: int
    note: int
    text_quoted: int


def _styles(formats) -> _Styles:
    return _Styles(*(formats[name]._get_xf_index() for name in _Styles._fields))


def _text(rows: SheetRows, s: _Styles, col: int, value: str) -> None:
    """User text is always a string cell, never a formula (quote_prefix: not when edited)."""
    if value:
        rows.string(col, value, s.text_quoted if value.startswith(FORMULA_STARTS) else 0)


def _sheet_class():
    # xlsxwriter (~25 ms) only when a book is written: read and sync import this module too.
    from ppo_checklist.workbook.xlsx_sheet import FastFormulaSheet

    return FastFormulaSheet


def _book_class():
    from ppo_checklist.workbook.xlsx_sheet import TextExactBook  # as in `_sheet_class`

    return TextExactBook


def write_book(
    target: Path,
    trips: Iterable[Trip],
    layouts: Sequence[SheetLayout],
    playbooks: Mapping[str, Playbook],
    today: dt.date,
    kpis: KpiReport | None = None,
    tmpdir: Path | None = None,
    carried: Mapping[tuple[int, int], Any] | None = None,
    ads_consent: Container[tuple[int, str]] | None = None,
    store_id: str = "",
) -> ExportResult:
    """Stream the trips (in id order) into a new workbook at `target`; `kpis` (`stats.compute`
    for the period of the export) go below the Summary's live table. The big sheets' rows
    are streamed into scratch files in `tmpdir` (default: a temporary folder), then spliced
    into the book XlsxWriter writes (`rows`). `carried`: tick cells of the book replaced
    that ppo could not read as ticks, (trip, step no) -> value, kept as typed.
    `ads_consent`: (client id, channel) whose ads consent stands (`store.ads_consents`); the
    advertising steps of the others are `no_consent`. None: consent is not shown.
    `store_id`: the store's identity (`identity`), by which sync knows the book is its own."""
    if tmpdir is None:
        with tempfile.TemporaryDirectory() as scratch:
            return write_book(
                target, trips, layouts, playbooks, today, kpis, Path(scratch), carried, ads_consent, store_id
            )

    frame = io.BytesIO()
    book = _book_class()(
        frame,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    streams: dict[str, SheetRows] = {}
    try:
        # Leaving it: every batch written, or a full disk's OSError (said by the one who replaces).
        with deflating() as rows_aside:
            try:
                consent = Consent(playbooks, ads_consent) if ads_consent is not None else None
                result = _fill(
                    book, trips, layouts, playbooks, today, kpis, carried or {}, tmpdir, streams, consent, rows_aside
                )
            finally:
                close_all(streams.values())
            book.set_properties({"title": _("ППО checklist"), "comments": f"{FORMAT_MARK} v{FORMAT_VERSION}"})
            book.set_custom_property("ppo_workbook", f"{FORMAT_MARK} v{FORMAT_VERSION}")
            identity.write(book, store_id)
            try:
                book.close()  # while the last rows are compressed
            except Exception as exc:
                raise WorkbookError(_("cannot write {path}: {e}").format(path=target, e=exc)) from None
    finally:
        for rows in streams.values():
            rows.release()
    try:
        assemble(frame.getvalue(), target, streams)
    except zip_parts.TooBig:
        raise WorkbookError(_("cannot write {path}: a workbook of 4 GB or more").format(path=target)) from None
    return result


def _fill(
    book, trips, layouts, playbooks, today, kpis, carried, scratch: Path, streams, consent, rows_aside
) -> ExportResult:
    formats = _formats(book)
    write_text = _text_writer(formats)
    strings = book.str_table._get_shared_string_index
    define_tick_words(book)

    def streamed(ws, width: int, header_rows: int = 1) -> SheetRows:
        rows = SheetRows(scratch / f"sheet{ws.index + 1}.xml", width, strings, rows_aside, header_rows)
        streams[f"xl/worksheets/sheet{ws.index + 1}.xml"] = rows
        return rows

    sheets = {}
    for layout in layouts:
        ws = book.add_worksheet(layout.name, worksheet_class=_sheet_class())
        ws.set_row(0, header_height(layout))
        for col, header in enumerate(layout.headers):
            ws.write_string(0, col, header, formats["header"])
        rows = streamed(ws, len(layout.headers))
        sheets[layout.playbook_id] = _SheetWriter(ws, rows, layout, formats, carried, consent)
    actions = _ActionsWriter(book, formats, streamed)
    summary = book.add_worksheet(_(SUMMARY_SHEET), worksheet_class=_sheet_class())
    legend = book.add_worksheet(_(LEGEND_SHEET), worksheet_class=_sheet_class())
    meta = book.add_worksheet(META_SHEET, worksheet_class=_sheet_class())
    meta_rows = streamed(meta, META_WIDTH, header_rows=0)  # no header: every row streamed
    _write_meta(meta_rows, layouts, today)
    result = ExportResult()
    for trip in trips:
        writer = sheets[trip.playbook]
        refs = writer.write_trip(trip)
        result.trips += 1
        _meta_dates(meta_rows, writer.layout, trip)
        if trip.cancelled_on is not None:
            continue  # a cancelled trip has nothing to do: it is not an action
        counts = result.by_manager.setdefault(trip.manager, Counts())
        for ref in refs:
            status = trip.step_status(ref.step, today, ref.no_consent)
            counts.add(status)
            result.totals.add(status)
            result.steps += 1
            actions.write(trip, ref, status)
    for writer in sheets.values():
        writer.finish(formats)
    actions.finish()
    row = _write_summary(summary, formats, actions, result, today)
    if kpis is not None:
        _write_kpis(book, summary, formats, write_text, kpis, row + 2)
    _write_legend(legend, formats, playbooks, layouts)
    for sheet in (summary, legend, meta):
        _protect(sheet)
    meta.hide()
    if layouts:
        book.worksheets()[0].activate()
    return result


class _ActionsWriter:
    """One row per step of the trips not cancelled; due and done point at the Checklist."""

    HEADERS = (
        N_("Trip"),
        N_("Client"),
        N_("Manager"),
        N_("Step"),
        N_("Channel"),
        N_("Due"),
        N_("Done"),
        N_("Status"),
        N_("Last day"),
        N_("Opted out"),
        N_("No consent"),
    )
    MANAGER_COL, DUE_COL, DONE_COL, STATUS_COL, LAST_DAY_COL, OPTED_COL, CONSENT_COL = 2, 5, 6, 7, 8, 9, 10

    def __init__(self, book, formats, streamed: Callable[[Any, int], SheetRows]):
        self.book, self.f, self.streamed = book, formats, streamed
        self.s = _styles(formats)
        self.sheets: list[tuple[str, Any, SheetRows]] = []  # name, sheet (XlsxWriter's), its rows
        self._new_sheet()
        r = "{r}"
        self.labels = status_labels()
        self.status_template = formula_xml(
            status_formula(
                f"F{r}", f"G{r}", labels=self.labels, lapse=(f"I{r}", 0), opted_ref=f"J{r}", no_consent=f'K{r}<>""'
            )
        )
        self.channels: dict[str, str] = {}
        self.titles: dict[tuple[int, str], str] = {}

    def _new_sheet(self) -> None:
        base = _(ACTIONS_SHEET)
        name = base if not self.sheets else f"{base} {len(self.sheets) + 1}"
        ws = self.book.add_worksheet(name, worksheet_class=_sheet_class())
        for col, header in enumerate(self.HEADERS):
            ws.write_string(0, col, _(header), self.f["header"])
        self.sheets.append((name, ws, self.streamed(ws, len(self.HEADERS))))

    def write(self, trip: Trip, ref: StepRefs, status: str) -> None:
        step = ref.step
        rows = self.sheets[-1][2]
        if rows.rows >= MAX_ROWS:
            self._new_sheet()
            rows = self.sheets[-1][2]
        s = self.s
        rows.number(0, trip.id)
        _text(rows, s, 1, trip.client.name)
        _text(rows, s, 2, trip.manager)
        title = self.titles.get((step.no, ref.title))
        if title is None:
            title = self.titles[(step.no, ref.title)] = f"{step.no}. {ref.title}"
        _text(rows, s, 3, title)
        channel = self.channels.get(step.channel)
        if channel is None:
            channel = self.channels[step.channel] = channel_name(step.channel)
        rows.string(4, channel)
        rows.formula(self.DUE_COL, xml_escape(ref.date_ref), serial(step.due), s.date)
        tick_ref = xml_escape(ref.tick_ref)
        rows.formula(
            self.DONE_COL,
            f'IF({tick_ref}="","",{tick_ref})',
            TICK if step.done_on else (SKIP_MARK if step.skipped_on else ""),
            s.date,
        )
        rows.formula(self.STATUS_COL, self.status_template.replace("{r}", rows.r), self.labels[status])
        if ref.lapse_formula is not None and step.lapses_on is not None:
            rows.formula(self.LAST_DAY_COL, formula_xml(ref.lapse_formula), serial(step.lapses_on), s.date)
        elif step.lapses_on is not None:  # the playbook changed since: the stored day is the one
            rows.number(self.LAST_DAY_COL, serial(step.lapses_on), s.date)
        if ref.opted_ref is not None:
            opted = status_name(OPTED_OUT) if trip.opted_out else ""
            opted_ref = xml_escape(ref.opted_ref)
            rows.formula(self.OPTED_COL, f'IF({opted_ref}="","",{opted_ref})', opted)
        if ref.no_consent:  # the ledger's word as of the export (`ppo consent` changes it)
            rows.string(self.CONSENT_COL, status_name(NO_CONSENT))
        rows.end()

    def finish(self) -> None:
        for _name, ws, streamed in self.sheets:
            rows = streamed.rows
            for col, width in enumerate((6, 26, 13, 40, 8, 11.5, 11.5, 11, 11.5, 11, 11)):
                ws.set_column(col, col, width)
            ws.freeze_panes(1, 2)
            _print_setup(ws)
            _protect(ws)  # its Done follows the Checklist's ticks: a ✓ typed here would be lost
            ws.autofilter(0, 0, max(rows - 1, 1), len(self.HEADERS) - 1)
            if rows > 1:
                cond = status_conditions("F2", "G2", None, ("I2", 0), "J2", 'K2<>""')
                for key, colour in (
                    (schedule.DONE, "done"),
                    (SKIPPED, "skipped"),
                    (OPTED_OUT, "opted_out"),
                    (NO_CONSENT, "no_consent"),
                    (LAPSED, "lapsed"),
                    (schedule.OVERDUE, "overdue"),
                    (schedule.DUE, "due"),
                ):
                    ws.conditional_format(
                        1,
                        self.DUE_COL,
                        rows - 1,
                        self.DUE_COL,
                        {
                            "type": "formula",
                            "criteria": "=" + cond[key],
                            "format": self.f["cf_" + colour],
                            "stop_if_true": True,
                        },
                    )

    def column_ranges(self, col: int) -> list[str]:
        letter = col_name(col)
        return [f"{quoted_sheet(name)}!${letter}$2:${letter}${max(rows.rows, 2)}" for name, _ws, rows in self.sheets]


def manager_criterion(name_ref: str) -> str:
    """A COUNTIFS criterion matching the name in `name_ref` as it is: its `*`, `?` and `~`
    escaped (spreadsheets read them as wildcards), and a reference rather than a literal,
    which Excel limits to 255 characters. Case still does not count in COUNTIFS."""
    escaped = name_ref
    for char in ("~", "*", "?"):  # "~" first: it is the escape character itself
        escaped = f'SUBSTITUTE({escaped},"{char}","~{char}")'
    return f'"="&{escaped}'


# The Summary's live columns: a step's status per manager (its Total column sums them).
SUMMARY_STATUSES = (
    schedule.DUE,
    schedule.OVERDUE,
    LAPSED,
    schedule.DONE,
    SKIPPED,
    OPTED_OUT,
    NO_CONSENT,
    schedule.PENDING,
)


def _write_summary(ws, formats, actions: _ActionsWriter, result: ExportResult, today: dt.date) -> int:
    """The live table of steps per manager; returns the row of its Total."""
    ws.write_string(0, 0, _("ППО: steps per manager"), formats["title"])
    ws.write_string(1, 0, _("As of"))
    ws.write_formula(1, 1, "=TODAY()", formats["date"], serial(today))
    headers = live_headers()
    ws.set_row(3, 32)  # two lines of a wrapped header
    total_col = len(SUMMARY_STATUSES) + 1
    last_letter = col_name(total_col - 1)
    for col, header in enumerate(headers):
        ws.write_string(3, col, header, formats["header"])
    managers = actions.column_ranges(actions.MANAGER_COL)
    statuses = actions.column_ranges(actions.STATUS_COL)
    row = 4
    for manager in sorted(result.by_manager, key=str.casefold):
        counts = result.by_manager[manager]
        criterion = manager_criterion(f"$A{row + 1}") if manager else '""'
        ws.write_string(row, 0, manager or _("(no manager)"))
        for col, status in enumerate(SUMMARY_STATUSES, start=1):
            label = actions.labels[status]
            terms = [f'COUNTIFS({m},{criterion},{s},"{label}")' for m, s in zip(managers, statuses)]
            ws.write_formula(row, col, "=" + "+".join(terms), None, getattr(counts, status))
        ws.write_formula(row, total_col, f"=SUM(B{row + 1}:{last_letter}{row + 1})", None, counts.steps)
        row += 1
    ws.write_string(row, 0, _("Total"), formats["bold"])
    totals = result.totals
    for col, status in enumerate(SUMMARY_STATUSES, start=1):
        letter = col_name(col)
        value = getattr(totals, status)
        ws.write_formula(row, col, f"=SUM({letter}5:{letter}{max(row, 5)})", formats["bold"], value)
    ws.write_formula(row, total_col, f"=SUM(B{row + 1}:{last_letter}{row + 1})", formats["bold"], result.steps)
    _summary_widths(ws)
    _print_setup(ws, header_rows=0)
    for col, colour in ((1, "due"), (2, "overdue"), (3, "lapsed")):
        ws.conditional_format(
            4,
            col,
            row,
            col,
            {
                "type": "cell",
                "criteria": ">",
                "value": 0,
                "format": formats["cf_" + colour],
            },
        )
    return row


def live_headers() -> tuple[str, ...]:
    return (
        _("Manager"),
        _("Due today"),
        _("Overdue"),
        _("Lapsed"),
        _("Done"),
        _("Skipped"),
        _("Opted out"),
        _("No consent"),
        _("Later"),
        _("Steps"),
    )


def _summary_widths(ws) -> None:
    """Each column as wide as the longest word of any header in it (the live table's, the
    figures'), so that no header runs over its numbers; the names' column wider."""
    columns: dict[int, float] = {0: 34}
    for headers in (live_headers(), ("", *kpi_headers())):
        for col, header in enumerate(headers[1:], start=1):
            columns[col] = max(columns.get(col, 0), fitting_width(header, 10))
    for col, width in columns.items():
        ws.set_column(col, col, width)


def kpi_headers() -> tuple[str, ...]:
    """As `ppo stats` shows them: the steps whose day has come, how they went, the rate over
    them; then the steps ahead, and those outside the rate, apart."""
    return (
        _("Came due"),
        _("On time"),
        _("Late"),
        _("Overdue"),
        _("Lapsed"),
        _("On-time rate"),
        _("Ahead"),
        _("Skipped"),
        _("Opted out"),
        _("No consent"),
    )


RATE_AT = 5  # the rate's place among the figures
CHART_COL = 13  # N: right of the widest block (the steps', A to L)


def period_text(kpis: KpiReport) -> str:
    return f"{kpis.period.start.strftime(DAY_FORMAT)}–{kpis.period.end.strftime(DAY_FORMAT)}"


def _write_kpis(book, ws, formats, write_text, kpis: KpiReport, row: int) -> None:
    """`ppo stats` for the period, below the live table.

    Values, not formulas: they are the figures as of the export's day, the same numbers
    `ppo stats --format json` gives for that period and day.
    """
    as_of = kpis.as_of.strftime(DAY_FORMAT)
    ws.write_string(row, 0, _("On time, {period}").format(period=period_text(kpis)), formats["title"])
    ws.write_string(
        row + 1,
        0,
        _("KPIs for {period} as of {day} (figures as of that day; the table above is live).").format(
            period=period_text(kpis), day=as_of
        ),
    )
    row += 3
    ws.set_row(row, 32)
    for col, header in enumerate((_("Manager"), *kpi_headers())):
        ws.write_string(row, col, header, formats["header"])
    first = row + 1
    for name, figures in kpis.managers:
        row += 1
        if name:
            write_text(ws, row, 0, name)
        else:
            ws.write_string(row, 0, _("(no manager)"))
        _write_figures(ws, formats, row, 1, figures)
    last = row
    row += 1
    ws.write_string(row, 0, _("Total"), formats["bold"])
    _write_figures(ws, formats, row, 1, kpis.total, formats["bold"])
    if kpis.total.due:
        _insert_rate_chart(book, ws, kpis, first, last)
    else:
        row += 1
        ws.write_string(row, 0, _("Nothing due in the period: no chart."))

    row += 2
    ws.write_string(row, 0, _("By step"), formats["bold"])
    row += 1
    ws.set_row(row, 32)
    for col, header in enumerate((_("Step"), *kpi_headers())):
        ws.write_string(row, col, header, formats["header"])
    playbook = None
    for step in kpis.steps:
        if step.playbook != playbook:  # each playbook's steps under its name
            playbook = step.playbook
            row += 1
            name = step.playbook_title or step.playbook
            ws.write_string(row, 0, name, formats["text_quoted" if name.startswith(FORMULA_STARTS) else "bold"])
        row += 1
        write_text(ws, row, 0, f"{step.step_no}. {step.title or step.step_id}")
        _write_figures(ws, formats, row, 1, step.figures)

    row += 2
    ws.write_string(row, 0, _("Clients' satisfaction, per manager"), formats["bold"])
    row += 1
    headers = [_("Manager"), _("Answers"), "4", "3", "2", "1", _("Tour satisfied")]
    headers += ["4", "3", "2", "1", _("Service satisfied")]
    for col, header in enumerate(headers):
        ws.write_string(row, col, header, formats["header"])
    verdicts = [(name or _("(no manager)"), kpis.satisfaction_of(name)) for name, _f in kpis.managers]
    for name, answers in [*verdicts, (_("Total"), kpis.satisfaction_total)]:
        row += 1
        write_text(ws, row, 0, name)
        ws.write_number(row, 1, answers.answers)
        for offset, aspect in ((2, "tour"), (7, "service")):
            counts = answers.tour if aspect == "tour" else answers.service
            for n, level in enumerate((4, 3, 2, 1)):
                ws.write_number(row, offset + n, counts.get(level, 0))
            _write_rate(ws, formats, row, offset + 4, answers.share(aspect))

    row += 2
    ws.write_string(row, 0, _("Outcomes"), formats["bold"])
    outcomes = kpis.outcomes
    for label, value in (
        (_("Trips sold"), outcomes.trips_sold),
        (_("Returning clients"), outcomes.returning_clients),
        (_("Declined"), outcomes.declined),
        (_("Came back"), outcomes.declined_came_back),
    ):
        row += 1
        ws.write_string(row, 0, label)
        ws.write_number(row, 1, value)
    row += 1
    ws.write_string(row, 0, _("Came-back rate"))
    _write_rate(ws, formats, row, 1, outcomes.came_back_rate)


def _write_figures(ws, formats, row: int, col: int, figures: Figures, fmt=None) -> None:
    """came due, on time, late, overdue, lapsed, the on-time rate, then apart: ahead, skipped,
    opted out, no consent, from `col` on."""
    counts = (figures.came_due, figures.on_time, figures.late, figures.overdue, figures.lapsed)
    for offset, value in enumerate(counts):
        ws.write_number(row, col + offset, value, fmt)
    _write_rate(ws, formats, row, col + RATE_AT, figures.on_time_rate, bold=fmt is not None)
    apart = (figures.pending, figures.skipped, figures.opted_out, figures.no_consent)
    for offset, value in enumerate(apart, start=RATE_AT + 1):
        ws.write_number(row, col + offset, value, fmt)


def _write_rate(ws, formats, row: int, col: int, rate: float | None, bold: bool = False) -> None:
    """A percentage; blank (not 0 %) when nothing was due."""
    fmt = formats["rate_bold" if bold else "rate"]
    if rate is None:
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_number(row, col, rate, fmt)


def _insert_rate_chart(book, ws, kpis: KpiReport, first: int, last: int) -> None:
    """A bar per manager, from the rate cells; the cached points are given too, since in
    constant_memory mode XlsxWriter cannot read them back for readers that do not recalculate."""
    sheet = quoted_sheet(ws.name)
    rate_col = 1 + RATE_AT
    chart = book.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": _("On-time rate"),
            "categories": f"={sheet}!$A${first + 1}:$A${last + 1}",
            "values": f"={sheet}!${col_name(rate_col)}${first + 1}:${col_name(rate_col)}${last + 1}",
            "categories_data": [name or _("(no manager)") for name, _f in kpis.managers],
            "values_data": [figures.on_time_rate for _name, figures in kpis.managers],
            "fill": {"color": COLOURS["done"][1]},
            "data_labels": {"value": True, "num_format": rate_format()},
        }
    )
    chart.set_title({"name": _("On time, {period}").format(period=period_text(kpis))})
    chart.set_legend({"none": True})
    chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%", "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True})  # the first manager on top, as in the table
    chart.set_size({"width": 520, "height": max(260, 90 + 28 * len(kpis.managers))})
    ws.insert_chart(3, CHART_COL, chart)


def _write_legend(ws, formats, playbooks: Mapping[str, Playbook], layouts: Sequence[SheetLayout]) -> None:
    lines = [
        (
            "input",
            _("An input date (purchase, departure, return, declined): edit it and the step dates tied to it move."),
        ),
        (
            "due",
            _("A step due today and not ticked; the client's name is yellow when any step is due today."),
        ),
        (
            "overdue",
            _("A step past its date and not ticked; the client's name is red when any step is overdue."),
        ),
        ("done", _("A ticked step.")),
        ("cancelled", _("A cancelled trip (ppo export --all): nothing more to do.")),
        (
            "lapsed",
            _("A step whose moment has passed undone (e.g. a call before a flight that has left): missed for good."),
        ),
        ("skipped", _("A step a person skipped (ppo skip, marked ⊘): not to be done, outside the on-time rate.")),
        ("opted_out", _("A letter or SMS of a client who opted out: never sent; calls and visits stay.")),
        (
            "no_consent",
            _("An advertising letter or SMS the client has not consented to: never sent, nobody's task."),
        ),
    ]
    ws.write_string(0, 0, _("ППО checklist: what the colours mean"), formats["title"])
    row = 1
    for colour, text in lines:
        ws.write_string(row, 0, "", formats["swatch"][colour])
        ws.write_string(row, 1, text)
        row += 1
    row += 1
    notes = [
        _("Colours follow TODAY(): the workbook is right on the day it is opened."),
        _("To tick a step choose ✓ in the narrow column beside its date, or type the day it was done (DD.MM.YYYY)."),
        _("Then run: ppo sync FILE.xlsx (ppo export over this file takes the ticks first, too)."),
        _("Filter freely; do not sort the Checklist sheets: the Actions sheet points at their cells by position."),
    ]
    for text in notes:
        ws.write_string(row, 0, text)
        row += 1
    for playbook in playbooks.values():
        row += 1
        heading = playbook.title if playbook.name == playbook.title else f"{playbook.name} — {playbook.title}"
        ws.write_string(row, 0, heading, formats["title"])
        row += 1
        for col, header in enumerate((_("No"), _("Step"), _("Channel"), _("When"))):
            ws.write_string(row, col, header, formats["header"])
        row += 1
        for step in playbook.steps:
            ws.write_number(row, 0, step.no)
            ws.write_string(row, 1, step.title)
            ws.write_string(row, 2, channel_name(step.channel))
            ws.write_string(row, 3, schedule.when_words(step.anchor, step.offset))
            row += 1
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 2, 12)
    ws.set_column(3, 3, 34)
    _print_setup(ws, header_rows=0)


META_WIDTH = 3 + len(ANCHOR_NAMES)  # the widest row: ("dates", sheet, trip, *anchors)


def _write_meta(rows: SheetRows, layouts: Sequence[SheetLayout], today: dt.date) -> None:
    """What `ppo sync` relies on: the mark, where each sheet's ids, input dates and ticks
    are; then (`_meta_dates`) each trip's input dates as exported, to tell the director's
    edits from ppo's."""
    lines: list[tuple] = [
        ("format", FORMAT_MARK, FORMAT_VERSION),
        ("ppo", __version__),
        ("exported", today.isoformat()),
    ]
    for layout in layouts:
        lines.append(("sheet", layout.name, layout.playbook_id, layout.trip_header))
        for anchor, col in layout.anchor_cols.items():
            lines.append(("anchor", layout.name, anchor, layout.headers[col]))
        for sc in layout.steps:
            lines.append(("step", layout.name, sc.no, sc.id, sc.header, sc.tick_header))
        lines.append(("note", layout.name, layout.headers[layout.note_col]))
    for values in lines:
        for c, value in enumerate(values):
            if isinstance(value, int):
                rows.number(c, value)
            else:
                rows.string(c, value)
        rows.end()


def _meta_dates(rows: SheetRows, layout: SheetLayout, trip: Trip) -> None:
    rows.string(0, "dates")
    rows.string(1, layout.name)
    rows.number(2, trip.id)
    for c, anchor in enumerate(layout.anchors, start=3):
        day = trip.dates.get(anchor)
        if day is not None:  # none: the cell left empty
            rows.number(c, serial(day))
    rows.end()


# --- writing safely -----------------------------------------------------------------------


def lock_files(path: Path) -> list[Path]:
    """The lock files LibreOffice and Excel leave beside a workbook that is open."""
    candidates = [path.with_name(f".~lock.{path.name}#"), path.with_name(f"~${path.name}")]
    return [p for p in candidates if p.exists()]


def require_xlsx(path: Path) -> None:
    """The workbook's name says what it is: an XLSX under `.csv` would fool everyone."""
    if path.suffix.casefold() != ".xlsx":
        raise BadInput(_("{path}: a workbook's name must end in .xlsx").format(path=path))


def check_target(path: Path) -> None:
    """A clear error before any work when the workbook cannot be replaced."""
    require_xlsx(path)
    folder = path.parent
    if not folder.is_dir():
        raise WorkbookError(_("no such folder: {folder}").format(folder=folder))
    if path.exists() and not path.is_file():
        raise WorkbookError(_("{path} is not a file").format(path=path))
    locks = lock_files(path)
    if locks:
        raise WorkbookError(
            _("{path} is open in a spreadsheet (lock file {lock}); close it first, or remove a stale lock").format(
                path=path, lock=locks[0].name
            )
        )
    # The write bits too: root (or a Windows admin) may write anyway, but the owner said no.
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise WorkbookError(_("{path} is read-only").format(path=path))
    if not os.access(folder, os.W_OK):
        raise WorkbookError(_("cannot write in {folder}: permission denied").format(folder=folder))


def replace_atomically(
    path: Path,
    build: Callable[[Path], T],
    mode: int = 0o600,
    unchanged: Callable[[], None] | None = None,
) -> T:
    """Build the new file beside the old one and rename it over only when it is complete
    (`files.write_atomically`); `unchanged` runs just before, to keep a file saved meanwhile."""
    check_target(path)
    return files.write_atomically(path, build, mode, ".xlsx", unchanged)
