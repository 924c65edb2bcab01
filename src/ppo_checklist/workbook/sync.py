"""Reading the director's workbook back: the ticks made in it go into the store.

`sync` takes the ticks made in a workbook into the store (one transaction) and lists
what it could not take: bad or future ticks, input dates that differ from ppo's.
`exporting` runs it on a workbook it is about to replace, so no tick is ever lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ppo_checklist import files
from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.core.model import DoneMarks, StepMarks, text_problem
from ppo_checklist.core.schedule import anchor_word
from ppo_checklist.core.words import step_named
from ppo_checklist.i18n import _
from ppo_checklist.store import Store
from ppo_checklist.workbook import cell_text, identity
from ppo_checklist.workbook import read as workbook_read
from ppo_checklist.workbook import write as workbook


@dataclass(frozen=True)
class Taken:
    trip_id: int
    no: int
    step_id: str
    day: dt.date
    title: str = ""


@dataclass
class SyncReport:
    path: Path
    taken: list[Taken] = field(default_factory=list)
    already: int = 0
    skipped: list[str] = field(default_factory=list)  # one line each: why a tick was not taken
    # Tick cells that say no tick ppo can take yet (a word it does not know, a day to come):
    # one line each, and the cell as typed, which the next workbook keeps in its place.
    unread: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # notes `add` would refuse: kept in their cells
    # (trip, step no) -> value; (trip, write.NOTE_CELL) -> a refused note
    carried: dict[tuple[int, int], Any] = field(default_factory=dict)
    differs: list[str] = field(default_factory=list)  # input dates edited in the file, not in ppo
    untouched: list[str] = field(default_factory=list)  # done in ppo, not ticked in the file
    notes: list[tuple[int, str, str]] = field(default_factory=list)  # trip, note before, note taken
    seen: files.Fingerprint | None = None  # the file as it was when read

    def add(self, later: SyncReport) -> None:
        """What a second reading of the same file took (it was saved again meanwhile)."""
        self.taken += later.taken
        self.already += later.already
        self.notes += later.notes
        self.skipped, self.differs, self.untouched = later.skipped, later.differs, later.untouched
        self.unread, self.carried, self.refused = later.unread, later.carried, later.refused
        self.seen = later.seen

    @property
    def untaken(self) -> list[str]:
        """What the director typed that ppo could not take."""
        return self.skipped + self.unread + self.refused + self.differs

    @property
    def blocking(self) -> list[str]:
        """What replacing the file would lose: ticks that fit no row or step, edited input
        dates. Unread tick cells are not: the next workbook keeps them as typed."""
        return self.skipped + self.differs

    def lines(self, date_format: str = DAY_FORMAT) -> list[str]:
        out = [
            _("trip {t} step {step} done on {day}").format(
                t=t.trip_id, step=step_named(t.no, t.title), day=t.day.strftime(date_format)
            )
            for t in self.taken
        ]
        out += [_("skipped: {why}").format(why=why) for why in self.skipped]
        out += [_("left as typed: {why}").format(why=why) for why in self.unread + self.refused]
        out += [_("not taken: {what}").format(what=what) for what in self.differs]
        out += [_("kept: {what}").format(what=what) for what in self.untouched]
        out += [_("trip {t} note: {note}").format(t=t, note=note or _("(cleared)")) for t, _b, note in self.notes]
        return out

    def headline(self) -> str:
        text = _("took {n} ticks from {path}").format(n=len(self.taken), path=self.path)
        extras = []
        if self.notes:
            extras.append(_("{n} notes").format(n=len(self.notes)))
        if self.already:
            extras.append(_("{n} already done").format(n=self.already))
        if self.skipped:
            extras.append(_("{n} skipped").format(n=len(self.skipped)))
        if self.unread:
            extras.append(_("{n} cells not read as ticks, left as typed").format(n=len(self.unread)))
        if self.refused:
            extras.append(_("{n} notes refused, left as typed").format(n=len(self.refused)))
        if self.differs:
            extras.append(_("{n} input dates differ from ppo's").format(n=len(self.differs)))
        if self.untouched:
            extras.append(
                _("{n} done in ppo but not ticked in the file: still done (ppo undo takes a mark back)").format(
                    n=len(self.untouched)
                )
            )
        return text + (" (" + "; ".join(extras) + ")" if extras else "")


BATCH = 2_000  # trip rows whose marks are looked up together, then let go


def sync(
    store: Store,
    path: Path,
    today: dt.date,
    dayfirst: bool = True,
    way_out: str | None = None,
    holding: Callable[[], None] | None = None,
) -> SyncReport:
    """Take the new ticks of the workbook into the store, in one transaction: all of them, or
    none when the file shows a fault halfway. The rows are streamed, their trips' marks
    looked up a batch at a time, so memory stays flat in the store's size. A workbook written
    from another store is refused before anything is read (`way_out`: what the refusal tells
    to do instead). `holding` is called once the store is held for writing (no other command
    writes until the ticks are taken)."""
    workbook.require_xlsx(path)
    if path.is_file():
        identity.require_own(
            path, store.identity(), way_out or _("the file is untouched; sync it with the store that wrote it")
        )

    taking = _Taking(store, SyncReport(path), today, dayfirst)
    with workbook_read.ticks(path) as rows, store.write():
        if holding is not None:
            holding()
        batch: list[_Row] = []
        for row in rows:
            found = taking.read(row)
            if found is not None:
                batch.append(found)
            if len(batch) >= BATCH:
                taking.take(batch)
                batch = []
        taking.take(batch)
    return taking.report_done()


@dataclass
class _Row:
    """What one trip row of the file says, read: its ticks as (cell, day), its note if the
    file has one `add` would take, and the input dates edited in the file."""

    trip_id: int
    ticks: dict[int, tuple[str, dt.date]]
    note: str | None
    edited: dict[str, tuple[str, dt.date | None]]


class _Seen:
    """The trip ids found so far: a bit each for the ids a store gives (flat in the store's
    size), a set for any larger number typed in the file."""

    BITS = 1 << 24

    def __init__(self) -> None:
        self.bits = bytearray()
        self.others: set[int] = set()

    def add(self, trip_id: int) -> bool:
        """Whether `trip_id` is new (and now seen)."""
        if not 0 <= trip_id < self.BITS:
            new = trip_id not in self.others
            self.others.add(trip_id)
            return new
        at, bit = trip_id >> 3, 1 << (trip_id & 7)
        if at >= len(self.bits):
            self.bits.extend(bytes(max(at + 1 - len(self.bits), len(self.bits))))
        if self.bits[at] & bit:
            return False
        self.bits[at] |= bit
        return True


class _Taking:
    """A sync under way: each row read, the rows taken a batch at a time, then the report
    with its lines in the order they would have had had the whole file been read first."""

    def __init__(self, store: Store, report: SyncReport, today: dt.date, dayfirst: bool):
        self.store, self.report, self.today, self.dayfirst = store, report, today, dayfirst
        self.seen = _Seen()
        self.bad_dates: list[str] = []
        self.edited_dates: list[tuple[int, int, str]] = []  # (trip, order, line): by trip in the end
        self.again: list[str] = []  # trip rows found twice
        self.missing: list[str] = []  # ticked trips the store does not have
        self.not_taken: list[str] = []  # ticks that fit no step, or a cancelled trip
        self.input_day = _known(workbook_read.input_day, dayfirst)
        self.tick_day = _known(workbook_read.tick_day, dayfirst)

    def read(self, row) -> _Row | None:
        """What a row says; problems in its cells go to the report. None: a trip seen before."""
        report = self.report
        if not self.seen.add(row.trip_id):
            self.again.append(
                _("trip {t} appears again at {place}; its first row counts").format(
                    t=row.trip_id, place=f"{row.sheet}!{row.row}"
                )
            )
            return None
        found = _Row(row.trip_id, {}, None, {})
        if row.note is not None:
            note = _note_text(row.note[1])
            problem = text_problem("note", note) if note else None
            if problem is None:
                found.note = note
            else:  # as `add` refuses it; kept in its cell, as an unread tick is
                report.refused.append(
                    _("{sheet}!{cell}: {problem}; the note is not taken").format(
                        sheet=row.sheet, cell=row.note[0], problem=problem
                    )
                )
                report.carried[(row.trip_id, workbook.NOTE_CELL)] = note
        for anchor, (cell, value) in row.dates.items():
            kind, day = self.input_day(value)
            if kind == "bad":
                self.bad_dates.append(
                    _("{sheet}!{cell}: '{v}' is not a date").format(
                        sheet=row.sheet, cell=cell, v=cell_text.shown(value)
                    )
                )
            elif row.exported is None or row.exported.get(anchor) != day:
                found.edited[anchor] = (f"{row.sheet}!{cell}", day)
        for no, (cell, value) in row.ticks.items():
            kind, day = self.tick_day(value)
            if kind == "bad":
                report.unread.append(
                    _("{sheet}!{cell}: '{v}' is not a tick (use ✓, «сделано» or a date)").format(
                        sheet=row.sheet, cell=cell, v=cell_text.shown(value)
                    )
                )
                report.carried[(row.trip_id, no)] = value
            elif kind == "tick":
                if day is not None and day > self.today:
                    report.unread.append(
                        _("{sheet}!{cell}: {day} is in the future").format(
                            sheet=row.sheet, cell=cell, day=day.strftime(DAY_FORMAT)
                        )
                    )
                    report.carried[(row.trip_id, no)] = value
                else:
                    found.ticks[no] = (f"{row.sheet}!{cell}", day or self.today)
        return found

    def take(self, batch: list[_Row]) -> None:
        """The batch's new ticks and notes into the store (inside the sync's transaction).
        Most rows' ticks are their trip's steps done and no more: their notes are compared and
        their ticks counted; the store's whole marks are read only for the other rows."""
        if not batch:
            return
        known = self.store.done_marks([row.trip_id for row in batch])
        fuller = [
            row.trip_id
            for row in batch
            if row.trip_id in known and (row.edited or known[row.trip_id].done != row.ticks.keys())
        ]
        marks = self.store.step_marks(fuller) if fuller else {}
        for row in batch:
            self._take(row, known.get(row.trip_id), marks.get(row.trip_id))

    def _take(self, row: _Row, known: DoneMarks | None, found: StepMarks | None) -> None:
        if known is None:
            if row.ticks:
                self.missing.append(_("trip {t} is not in the store").format(t=row.trip_id))
            return
        if row.note is not None and (known.note or "") != row.note:
            before = self.store.set_note(row.trip_id, row.note)
            if before is not None:
                self.report.notes.append((row.trip_id, before, row.note))
        if found is None:  # every tick a step done, every step done ticked, no date edited
            self.report.already += len(row.ticks)
            return
        if row.edited:
            lines = _compare_dates(row.trip_id, found, row.edited)
            self.edited_dates += [(row.trip_id, order, line) for order, line in enumerate(lines)]
        self._untouched(row, found)
        self._ticks(row, found)

    def _untouched(self, row: _Row, found: StepMarks) -> None:
        for no, (_sid, done_on) in sorted(found.steps.items()):
            if done_on is not None and no not in row.ticks:
                self.report.untouched.append(
                    _("trip {t} step {step}").format(t=row.trip_id, step=step_named(no, found.titles[no]))
                )

    def _ticks(self, row: _Row, found: StepMarks) -> None:
        report = self.report
        for no, (cell, day) in row.ticks.items():
            if no not in found.steps:
                self.not_taken.append(_("{cell}: trip {t} has no step {n}").format(cell=cell, t=row.trip_id, n=no))
                continue
            step_id, done_on = found.steps[no]
            if done_on is not None:
                report.already += 1
            elif found.cancelled_on is not None:
                self.not_taken.append(_("{cell}: trip {t} is cancelled").format(cell=cell, t=row.trip_id))
            else:
                self.store.mark_done(row.trip_id, no, day, None)
                report.taken.append(Taken(row.trip_id, no, step_id, day, found.titles[no]))

    def report_done(self) -> SyncReport:
        """The report, its lines in the order of a reading of the whole file first."""
        report = self.report
        report.skipped = self.again + self.missing + self.not_taken
        report.differs = self.bad_dates + [line for _t, _o, line in sorted(self.edited_dates, key=lambda e: e[:2])]
        return report


def _known(
    read_cell: Callable[[Any, bool], tuple[str, dt.date | None]], dayfirst: bool
) -> Callable[[Any], tuple[str, dt.date | None]]:
    """`read_cell` of a cell's value, each distinct value read once: a column of a hundred
    thousand ticks holds a few distinct values."""
    known: dict[tuple[type, Any], tuple[str, dt.date | None]] = {}

    def read(value: Any) -> tuple[str, dt.date | None]:
        key = (value.__class__, value)  # 1 and True are equal, and read differently
        found = known.get(key)
        if found is None:
            found = read_cell(value, dayfirst)
            if len(known) < 10_000:
                known[key] = found
        return found

    return read


def _note_text(value) -> str:
    """A note cell as text, as typed: a number typed there is its digits, a date its ISO day."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _compare_dates(trip_id: int, found: StepMarks, edited: Mapping[str, tuple[str, dt.date | None]]) -> list[str]:
    """The trip's input dates changed in the file (or unknown as exported) that ppo does not
    hold, a line each.

    ppo does not take them itself: moving a trip's dates reschedules its steps, which
    `ppo edit` does and shows; each line says the command.
    """
    differs: list[str] = []
    for anchor, (cell, day) in edited.items():
        ours = found.dates.get(anchor)
        if day == ours:
            continue
        what = anchor_word(anchor)
        if day is None:
            differs.append(
                _("{cell}: trip {t}: the {what} is empty, ppo has {ours}").format(
                    cell=cell,
                    t=trip_id,
                    what=what,
                    ours=ours.strftime(DAY_FORMAT) if ours else "",
                )
            )
        else:
            was = _("ppo has none") if ours is None else _("ppo has {d}").format(d=ours.strftime(DAY_FORMAT))
            differs.append(
                _(
                    "{cell}: trip {t}: the {what} {shown} differs ({was}); to take it: ppo edit {t} --{anchor} {day}"
                ).format(
                    cell=cell,
                    t=trip_id,
                    what=what,
                    shown=day.strftime(DAY_FORMAT),
                    was=was,
                    anchor=anchor,
                    day=day.isoformat(),
                )
            )
    return differs
