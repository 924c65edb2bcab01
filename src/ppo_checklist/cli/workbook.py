"""The director's workbook: `export` writes it, `sync` takes its ticks back."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ppo_checklist import i18n
from ppo_checklist.cli.session import (
    DATE_HELP,
    KPI_FROM_HELP,
    KPI_TO_HELP,
    LANGUAGE_OPTION,
    Language,
    commands,
    echo_taken,
    period,
    session_of,
)
from ppo_checklist.errors import EXIT_FAILURE
from ppo_checklist.i18n import N_, _

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
app = commands()


@app.command(
    help=N_("Writes the director's checklist workbook; takes the ticks of the one it replaces first."),
)
def export(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help=N_("The workbook to write (.xlsx).")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    all_: bool = typer.Option(False, "--all", "-a", help=N_("Finished and cancelled trips too.")),
    force: bool = typer.Option(
        False, "--force", help=N_("Overwrite PATH even if not a ppo workbook or holding entries ppo could not take.")
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help=N_("Write over PATH unread (a workbook of another store): its ticks are lost."),
    ),
    from_: Optional[str] = typer.Option(None, "--from", metavar="DATE", help=KPI_FROM_HELP),
    to: Optional[str] = typer.Option(None, "--to", metavar="DATE", help=KPI_TO_HELP),
    manager: list[str] = typer.Option(
        [], "--manager", "-m", help=N_("Only this manager's trips and figures (repeat for several).")
    ),
    language: Optional[Language] = LANGUAGE_OPTION,
) -> None:
    from ppo_checklist.workbook import export as exporting

    session = session_of(ctx)
    day = session.today(date)
    managers = session.every_manager(manager) if manager else None
    within = period(session, day, from_, to)
    dayfirst = session.config.dayfirst
    mode = session.config.file_mode
    with i18n.use(language.value if language else None):
        outcome = exporting.export(
            session.store, session.playbooks, path, day, all_, force, dayfirst, within, mode, replace, managers
        )
    echo_taken(outcome.taken)
    result = outcome.result
    typer.echo(
        _("wrote {path}: {t} trips, {s} steps ({o} overdue, {d} due today)").format(
            path=path, t=result.trips, s=result.steps, o=result.totals.overdue, d=result.totals.due
        )
    )


@app.command(
    "sync",
    help=N_("Takes the ticks made in a ppo workbook into the store; exit 1 if some could not be taken."),
)
def sync_(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help=N_("A workbook written by ppo export.")),
    date: Optional[str] = typer.Option(None, "--date", help=N_("The day for undated ticks.")),
) -> None:
    from ppo_checklist.workbook import sync

    session = session_of(ctx)
    report = sync.sync(session.store, path, session.today(date), session.config.dayfirst)
    for line in report.lines(session.config.date_format):
        typer.echo(line)
    typer.echo(report.headline())
    if report.untaken:  # the good ticks are in; cron's mail should still say something is left
        raise typer.Exit(EXIT_FAILURE)
