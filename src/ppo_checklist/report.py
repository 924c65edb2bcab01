"""The daily report for cron: the day's actions as Markdown and the director's workbook,
written into a folder atomically (a reader never sees half a file).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ppo_checklist import client_word, tracker
from ppo_checklist.config import Config
from ppo_checklist.core.model import Action
from ppo_checklist.core.playbooks import Playbook
from ppo_checklist.errors import PpoError
from ppo_checklist.i18n import _
from ppo_checklist.output import render
from ppo_checklist.store import Store

if TYPE_CHECKING:  # `ppo today` imports this module for `day_actions`: keep it light
    from ppo_checklist import stats
    from ppo_checklist.workbook.sync import SyncReport


class DailyReport(NamedTuple):  # a tuple: a frozen dataclass cost ~0.5 ms of each `ppo today`'s start
    markdown: str
    markdown_path: Path
    workbook_path: Path


def day_actions(
    store: Store,
    config: Config,
    playbooks: dict[str, Playbook],
    day: dt.date,
    managers: list[str] | None = None,
    with_sent: bool = False,
) -> list[Action]:
    """The day's list as people work it, the same in `ppo today` and the report: the tasks the
    client's word gives (complaints, addresses to check), then every step due or overdue and not
    done, less the letters and SMS ppo sends by itself today (unless `with_sent`)."""
    # tracker.agenda asks whether the config sends (the registry only): the outbox loads if it does
    steps = tracker.agenda(store, day, managers, playbooks, None if with_sent else config)
    return client_word.person_actions(store, config, managers, client_word.now_on(day)) + steps


def markdown(store: Store, day: dt.date, config: Config, playbooks: dict[str, Playbook]) -> str:
    """The day's actions (`ppo today --format md`) grouped by manager, overdue first, with counts."""
    actions = day_actions(store, config, playbooks, day)
    return render.actions_markdown(actions, config.date_format, render.agenda_heading(day, config.date_format))


def file_stem(day: dt.date) -> str:
    return f"ppo-{day.isoformat()}"


# `ppo today` loads this module for `day_actions`: the store's check, files, the workbook and the
# calendars load inside the functions that write the report.


def store_warning(store: Store) -> str | None:
    """The store's quick integrity check, as the line the report starts with when it fails."""
    from ppo_checklist.store.admin import listed

    problems = store.check(quick=True)
    if not problems:
        return None
    return _("the store failed its integrity check ({p}): run ppo store check and restore a backup").format(
        p=listed(problems, most=3)
    )


def write_markdown(
    store: Store,
    out_dir: Path,
    day: dt.date,
    config: Config,
    playbooks: dict[str, Playbook],
    warning: str | None = None,
) -> DailyReport:
    """`ppo-YYYY-MM-DD.md` in `out_dir` (created if missing), opening with `warning` if any;
    the workbook follows."""
    from ppo_checklist import files  # hashlib and socket: 5 ms `ppo today` (day_actions) does not need

    prepare_dir(out_dir)
    body = markdown(store, day, config, playbooks)
    if warning:
        body = f"> **⚠ {render.md_text(warning)}**\n\n{body}"
    stem = out_dir / file_stem(day)
    report = DailyReport(body, stem.with_suffix(".md"), stem.with_suffix(".xlsx"))
    files.write_atomically(
        report.markdown_path, lambda tmp: tmp.write_text(body, encoding="utf-8"), config.file_mode, ".md"
    )
    return report


def take_ticks(store: Store, out_dir: Path, day: dt.date, config: Config):
    """Before anything is written: the ticks of the day's workbook if it is there already (a
    second run), with `ppo export`'s refusals (open, not ppo's, entries it could not take).
    Returns `sync.SyncReport` or None."""
    prepare_dir(out_dir)
    return _ticks_of(store, (out_dir / file_stem(day)).with_suffix(".xlsx"), day, config)


def _ticks_of(store: Store, path: Path, day: dt.date, config: Config) -> SyncReport | None:
    """The ticks of one of the report's workbooks, with what to do when they cannot be taken."""
    from ppo_checklist.workbook import export as exporting

    way_out = (
        _("ppo report writes its own {name} in that folder; move that file away or rename it").format(name=path.name),
        _("fix them in the workbook, or move it away (ppo report then writes a new one)"),
        _("the file is untouched; move it away (ppo report then writes a new one)"),
    )
    return exporting.take_before_replacing(store, path, day, force=False, dayfirst=config.dayfirst, way_out=way_out)


def write_workbook(
    store: Store,
    report: DailyReport,
    day: dt.date,
    playbooks: dict[str, Playbook],
    within: stats.Period | None,
    taken,
    mode: int,
):
    """`ppo-YYYY-MM-DD.xlsx` beside the Markdown, as `ppo export` writes it (active trips),
    with the figures for `within` (default: the month of `day`) in its Summary; call
    `take_ticks` first and pass what it returned as `taken`. Returns what was taken in all
    (`sync.SyncReport` or None): the file may have been saved again meanwhile."""
    from ppo_checklist.workbook import export as exporting

    _result, taken = exporting.write(store, playbooks, report.workbook_path, day, False, within, mode, taken)
    return taken


def manager_books(store: Store, out_dir: Path, day: dt.date) -> dict[str, Path]:
    """Each manager's workbook beside the whole one (config `report_per_manager`):
    `ppo-YYYY-MM-DD-NAME.xlsx`, the name kept to letters, digits, - and _ (a file name on
    every system, Windows too), cut to 60 characters, made unique."""
    books: dict[str, Path] = {}
    used: set[str] = set()
    for manager in store.managers():
        slug = re.sub(r"[^\w-]+", "_", manager.strip(), flags=re.UNICODE).strip("_")[:60] or "no-manager"
        name, n = slug, 2
        while name.casefold() in used:
            name, n = f"{slug}-{n}", n + 1
        used.add(name.casefold())
        books[manager] = out_dir / f"{file_stem(day)}-{name}.xlsx"
    return books


def take_manager_ticks(store: Store, out_dir: Path, day: dt.date, config: Config) -> dict[str, SyncReport | None]:
    """The ticks of each manager's workbook of the day, if there already (a second run), as
    `take_ticks` takes the whole one's; manager -> `sync.SyncReport` or None."""
    books = manager_books(store, out_dir, day)
    return {manager: _ticks_of(store, path, day, config) for manager, path in books.items()}


def write_manager_workbooks(
    store: Store,
    out_dir: Path,
    day: dt.date,
    playbooks: dict[str, Playbook],
    within: stats.Period | None,
    taken: dict[str, SyncReport | None],
    mode: int,
) -> list[tuple[Path, SyncReport | None]]:
    """Each manager's workbook: only their trips and figures, as `ppo export --manager` writes
    it; call `take_manager_ticks` first. Returns (path, what was taken meanwhile) per book."""
    from ppo_checklist.workbook import export as exporting

    written = []
    for manager, path in manager_books(store, out_dir, day).items():
        before = taken.get(manager)
        _result, again = exporting.write(store, playbooks, path, day, False, within, mode, before, managers=[manager])
        written.append((path, again))
    return written


CALENDAR_DAYS = 30  # the managers' phone calendars look this far ahead


def write_calendars(
    store: Store, out_dir: Path, day: dt.date, playbooks: dict[str, Playbook], config: Config, calendar=None
) -> list[Path]:
    """One `.ics` per manager beside the workbook (`ppo-calendar-NAME.ics`, the same name every
    day: a phone subscribed to the file, or a synced folder, always has the current one)."""
    from ppo_checklist import files  # as in write_markdown
    from ppo_checklist.output import ical

    now = dt.datetime.now(dt.timezone.utc)
    written = []
    for manager in store.managers():
        found = ical.events(store, playbooks, config, day, CALENDAR_DAYS, [manager], calendar)
        data = ical.to_ics(found, ical.calendar_name(manager), now)
        path = out_dir / ical.file_name(manager)
        files.write_atomically(path, _writer(data), config.file_mode, ".ics")
        written.append(path)
    return written


def _writer(data: bytes) -> Callable[[Path], int]:
    return lambda tmp: tmp.write_bytes(data)


def prepare_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new folder is private too
    except OSError as exc:
        raise PpoError(_("cannot create the folder {path}: {e}").format(path=out_dir, e=exc.strerror or exc)) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise PpoError(_("cannot write into the folder {path}").format(path=out_dir))
