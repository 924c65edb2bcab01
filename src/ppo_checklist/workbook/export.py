"""Writing the director's workbook (`ppo export`, `ppo report`) so that no tick is ever lost.

Before a ppo workbook is replaced its ticks are taken into the store (`sync.sync`); unless
forced, one holding entries ppo could not take is kept as it is. The new workbook is written
beside the old one and renamed over it; a save of the old file meanwhile is taken too.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from ppo_checklist import files, stats
from ppo_checklist.aside import Aside
from ppo_checklist.core.model import PlaybookUse, uses_of
from ppo_checklist.core.playbooks import Playbook
from ppo_checklist.errors import BadWorkbook, PpoError
from ppo_checklist.i18n import _
from ppo_checklist.store import Store, open_store
from ppo_checklist.workbook import read as workbook_read
from ppo_checklist.workbook import write as workbook
from ppo_checklist.workbook.sync import SyncReport, sync
from ppo_checklist.workbook.write import ExportResult


class UntakenEntries(PpoError):
    """`export` over a workbook holding entries ppo could not take: replacing it would lose them."""


def refusal(report: SyncReport, shown: int = 3, way_out: str | None = None) -> str:
    """One line: how many entries, the first few, and the way out."""
    entries = report.blocking
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
    result: ExportResult


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
    replace: bool = False,
    managers: Collection[str] | None = None,
) -> ExportOutcome:
    """Take the ticks of the workbook being replaced, then write the new one safely, with the
    director's figures for `within` (default: the month of `today`) in its Summary.
    `replace`: write over the file at `path` without reading it (a book of another store).
    `managers`: only these managers' trips and figures (their stored names); None: everyone's."""
    uses = None
    if replace:
        workbook.check_target(path)
        taken = None
    elif path.is_file():
        planning = _Planning(store, include_all)
        with planning.aside:
            taken = take_before_replacing(store, path, today, force, dayfirst, holding=planning.start)
        uses = planning.uses(store, taken)
    else:
        taken = take_before_replacing(store, path, today, force, dayfirst)
    result, taken = write(
        store, playbooks, path, today, include_all, within, mode, taken, force, dayfirst, replace, managers, uses
    )
    return ExportOutcome(path, taken, result)


class _Planning:
    """The sheets' plan (`Store.playbook_uses`: ~1 s at 100 000 trips, the store's own work in
    C, or the server's) read on a second connection while the old book's ticks are taken (the
    sync's Python work). It starts once the sync holds the store for writing, so the only
    writes it may miss are the sync's own: ticks, which change the plan (of the open trips)
    only when one closes a trip. It is kept when none did; when some did, its steps are kept if
    every closed trip shares each of its steps with an open trip of its playbook (the steps
    planned are the same with it or without it) and its trips and dates read again (~0.3 s);
    else, as when it could not be read aside, it is all read again."""

    def __init__(self, store: Store, include_all: bool):
        self.location, self.include_all = store.location, include_all
        self.read: dict[str, PlaybookUse] | None = None
        self.aside = Aside("ppo-plan")

    def start(self) -> None:
        self.aside.run(self._read)

    def _read(self) -> None:
        try:
            other = open_store(self.location)
        except Exception:  # read again after the ticks are taken
            return
        try:
            self.read = other.playbook_uses(self.include_all)
        except Exception:  # as above
            self.read = None
        finally:
            other.close()

    def uses(self, store: Store, taken: SyncReport | None) -> dict[str, PlaybookUse] | None:
        """The plan as of now, from what was read aside; None when it cannot be kept."""
        if self.read is None:
            return None
        closing = [] if self.include_all or taken is None else [t.trip_id for t in taken.taken]
        closed = store.closed_among(closing) if closing else []
        if not closed:
            return self.read
        if not store.steps_shared(closed):
            return None
        trips = store.playbook_trips(self.include_all)
        if not set(trips) <= set(self.read):
            return None
        return uses_of(trips, {playbook: use.steps for playbook, use in self.read.items()})


def take_before_replacing(
    store: Store,
    path: Path,
    today: dt.date,
    force: bool = False,
    dayfirst: bool = True,
    way_out: tuple[str, ...] | None = None,
    holding: Callable[[], None] | None = None,
) -> SyncReport | None:
    """What must happen before `path` is replaced: it can be (not open, not read-only), it is
    ppo's (else only with `force`) and this store's (even with `force`), and its ticks are
    taken; refused, unless forced, when it holds entries ppo could not take. None when there
    is no file yet. `way_out`: what a command without --force tells (a file not ppo's,
    entries not taken, a book of another store) instead of --force and --replace;
    `holding`: as `sync` takes it."""
    workbook.check_target(path)
    seen = files.fingerprint(path)  # before reading: a save while it is read shows up later
    if seen is None:
        return None
    try:
        with workbook_read.opened(path, raw_text=True) as book:
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
    foreign = way_out[2] if way_out else _("the file is untouched; ppo export --replace writes over it unread")
    taken = sync(store, path, today, dayfirst, foreign, holding)
    taken.seen = seen
    if taken.blocking and not force:
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
    replace: bool = False,
    managers: Collection[str] | None = None,
    uses: Mapping[str, PlaybookUse] | None = None,
) -> tuple[ExportResult, SyncReport | None]:
    """The workbook at `path`, built beside it and renamed over it when complete; call
    `take_before_replacing` first and pass what it returned as `taken`.

    A director may save the old file while the new one is built (~100 s at 100 000 trips):
    just before the rename the file must still be the one read, else its ticks are taken
    again and the new file built again, so no tick is lost. If the file cannot be written
    (a full disk), what was taken from it is given back: the store is as it was, the old
    file still holds the ticks. Returns the `workbook.ExportResult` and what was taken.
    `replace`: the file is written over unread, even when saved again meanwhile; `managers`:
    only their trips (as `export`); `uses`: the store's `playbook_uses` as of now, when known."""

    expected = taken.seen if taken is not None else files.fingerprint(path)
    try:
        for _attempt in range(ATTEMPTS):
            try:
                carried = taken.carried if taken is not None else {}
                result = _write_once(
                    store, playbooks, path, today, include_all, within, mode, expected, carried, managers, uses
                )
                return result, taken
            except _SavedMeanwhile:
                uses = None  # ticks taken again may close a trip
                if replace:
                    expected = files.fingerprint(path)
                    continue
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


def _write_once(
    store, playbooks, path, today, include_all, within, mode, expected, carried=None, managers=None, uses=None
):
    if uses is None:
        uses = store.playbook_uses(include_all)
    layouts = workbook.plan_sheets(playbooks, uses, include_all)
    store_id = store.identity()
    # After the ticks are taken, so that the figures count them.
    kpis = stats.compute(store, within or stats.period(today), today, managers, playbooks=playbooks)
    consented = store.ads_consents()  # the ledger as `today` and `send` read it

    def build(temp: Path):
        trips = store.iter_trips(include_all)
        if managers is not None:
            wanted = frozenset(managers)
            trips = (trip for trip in trips if trip.manager in wanted)
        with files.scratch_dir(path) as scratch:
            return workbook.write_book(
                temp,
                trips,
                layouts,
                playbooks,
                today,
                kpis,
                tmpdir=scratch,
                carried=carried,
                ads_consent=consented,
                store_id=store_id,
            )

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
