"""The director's figures (`stats`) and cron's daily report (`report`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ppo_checklist import i18n
from ppo_checklist.cli.session import (
    DATE_HELP,
    FORMAT_OPTION,
    KPI_FROM_HELP,
    KPI_TO_HELP,
    LANGUAGE_OPTION,
    Format,
    Language,
    commands,
    echo_taken,
    period,
    session_of,
)
from ppo_checklist.errors import PpoError, StoreError
from ppo_checklist.i18n import N_

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
app = commands()

FROM_HELP = N_("First day of the period (default: the 1st of the month).")


TO_HELP = N_("Last day of the period (default: the end of the month).")


MANAGERS_HELP = N_("Only this manager (repeatable).")


@app.command(
    "stats",
    help=N_(
        "The director's figures: steps done on time, late or not at all, per manager and per step; trips "
        "sold, returning clients, declined clients who came back."
    ),
)
def stats_(
    ctx: typer.Context,
    from_: Optional[str] = typer.Option(None, "--from", metavar="DATE", help=FROM_HELP),
    to: Optional[str] = typer.Option(None, "--to", metavar="DATE", help=TO_HELP),
    manager: list[str] = typer.Option([], "--manager", "-m", metavar="NAME", help=MANAGERS_HELP),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    from ppo_checklist import stats
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    as_of = session.today(date)
    within = period(session, as_of, from_, to)
    names = session.every_manager(manager)
    figures = stats.compute(session.store, within, as_of, names, session.playbooks)
    out = formatters.formatter(fmt, session)
    out.stats(figures)


@app.command(
    help=N_(
        "For cron: writes ppo-YYYY-MM-DD.xlsx and .md into a folder, prints the Markdown; and each manager's"
        " calls and visits as ppo-calendar-NAME.ics (and workbook as ppo-YYYY-MM-DD-NAME.xlsx with"
        " report_per_manager = true)."
    ),
)
def report(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help=N_("The folder (created if missing).")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    from_: Optional[str] = typer.Option(None, "--from", metavar="DATE", help=KPI_FROM_HELP),
    to: Optional[str] = typer.Option(None, "--to", metavar="DATE", help=KPI_TO_HELP),
    language: Optional[Language] = LANGUAGE_OPTION,
) -> None:
    from ppo_checklist import report as daily

    session = session_of(ctx)
    day = session.today(date)
    within = period(session, day, from_, to)  # a bad period fails before anything is written
    warning = daily.store_warning(session.store)  # a damaged store is said at the report's top
    refused: PpoError | None = None
    try:  # a second run the same day: the ticks made meanwhile first, so the Markdown counts them
        taken = daily.take_ticks(session.store, out, day, session.config)
    except PpoError as exc:  # the workbook stays as it is; the day's list is still written
        taken, refused = None, exc
    echo_taken(taken)
    per_manager = session.config.report_per_manager
    managers_taken: dict = {}
    if per_manager and refused is None:
        try:  # each manager's book too, before the Markdown and the whole book count the ticks
            managers_taken = daily.take_manager_ticks(session.store, out, day, session.config)
        except PpoError as exc:
            refused = exc
        for report_taken in managers_taken.values():
            echo_taken(report_taken)
    with i18n.use(language.value if language else None):
        written = daily.write_markdown(session.store, out, day, session.config, session.playbooks, warning)
    sys.stdout.write(written.markdown)  # for cron's mail, even if the workbook then fails
    sys.stdout.flush()
    if refused is not None:
        raise refused
    mode = session.config.file_mode
    before = len(taken.taken) if taken is not None else 0
    with i18n.use(language.value if language else None):
        again = daily.write_workbook(session.store, written, day, session.playbooks, within, taken, mode)
    if again is not None and len(again.taken) > before:
        echo_taken(again)  # the workbook was saved meanwhile: its new ticks were taken too
    if per_manager:  # each manager's book after the whole one, which matters most
        with i18n.use(language.value if language else None):
            daily.write_manager_workbooks(session.store, out, day, session.playbooks, within, managers_taken, mode)
    with i18n.use(language.value if language else None):
        daily.write_calendars(session.store, out, day, session.playbooks, session.config, session.calendar)
    if warning:
        raise StoreError(warning)
