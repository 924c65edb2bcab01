"""Keeping the store and the director's workbook in step, so no tick is ever lost.

`sync` takes the ticks made in a workbook into the store (one transaction) and lists
what it could not take: bad or future ticks, input dates that differ from ppo's.
`export` does that first when it is about to replace a ppo workbook and, unless forced,
refuses to replace one holding such entries; then writes the new one beside it and
renames it over the old one.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ppo_checklist import files, stats
from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.errors import BadWorkbook, PpoError
from ppo_checklist.i18n import _
from ppo_checklist.model import StepMarks
from ppo_checklist.playbooks import Playbook
from ppo_checklist.store import Store


@dataclass(frozen=True)
class Taken:
    trip_id: int
    no: int
    step_id: str
    day: dt.date


@dataclass
class SyncReport:
    path: Path
    taken: list[Taken] = field(default_factory=list)
    already: int = 0
    skipped: list[str] = field(default_factory=list)  # one line each: why a tick was not taken
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
        self.seen = later.seen

    @property
    def untaken(self) -> list[str]:
        """What the director typed that ppo could not take: replacing the file would lose it."""
        return self.skipped + self.differs

    def lines(self, date_format: str = DAY_FORMAT) -> list[str]:
        out = [
            _("trip {t} step {n} ({sid}) done on {day}").format(
                t=t.trip_id, n=t.no, sid=t.step_id, day=t.day.strftime(date_format)
            )
            for t in self.taken
        ]
        out += [_("skipped: {why}").format(why=why) for why in self.skipped]
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
        if self.differs:
            extras.append(_("{n} input dates differ from ppo's").format(n=len(self.differs)))
        if self.untouched:
            extras.append(
                _("{n} done in ppo but not ticked in the file: still done (ppo undo takes a mark back)").format(
                    n=len(self.untouched)
                )
            )
        return text + (" (" + "; ".join(extras) + ")" if extras else "")


def sync(store: Store, path: Path, today: dt.date, dayfirst: bool = True) -> SyncReport:
    """Read every tick of the workbook first, then take the new ones in one transaction."""
    from ppo_checklist import workbook, workbook_read

    workbook.require_xlsx(path)

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
            notes[row.trip_id] = _note_text(row.note[1])
        for anchor, (cell, value) in row.dates.items():
            kind, day = workbook_read.input_day(value, dayfirst)
            if kind == "bad":
                report.differs.append(
                    _("{sheet}!{cell}: '{v}' is not a date").format(sheet=row.sheet, cell=cell, v=value)
                )
            elif row.exported is None or row.exported.get(anchor) != day:
                edited.setdefault(row.trip_id, {})[anchor] = (f"{row.sheet}!{cell}", day)
        for no, (cell, value) in row.ticks.items():
            kind, day = workbook_read.tick_day(value, dayfirst)
            if kind == "bad":
                report.skipped.append(
                    _("{sheet}!{cell}: '{v}' is not a tick (use ✓ or a date)").format(
                        sheet=row.sheet, cell=cell, v=value
                    )
                )
            elif kind == "tick":
                if day is not None and day > today:
                    report.skipped.append(
                        _("{sheet}!{cell}: {day} is in the future").format(
                            sheet=row.sheet, cell=cell, day=day.strftime(DAY_FORMAT)
                        )
                    )
                else:
                    ticks[(row.trip_id, no)] = (f"{row.sheet}!{cell}", day or today)
    _take(store, report, ticks, seen, edited, notes)
    return report


def _note_text(value) -> str:
    """A note cell as text: a number typed there is its digits, a date its ISO day."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


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
            for no, (step_id, done_on) in sorted(steps.items()):
                if done_on is not None and (trip_id, no) not in ticks:
                    report.untouched.append(_("trip {t} step {n} ({sid})").format(t=trip_id, n=no, sid=step_id))
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
                report.taken.append(Taken(trip_id, no, step_id, day))


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
            if day is None:
                report.differs.append(
                    _("{cell}: trip {t} {anchor} is empty, ppo has {ours}").format(
                        cell=cell,
                        t=trip_id,
                        anchor=anchor,
                        ours=ours.isoformat(),  # type: ignore[union-attr]
                    )
                )
            else:
                was = _("ppo has none") if ours is None else _("ppo has {d}").format(d=ours.isoformat())
                report.differs.append(
                    _(
                        "{cell}: trip {t} {anchor} {day} differs ({was}); to take it: ppo edit {t} --{anchor} {day}"
                    ).format(cell=cell, t=trip_id, anchor=anchor, day=day.isoformat(), was=was)
                )


class UntakenEntries(PpoError):
    """`export` over a workbook holding entries ppo could not take: replacing it would lose them."""


def refusal(report: SyncReport, shown: int = 3, way_out: str | None = None) -> str:
    """One line: how many entries, the first few, and the way out."""
    entries = report.untaken
    listed = "; ".join(entries[:shown])
    if len(entries) > shown:
        listed += _("; and {n} more (ppo sync lists them)").format(n=len(entries) - shown)
    took = _("took {n} ticks; ").format(n=len(report.taken)) if report.taken else ""
    return took + _("{path} holds {n} entries ppo could not take ({listed}); not replaced: {way_out}").format(
        path=report.path, n=len(entries), listed=listed, way_out=way_out or _("fix them or use --force to overwrite")
    )


@dataclass
class ExportOutcome:
    path: Path
    taken: SyncReport | None
    result: object  # workbook.ExportResult


def export(
    store: Store,
    playbooks: Mapping[str, Playbook],
    path: Path,
    today: dt.date,
    include_all: bool = False,
    force: bool = False,
    dayfirst: bool = True,
    within: stats.Period | None = None,
    mode: int = files.PRIVATE_MODE,
) -> ExportOutcome:
    """Take the ticks of the workbook being replaced, then write the new one safely, with the
    director's figures for `within` (default: the month of `today`) in its Summary."""
    taken = take_before_replacing(store, path, today, force, dayfirst)
    result, taken = write(store, playbooks, path, today, include_all, within, mode, taken, force, dayfirst)
    return ExportOutcome(path, taken, result)


def take_before_replacing(
    store: Store,
    path: Path,
    today: dt.date,
    force: bool = False,
    dayfirst: bool = True,
    way_out: tuple[str, str] | None = None,
) -> SyncReport | None:
    """What must happen before `path` is replaced: it can be (not open, not read-only), it is
    ppo's (else only with `force`), and its ticks are taken; refused, unless forced, when it
    holds entries ppo could not take. None when there is no file yet. `way_out`: what a
    command without --force tells (a foreign file, entries not taken) instead of --force."""
    from ppo_checklist import workbook, workbook_read

    workbook.check_target(path)
    seen = files.fingerprint(path)  # before reading: a save while it is read shows up later
    if seen is None:
        return None
    try:
        with workbook_read.opened(path) as book:
            workbook_read.read_map(book, path)
    except BadWorkbook as exc:
        if force:
            return None
        if way_out is not None:
            message = _("{path} exists and is not a ppo workbook ({e}); not overwriting it: {way_out}")
            raise BadWorkbook(message.format(path=path, e=exc, way_out=way_out[0])) from None
        raise BadWorkbook(
            _("{path} exists and is not a ppo workbook ({e}); not overwriting it without --force").format(
                path=path, e=exc
            )
        ) from None
    taken = sync(store, path, today, dayfirst)
    taken.seen = seen
    if taken.untaken and not force:
        raise UntakenEntries(refusal(taken, way_out=way_out[1] if way_out else None))
    return taken


ATTEMPTS = 3  # a file saved again while each new one is built: refuse after this many


class KeptChanging(PpoError):
    """The workbook was saved again at every attempt to replace it: it is kept, ticks taken."""


class _SavedMeanwhile(Exception):
    """The workbook about to be replaced is not the one whose ticks were taken."""


def write(
    store: Store,
    playbooks: Mapping[str, Playbook],
    path: Path,
    today: dt.date,
    include_all: bool = False,
    within: stats.Period | None = None,
    mode: int = files.PRIVATE_MODE,
    taken: SyncReport | None = None,
    force: bool = False,
    dayfirst: bool = True,
) -> tuple[object, SyncReport | None]:
    """The workbook at `path`, built beside it and renamed over it when complete; call
    `take_before_replacing` first and pass what it returned as `taken`.

    A director may save the old file while the new one is built (~100 s at 100 000 trips):
    just before the rename the file must still be the one read, else its ticks are taken
    again and the new file built again, so no tick is lost. If the file cannot be written
    (a full disk), what was taken from it is given back: the store is as it was, the old
    file still holds the ticks. Returns the `workbook.ExportResult` and what was taken."""

    expected = taken.seen if taken is not None else files.fingerprint(path)
    try:
        for _attempt in range(ATTEMPTS):
            try:
                return _write_once(store, playbooks, path, today, include_all, within, mode, expected), taken
            except _SavedMeanwhile:
                again = take_before_replacing(store, path, today, force, dayfirst)
                if again is None:
                    expected = files.fingerprint(path)
                elif taken is None:
                    taken, expected = again, again.seen
                else:
                    taken.add(again)
                    expected = again.seen
        raise KeptChanging(
            _("{path} was saved again while ppo wrote it, {n} times; its ticks are taken, the file is kept").format(
                path=path, n=ATTEMPTS
            )
        )
    except (UntakenEntries, BadWorkbook, KeptChanging):
        raise  # a refusal: what was taken stays taken (as `export` says), the file is kept
    except BaseException:
        if taken is not None:
            give_back(store, taken)
        raise


def _write_once(store, playbooks, path, today, include_all, within, mode, expected):
    from ppo_checklist import workbook

    layouts = workbook.plan_sheets(playbooks, store.playbook_uses(include_all), include_all)
    # After the ticks are taken, so that the figures count them.
    kpis = stats.compute(store, within or stats.period(today), today)

    def build(temp: Path):
        trips = store.iter_trips(include_all)
        with files.scratch_dir(path) as scratch:
            return workbook.write_book(temp, trips, layouts, playbooks, today, kpis, tmpdir=scratch)

    def unchanged() -> None:
        if files.fingerprint(path) != expected:
            raise _SavedMeanwhile

    return workbook.replace_atomically(path, build, mode, unchanged)


def give_back(store: Store, report: SyncReport) -> None:
    """Undo what `report` took (the command failed after taking it): marks still as taken
    are removed, notes set back. Best effort: if the store cannot be written either (the
    same full disk), the ticks stay in the store and in the old file, which is kept."""
    if not report.taken and not report.notes:
        return
    try:
        with store.write():
            marks = store.step_marks({t.trip_id for t in report.taken})
            for t in report.taken:
                steps = marks[t.trip_id].steps if t.trip_id in marks else {}
                if t.no in steps and steps[t.no][1] == t.day:
                    store.unmark_done(t.trip_id, t.no)
            for trip_id, before, _taken in report.notes:
                store.set_note(trip_id, before)
    except (PpoError, sqlite3.Error):
        pass  # nothing is lost: see above; the command's own error is the one to tell
