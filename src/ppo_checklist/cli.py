"""The command line: parses, calls the tracker, prints. No business rule lives here.

Errors raised anywhere below arrive at `main()` and leave as one line on stderr with
the exit code of CLI.md (0 done, 2 bad input, 1 any other failure).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

try:  # typer >= 0.24 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer on click
    from click import exceptions as click_errors

from ppo_checklist import __version__, render, tracker
from ppo_checklist.config import Config, config_path, default_db_path, load
from ppo_checklist.dates import parse_date
from ppo_checklist.errors import EXIT_BAD_INPUT, EXIT_FAILURE, BadInput, PpoError
from ppo_checklist.i18n import _

app = typer.Typer(
    name="ppo",
    help=_("Post-sale follow-up (ППО) for travel agencies: who to write, text or call today."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


class Session:
    """What a command needs, opened only when it is first asked for."""

    def __init__(self, db: Optional[Path], config: Optional[Path]):
        self._db_option = db
        self._config_option = config
        self._config: Optional[Config] = None
        self._store = None
        self._playbooks = None

    @property
    def config(self) -> Config:
        if self._config is None:
            path, required = config_path(str(self._config_option) if self._config_option else None)
            self._config_path = path
            self._config = load(path, required)
        return self._config

    @property
    def store(self):
        if self._store is None:
            from ppo_checklist.store import Store

            self._store = Store.open(self._db_option or default_db_path())
        return self._store

    @property
    def playbooks(self):
        if self._playbooks is None:
            from ppo_checklist import playbooks

            config = self.config
            self._playbooks = playbooks.load_all(config.user_playbooks(self._config_path))
        return self._playbooks

    def date(self, text: Optional[str], option: str) -> Optional[dt.date]:
        if text is None:
            return None
        try:
            return parse_date(text, self.config.dayfirst)
        except BadInput as exc:
            raise BadInput(f"{option}: {exc}") from None

    def today(self, text: Optional[str]) -> dt.date:
        given = text if text is not None else os.environ.get("PPO_TODAY") or None
        return self.date(given, "--date") if given else dt.date.today()  # type: ignore[return-value]

    def manager(self, given: Optional[str]) -> str:
        return given if given is not None else self.config.default_manager

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _session(ctx: typer.Context) -> Session:
    return ctx.find_root().obj


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ppo {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Optional[Path] = typer.Option(None, "--db", envvar="PPO_DB", help=_("The store (SQLite file).")),
    config: Optional[Path] = typer.Option(None, "--config", envvar="PPO_CONFIG", help=_("Configuration file (TOML).")),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help=_("Show the version.")),
) -> None:
    ctx.obj = Session(db, config)
    ctx.call_on_close(ctx.obj.close)


# --- options shared by several commands ----------------------------------------------------

DATE_HELP = _("The day to act as today (default: $PPO_TODAY or the local date).")
FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help=_("table, json, csv or md."))
MANAGER_FILTER = typer.Option(None, "--manager", "-m", help=_("Only this manager's trips."))


def _print_trip(session: Session, trip, today: dt.date, fmt: Format) -> None:
    if fmt is Format.json:
        render.emit_json(render.trip_record(trip, today))
    elif fmt is Format.csv:
        record = render.trip_record(trip, today)
        rows = [{"trip_id": trip.id, "client": trip.client.name, **step} for step in record["steps"]]
        render.emit_csv(rows, ["trip_id", "client", "no", "id", "title", "channel", "due", "status", "done_on", "note"])
    else:
        render.trip_table(trip, today, session.config.date_format)


# --- commands ---------------------------------------------------------------------------------


@app.command()
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=_("The client's name.")),
    purchase: str = typer.Option(..., "--purchase", "-p", help=_("Purchase date.")),
    departure: str = typer.Option(..., "--departure", "-d", help=_("Departure date.")),
    return_: str = typer.Option(..., "--return", "-r", help=_("Return date.")),
    phone: Optional[str] = typer.Option(None, "--phone", help=_("Phone (same phone = same client).")),
    email: Optional[str] = typer.Option(None, "--email", help=_("E-mail (same e-mail = same client).")),
    manager: Optional[str] = typer.Option(None, "--manager", "-m", help=_("The manager (default: config).")),
    playbook: str = typer.Option("tour", "--playbook", help=_("Playbook id.")),
    note: Optional[str] = typer.Option(None, "--note", help=_("A note on the trip.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """A client who bought a tour: schedules every step of the playbook."""
    from ppo_checklist.playbooks import get

    session = _session(ctx)
    dates = {
        "purchase": session.date(purchase, "--purchase"),
        "departure": session.date(departure, "--departure"),
        "return": session.date(return_, "--return"),
    }
    chosen = get(session.playbooks, playbook)
    trip_id = tracker.add_trip(session.store, chosen, name, dates, phone, email, session.manager(manager), note)
    trip = session.store.trip(trip_id)
    if fmt is Format.table:
        render.console().print(_("Trip {id} added for {name} (client {c}).").format(id=trip_id, name=trip.client.name, c=trip.client.id))
    _print_trip(session, trip, session.today(date), fmt)


@app.command()
def decline(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=_("The client's name.")),
    date: Optional[str] = typer.Option(None, "--date", help=_("The day it became known (default: today).")),
    departure: Optional[str] = typer.Option(None, "--departure", "-d", help=_("Their departure date, if known.")),
    phone: Optional[str] = typer.Option(None, "--phone"),
    email: Optional[str] = typer.Option(None, "--email"),
    manager: Optional[str] = typer.Option(None, "--manager", "-m"),
    playbook: str = typer.Option("declined", "--playbook", help=_("Playbook id.")),
    note: Optional[str] = typer.Option(None, "--note"),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """A client who bought elsewhere: starts the declined chain."""
    from ppo_checklist.playbooks import get

    session = _session(ctx)
    today = session.today(None)
    declined = session.date(date, "--date") or today
    dates = {"declined": declined, "departure": session.date(departure, "--departure")}
    chosen = get(session.playbooks, playbook)
    trip_id = tracker.add_trip(session.store, chosen, name, dates, phone, email, session.manager(manager), note)
    trip = session.store.trip(trip_id)
    if fmt is Format.table:
        render.console().print(_("Trip {id}: declined chain started for {name}.").format(id=trip_id, name=trip.client.name))
    _print_trip(session, trip, today, fmt)


def _print_actions(session: Session, actions, fmt: Format, text: bool, heading: str) -> None:
    texts = _texts(session, actions) if text else None
    if fmt is Format.json:
        render.emit_json([render.action_record(a, texts[id(a)] if texts else None) for a in actions])
    elif fmt is Format.csv:
        columns = render.ACTION_COLUMNS + (["text"] if texts else [])
        render.emit_csv([render.action_record(a, texts[id(a)] if texts else None) for a in actions], columns)
    elif fmt is Format.md:
        sys.stdout.write(render.actions_markdown(actions, session.config.date_format, heading, texts))
    else:
        render.actions_table(actions, session.config.date_format, texts, heading)


def _texts(session: Session, actions) -> dict[int, str]:
    from ppo_checklist.playbooks import PlaybookError

    texts = {}
    for action in actions:
        row = action.row
        try:
            step = session.playbooks[row.playbook].step(row.step_id)
            body = tracker.fill_text(step.text, session.config, row.client, row.manager, row.dates, row.due)
        except (KeyError, PlaybookError):
            body = ""
        texts[id(action)] = body
    return texts


@app.command()
def today(
    ctx: typer.Context,
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    manager: Optional[str] = MANAGER_FILTER,
    text: bool = typer.Option(False, "--text", "-t", help=_("Add each action's ready-to-send text.")),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Every step due today or overdue and not done: overdue first, then today's."""
    session = _session(ctx)
    day = session.today(date)
    actions = tracker.agenda(session.store, day, manager)
    heading = _("ppo: actions for {day}").format(day=day.strftime(session.config.date_format))
    _print_actions(session, actions, fmt, text, heading)


@app.command()
def upcoming(
    ctx: typer.Context,
    days: int = typer.Option(7, "--days", "-n", help=_("How many days ahead.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    manager: Optional[str] = MANAGER_FILTER,
    text: bool = typer.Option(False, "--text", "-t", help=_("Add each action's ready-to-send text.")),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Steps due in the next N days (default 7)."""
    session = _session(ctx)
    day = session.today(date)
    actions = tracker.upcoming(session.store, day, days, manager)
    heading = _("ppo: the next {n} days after {day}").format(n=days, day=day.strftime(session.config.date_format))
    _print_actions(session, actions, fmt, text, heading)


@app.command()
def done(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=_("Trip id.")),
    step: str = typer.Argument(..., help=_("Step number or id.")),
    date: Optional[str] = typer.Option(None, "--date", help=_("The day it was done (default: today).")),
    note: Optional[str] = typer.Option(None, "--note", help=_("What happened (e.g. the reason a client declined).")),
) -> None:
    """Marks a step done."""
    session = _session(ctx)
    outcome = tracker.mark_done(session.store, trip, step, session.today(date), note)
    typer.echo(outcome.message)


@app.command()
def undo(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=_("Trip id.")),
    step: str = typer.Argument(..., help=_("Step number or id.")),
) -> None:
    """Takes a done mark back."""
    outcome = tracker.undo(_session(ctx).store, trip, step)
    typer.echo(outcome.message)


@app.command()
def show(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=_("Trip id.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The trip, its client and every step with its status."""
    session = _session(ctx)
    _print_trip(session, session.store.trip(trip), session.today(date), fmt)


@app.command("list")
def list_(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", "-a", help=_("Finished and cancelled trips too.")),
    manager: Optional[str] = MANAGER_FILTER,
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Active trips with a status summary."""
    session = _session(ctx)
    day = session.today(date)
    summaries = [render.trip_summary(t, day) for t in session.store.trips(all_, manager)]
    if fmt is Format.json:
        render.emit_json(summaries)
    elif fmt in (Format.csv, Format.md):
        render.emit_csv(summaries, list(summaries[0]) if summaries else ["trip_id"])
    else:
        render.trips_table(summaries, session.config.date_format)


@app.command()
def edit(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=_("Trip id.")),
    name: Optional[str] = typer.Option(None, "--name"),
    phone: Optional[str] = typer.Option(None, "--phone"),
    email: Optional[str] = typer.Option(None, "--email"),
    manager: Optional[str] = typer.Option(None, "--manager", "-m"),
    purchase: Optional[str] = typer.Option(None, "--purchase", "-p"),
    departure: Optional[str] = typer.Option(None, "--departure", "-d"),
    return_: Optional[str] = typer.Option(None, "--return", "-r"),
    declined: Optional[str] = typer.Option(None, "--declined"),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Corrects or reschedules a trip: done marks stay, pending steps move."""
    session = _session(ctx)
    given = {"purchase": purchase, "departure": departure, "return": return_, "declined": declined}
    dates = {name_: session.date(value, f"--{name_}") for name_, value in given.items() if value is not None}
    if not dates and all(v is None for v in (name, phone, email, manager)):
        raise BadInput(_("nothing to change: give --name, --phone, --email, --manager or a date"))
    updated = tracker.edit(session.store, session.playbooks if dates else {}, trip, name, phone, email, manager, dates)  # type: ignore[arg-type]
    _print_trip(session, updated, session.today(date), fmt)


@app.command()
def cancel(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=_("Trip id.")),
    reason: Optional[str] = typer.Option(None, "--reason", help=_("Why the tour was cancelled.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    """The tour is cancelled: no further steps; the trip stays in history."""
    session = _session(ctx)
    outcome = tracker.cancel(session.store, trip, session.today(date), reason)
    typer.echo(outcome.message)


@app.command("playbooks")
def playbooks_(
    ctx: typer.Context,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Lists the playbooks and their steps."""
    session = _session(ctx)
    if fmt is Format.json:
        render.emit_json(render.playbook_records(session.playbooks))
    else:
        render.playbooks_table(session.playbooks)


# --- the director's workbook: export and sync --------------------------------------------------


@app.command()
def export(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help=_("The workbook to write (.xlsx).")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    all_: bool = typer.Option(False, "--all", "-a", help=_("Finished and cancelled trips too.")),
    force: bool = typer.Option(False, "--force", help=_("Overwrite PATH if not a ppo workbook.")),
) -> None:
    """Writes the director's checklist workbook; takes the ticks of the one it replaces first."""
    from ppo_checklist import sync

    session = _session(ctx)
    day = session.today(date)
    dayfirst = session.config.dayfirst
    outcome = sync.export(session.store, session.playbooks, path, day, all_, force, dayfirst)
    if outcome.taken is not None and (outcome.taken.taken or outcome.taken.skipped):
        for line in outcome.taken.lines():
            typer.echo(line, err=True)
        typer.echo(outcome.taken.headline(), err=True)
    result = outcome.result
    typer.echo(
        _("wrote {path}: {t} trips, {s} steps ({o} overdue, {d} due today)").format(
            path=path, t=result.trips, s=result.steps, o=result.totals.overdue, d=result.totals.due
        )
    )


@app.command("sync")
def sync_(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help=_("A workbook written by ppo export.")),
    date: Optional[str] = typer.Option(None, "--date", help=_("The day for undated ticks.")),
) -> None:
    """Takes the ticks made in a ppo workbook into the store (all or none)."""
    from ppo_checklist import sync

    session = _session(ctx)
    report = sync.sync(session.store, path, session.today(date), session.config.dayfirst)
    for line in report.lines():
        typer.echo(line)
    typer.echo(report.headline())


# --- the one place where errors become messages ----------------------------------------------


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"ppo: {message}\n")
    return code


def run(argv: Optional[list[str]] = None) -> int:
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="ppo", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return _fail(_("aborted"), EXIT_FAILURE)
    except click_errors.UsageError as exc:
        where = f"{exc.ctx.command_path}: " if exc.ctx and exc.ctx.command_path != "ppo" else ""
        return _fail(where.removeprefix("ppo ") + exc.format_message().replace("\n", " "), EXIT_BAD_INPUT)
    except click_errors.ClickException as exc:
        return _fail(exc.format_message(), exc.exit_code)
    except PpoError as exc:
        return _fail(str(exc), exc.exit_code)
    except sqlite3.Error as exc:
        return _fail(_("store error: {e}").format(e=exc), EXIT_FAILURE)
    except BrokenPipeError:
        return EXIT_FAILURE
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_FAILURE)
    except KeyboardInterrupt:
        return 130
    return result if isinstance(result, int) else 0


def main() -> None:
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (ppo today | head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(code)
