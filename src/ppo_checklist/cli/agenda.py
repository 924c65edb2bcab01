"""The day's work: what is due (`today`, `upcoming`) and what was done (`done`, `undo`) or is
not to be done (`skip`)."""

from __future__ import annotations

from typing import Optional

import typer

from ppo_checklist.cli.session import DATE_HELP, FORMAT_OPTION, MANAGER_FILTER, Format, Session, commands, session_of
from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import N_, _

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
app = commands()


def _texts(session: Session, actions) -> dict[int, str]:
    from ppo_checklist.core import texts
    from ppo_checklist.core.playbooks import stored_step

    filled_texts = {}
    missing: set[str] = set()
    for action in actions:
        row = action.row
        step = stored_step(session.playbooks, row.playbook, row.step_id)
        if step is None:  # the playbook or its step is gone: the action stays listed
            filled_texts[id(action)] = ""
            continue
        text = session.playbooks[row.playbook].step_text(step, row.dates)
        filled = texts.fill_text(text, session.config, row.client, row.manager, row.dates, row.due)
        filled_texts[id(action)] = filled.text
        missing |= filled.missing
    if missing:
        options = ", ".join(f"--{name.replace('_', '-')}" for name in sorted(missing))
        message = _("the texts lack settings: {s} (ppo init {o} sets them)")
        session.warn(message.format(s=texts.setting_names(missing), o=options))
    return filled_texts


@app.command(
    help=N_(
        "Every step due today or overdue and not done: overdue first, then today's. Letters and SMS that ppo "
        "send will send today are left out (unless --all); those it could not are in."
    ),
)
def today(
    ctx: typer.Context,
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    manager: Optional[str] = MANAGER_FILTER,
    text: bool = typer.Option(False, "--text", "-t", help=N_("Add each action's ready-to-send text.")),
    all_: bool = typer.Option(False, "--all", "-a", help=N_("The letters and SMS ppo sends by itself today too.")),
    fmt: Format = FORMAT_OPTION,
) -> None:
    from ppo_checklist import report
    from ppo_checklist.output import formatters, render

    session = session_of(ctx)
    day = session.today(date)
    config = session.config
    names = session.managers(manager)  # the service director's name too: complaints, and their own trips
    actions = report.day_actions(session.store, config, session.playbooks, day, names, with_sent=all_)
    heading = render.agenda_heading(day, session.config.date_format)  # the daily report's title too
    out = formatters.formatter(fmt, session)
    out.actions(actions, heading, _texts(session, actions) if text else None)


@app.command(
    help=N_("Steps due in the next N days (default 7)."),
)
def upcoming(
    ctx: typer.Context,
    days: int = typer.Option(7, "--days", help=N_("How many days ahead.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    manager: Optional[str] = MANAGER_FILTER,
    text: bool = typer.Option(False, "--text", "-t", help=N_("Add each action's ready-to-send text.")),
    fmt: Format = FORMAT_OPTION,
) -> None:
    from ppo_checklist import tracker
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    day = session.today(date)
    actions = tracker.upcoming(session.store, day, days, session.managers(manager))
    heading = _("ppo: the next {n} days after {day}").format(n=days, day=day.strftime(session.config.date_format))
    out = formatters.formatter(fmt, session)
    out.actions(actions, heading, _texts(session, actions) if text else None)


@app.command(
    help=N_("Marks a step done."),
)
def done(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
    step: Optional[str] = typer.Argument(None, help=N_("Step number or id (or --all).")),
    all_: bool = typer.Option(False, "--all", "-a", help=N_("Every open step of the trip.")),
    before: Optional[str] = typer.Option(
        None, "--before", metavar="DATE", help=N_("With --all: the steps due before DATE, each on its due day.")
    ),
    date: Optional[str] = typer.Option(None, "--date", help=N_("The day it was done (default: today).")),
    note: Optional[str] = typer.Option(None, "--note", help=N_("What happened (e.g. the reason a client declined).")),
) -> None:
    """Marks a step done (or, with --all, every open step of the trip)."""
    from ppo_checklist import client_word, tracker

    session = session_of(ctx)
    today = session.today(None)
    day = session.today(date)
    if step is not None and not all_ and client_word.is_task(step):
        typer.echo(client_word.task_done(session.store, trip, step, client_word.now_on(day), day))
        return
    if all_:
        if step is not None:
            raise BadInput(_("done: give a STEP or --all, not both"))
        cutoff = session.date(before, "--before")
        line = tracker.mark_all_done(session.store, trip, day, today, cutoff, note)
    else:
        if step is None:
            raise BadInput(_("done: which step? give its number or id, or --all"))
        if before is not None:
            raise BadInput(_("done: --before goes with --all"))
        line = tracker.mark_done(session.store, trip, step, day, note, today, session.config.date_format)
    typer.echo(line)


@app.command(
    help=N_("Takes a done mark or a skip back."),
)
def undo(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
    step: str = typer.Argument(..., help=N_("Step number or id.")),
) -> None:
    from ppo_checklist import tracker

    line = tracker.undo(session_of(ctx).store, trip, step)
    typer.echo(line)


@app.command(
    help=N_(
        "Marks a step not to be done (a client who asked not to be called, a letter that does not fit): "
        "never sent, not in today, outside the on-time rate. ppo undo takes it back."
    ),
)
def skip(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
    step: str = typer.Argument(..., help=N_("Step number or id.")),
    reason: Optional[str] = typer.Option(None, "--reason", help=N_("Why it is skipped.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    from ppo_checklist import tracker

    session = session_of(ctx)
    line = tracker.skip(session.store, trip, step, session.today(date), reason, session.config.date_format)
    typer.echo(line)
