"""Reading the director's workbook back: the ticks made in it go into the store.

`sync` takes the ticks made in a workbook into the store (one transaction) and lists
what it could not take: bad or future ticks, input dates that differ from ppo's.
`exporting` runs it on a workbook it is about to replace, so no tick is ever lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ppo_checklist import files
from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.core.model import StepMarks, text_problem
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


def sync(store: Store, path: Path, today: dt.date, dayfirst: bool = True, way_out: str | None = None) -> SyncReport:
    """Read every tick of the workbook first, then take the new ones in one transaction.
    A workbook written from another store is refused before anything is read (`way_out`:
    what the refusal tells to do instead)."""
    workbook.require_xlsx(path)
    if path.is_file():
        identity.require_own(
            path, store.identity(), way_out or _("the file is untouched; sync it with the store that wrote it")
        )

    report = SyncReport(path)
    ticks: dict[tuple[int, int], tuple[str, dt.date]] = {}  # (trip, no) -> (cell, day)
    seen: dict[int, str] = {}  # trip -> sheet!row where it was found first
    edited: dict[int, dict[str, tuple[str, dt.date | None]]] = {}  # trip -> anchor -> cell, day
    notes: dict[int, str] = {}  # trip -> the note as the file holds it
    for row in workbook_read.iter_ticks(path):
        place = f"{row.sheet}!{row.row}"
        if row.trip_id in seen:
            report.skipped.append(
                _("trip {t} appears again at {place}; its first row counts").format(t=row.trip_id, place=place)
            )
            continue
        seen[row.trip_id] = place
        if row.note is not None:
            note = _note_text(row.note[1])
            problem = text_problem("note", note)
            if problem is None:
                notes[row.trip_id] = note
            else:  # as `add` refuses it; kept in its cell, as an unread tick is
                report.refused.append(
                    _("{sheet}!{cell}: {problem}; the note is not taken").format(
                        sheet=row.sheet, cell=row.note[0], problem=problem
                    )
                )
                report.carried[(row.trip_id, workbook.NOTE_CELL)] = note
        for anchor, (cell, value) in row.dates.items():
            kind, day = workbook_read.input_day(value, dayfirst)
            if kind == "bad":
                report.differs.append(
                    _("{sheet}!{cell}: '{v}' is not a date").format(
                        sheet=row.sheet, cell=cell, v=cell_text.shown(value)
                    )
                )
            elif row.exported is None or row.exported.get(anchor) != day:
                edited.setdefault(row.trip_id, {})[anchor] = (f"{row.sheet}!{cell}", day)
        for no, (cell, value) in row.ticks.items():
            kind, day = workbook_read.tick_day(value, dayfirst)
            if kind == "bad":
                report.unread.append(
                    _("{sheet}!{cell}: '{v}' is not a tick (use ✓, «сделано» or a date)").format(
                        sheet=row.sheet, cell=cell, v=cell_text.shown(value)
                    )
                )
                report.carried[(row.trip_id, no)] = value
            elif kind == "tick":
                if day is not None and day > today:
                    report.unread.append(
                        _("{sheet}!{cell}: {day} is in the future").format(
                            sheet=row.sheet, cell=cell, day=day.strftime(DAY_FORMAT)
                        )
                    )
                    report.carried[(row.trip_id, no)] = value
                else:
                    ticks[(row.trip_id, no)] = (f"{row.sheet}!{cell}", day or today)
    _take(store, report, ticks, seen, edited, notes)
    return report


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


def _take(
    store: Store,
    report: SyncReport,
    ticks: Mapping[tuple[int, int], tuple[str, dt.date]],
    seen: Mapping[int, str],
    edited: Mapping[int, Mapping[str, tuple[str, dt.date | None]]],
    notes: Mapping[int, str] = {},  # noqa: B006 (read only)
) -> None:
    ticked_trips = {trip_id for trip_id, _no in ticks}
    with store.write():
        marks = store.step_marks(seen)
        _compare_dates(report, marks, edited)
        for trip_id, note in notes.items():
            before = store.set_note(trip_id, note) if trip_id in marks else None
            if before is not None:
                report.notes.append((trip_id, before, note))
        for trip_id in seen:
            if trip_id not in marks:
                if trip_id in ticked_trips:
                    report.skipped.append(_("trip {t} is not in the store").format(t=trip_id))
                continue
            cancelled_on, steps = marks[trip_id].cancelled_on, marks[trip_id].steps
            for no, (_sid, done_on) in sorted(steps.items()):
                if done_on is not None and (trip_id, no) not in ticks:
                    report.untouched.append(
                        _("trip {t} step {step}").format(t=trip_id, step=step_named(no, marks[trip_id].titles[no]))
                    )
        for (trip_id, no), (cell, day) in ticks.items():
            if trip_id not in marks:
                continue
            cancelled_on, steps = marks[trip_id].cancelled_on, marks[trip_id].steps
            if no not in steps:
                report.skipped.append(_("{cell}: trip {t} has no step {n}").format(cell=cell, t=trip_id, n=no))
                continue
            step_id, done_on = steps[no]
            if done_on is not None:
                report.already += 1
            elif cancelled_on is not None:
                report.skipped.append(_("{cell}: trip {t} is cancelled").format(cell=cell, t=trip_id))
            else:
                store.mark_done(trip_id, no, day, None)
                report.taken.append(Taken(trip_id, no, step_id, day, marks[trip_id].titles[no]))


def _compare_dates(
    report: SyncReport,
    marks: Mapping[int, StepMarks],
    edited: Mapping[int, Mapping[str, tuple[str, dt.date | None]]],
) -> None:
    """Input dates changed in the file (or unknown as exported) that ppo does not hold.

    ppo does not take them itself: moving a trip's dates reschedules its steps, which
    `ppo edit` does and shows; each line says the command.
    """
    for trip_id, anchors in sorted(edited.items()):
        if trip_id not in marks:
            continue
        for anchor, (cell, day) in anchors.items():
            ours = marks[trip_id].dates.get(anchor)
            if day == ours:
                continue
            what = anchor_word(anchor)
            if day is None:
                report.differs.append(
                    _("{cell}: trip {t}: the {what} is empty, ppo has {ours}").format(
                        cell=cell,
                        t=trip_id,
                        what=what,
                        ours=ours.strftime(DAY_FORMAT) if ours else "",
                    )
                )
            else:
                was = _("ppo has none") if ours is None else _("ppo has {d}").format(d=ours.strftime(DAY_FORMAT))
                report.differs.append(
                    _(
                        "{cell}: trip {t}: the {what} {shown} differs ({was});"
                        " to take it: ppo edit {t} --{anchor} {day}"
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
