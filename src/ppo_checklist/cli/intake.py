"""`ppo import`: trips in bulk from a client file, all rows or none."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from ppo_checklist.cli.session import DATE_HELP, TABLE_OR_JSON, TABLE_OR_JSON_OPTION, Format, commands, session_of
from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
app = commands()

PROGRESS_MIN_ROWS = 2000
ANALYZE_AFTER = 1000  # trips added: enough to change what the planner should expect (store.analyze)


class _ImportProgress:
    """A progress bar on stderr for a large file, only when stderr is a terminal (not cron)."""

    LABELS = {"check": N_("Checking rows"), "write": N_("Writing trips")}

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        from ppo_checklist.output import render

        if total <= PROGRESS_MIN_ROWS or not sys.stderr.isatty():
            return
        if self._bar is None:
            from rich.progress import Progress

            self._bar = Progress(console=render.screen(stderr=True).rich(), transient=True)
            self._bar.start()
        if phase not in self._tasks:
            self._tasks[phase] = self._bar.add_task(_(self.LABELS.get(phase, phase)), total=total)
        self._bar.update(self._tasks[phase], completed=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@app.command(
    "import",
    help=N_("Adds trips in bulk from a spreadsheet: all rows or, if any is bad, none."),
)
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help=N_("A .csv (comma or semicolon) or .xlsx file.")),
    skip_bad: bool = typer.Option(False, "--skip-bad", help=N_("Import the good rows anyway.")),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help=N_("Check and report only.")),
    done_before: Optional[str] = typer.Option(
        None, "--done-before", metavar="DATE", help=N_("Steps due before DATE count as done on their due day.")
    ),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = TABLE_OR_JSON_OPTION,
) -> None:
    from ppo_checklist import importing
    from ppo_checklist.core import passport
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    out = formatters.formatter(fmt, session, only=TABLE_OR_JSON, refusal=_("import: --format must be table or json"))
    config = session.config
    progress = _ImportProgress()
    try:
        result = importing.import_file(
            session.store,
            file,
            session.playbooks,
            config.dayfirst,
            config.default_manager,
            skip_bad=skip_bad,
            dry_run=dry_run,
            progress=progress,
            today=session.today(date),
            done_before=session.date(done_before, "--done-before"),
            calendar=session.calendar,
            passport_margin=passport.margin(config.passport_margin),
        )
    finally:
        progress.close()
    if result.added >= ANALYZE_AFTER and not dry_run:
        session.store.analyze()
    for said in (*result.bad, *result.shared):
        sys.stderr.write(f"{said}\n")
    out.import_result(result)
    if result.rejected:  # a dry run gives the verdict the import would: the same exit code
        count = ngettext("{n} bad row", "{n} bad rows", len(result.bad)).format(n=len(result.bad))
        message = (
            _("{file}: {bad}; a real import would take nothing (fix them, or --skip-bad to take the good rows)")
            if dry_run
            else _("{file}: {bad}; nothing imported (fix them, or --skip-bad to take the good rows)")
        )
        raise BadInput(message.format(file=file, bad=count))
