"""The command line: parses, calls the tracker, prints. No business rule lives here.

Errors raised anywhere below arrive at `main()` and leave as one line on stderr with
the exit code of CLI.md (0 done, 2 bad input, 1 any other failure).
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import importlib.util
import os
import sys
import types
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

try:  # typer >= 0.24 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer on click
    from click import exceptions as click_errors  # type: ignore[import-not-found, no-redef, unused-ignore]

from ppo_checklist import __version__, i18n
from ppo_checklist.config import DAY_FORMAT, Config, config_path, default_db_path, load
from ppo_checklist.core.dates import parse_date
from ppo_checklist.errors import EXIT_BAD_INPUT, EXIT_FAILURE, BadInput, PpoError, StoreError
from ppo_checklist.i18n import N_, _, ngettext

if TYPE_CHECKING:  # loaded when first used (see `_lazy`)
    from rich.progress import Progress, TaskID

    from ppo_checklist.output.formatters import Formatter


def _lazy(name: str) -> types.ModuleType:
    """The module, run on first use: `ppo --help` never loads the store, playbooks or json."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


render = _lazy("ppo_checklist.output.render")
formatters = _lazy("ppo_checklist.output.formatters")
tracker = _lazy("ppo_checklist.tracker")
texts = _lazy("ppo_checklist.core.texts")

app = typer.Typer(
    name="ppo",
    help=N_("Post-sale follow-up (ППО) for travel agencies: who to write, text or call today."),
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

    def __init__(self, db: Optional[str], config: Optional[Path]):
        self._db_option = db
        self._config_option = config
        self._config: Optional[Config] = None
        self._store = None
        self._playbooks = None
        self._warnings: list[str] = []

    @property
    def config(self) -> Config:
        if self._config is None:
            path, required = config_path(str(self._config_option) if self._config_option else None)
            self._config_path = path
            self._config = _early_config.get(path) or load(path, required)
        return self._config

    @property
    def location(self):
        """Where the store is: --db or $PPO_DB, else the config's `store`, else the default file."""
        from ppo_checklist.store import parse_location

        return parse_location(self._db_option or self.config.store or default_db_path())

    @property
    def store(self):
        if self._store is None:
            from ppo_checklist.store import open_store

            default = not self._db_option and not self.config.store  # ppo's own folder may be made
            self._store = open_store(self.location, create_folder=default)
        return self._store

    @property
    def playbooks(self):
        if self._playbooks is None:
            from ppo_checklist.core import playbooks

            config = self.config
            self._playbooks = playbooks.load_all(config.user_playbooks(self._config_path))
        return self._playbooks

    @property
    def date_format(self) -> str:
        """For a formatter: the config is read when a date is first shown, not before."""
        return self.config.date_format

    def date(self, text: Optional[str], option: str) -> Optional[dt.date]:
        if text is None:
            return None
        dayfirst = self.config.dayfirst
        try:
            return parse_date(text, dayfirst)
        except BadInput as exc:
            raise BadInput(f"{option}: {exc}") from None

    def today(self, text: Optional[str]) -> dt.date:
        if text is not None:
            return self.date(text, "--date")  # type: ignore[return-value]
        from_env = os.environ.get("PPO_TODAY")
        return self.date(from_env, "PPO_TODAY") if from_env else dt.date.today()  # type: ignore[return-value]

    def manager(self, given: Optional[str]) -> str:
        return given if given is not None else self.config.default_manager

    def managers(self, given: Optional[str]) -> Optional[list[str]]:
        """A `--manager` filter: the stored spellings it names; exit 2 for a name nobody has."""
        return tracker.managers_named(self.store, given, self.config.default_manager)

    def warn(self, message: str) -> None:
        """Said on stderr once the command has succeeded (so that a failure stays one line)."""
        self._warnings.append(message)

    def finish(self) -> None:
        """After a command that succeeded: where a store made now is, then any warnings."""
        if self._store is not None and getattr(self._store, "created", False):
            sys.stderr.write(_("ppo: created the store {where}").format(where=self._store.location.shown) + "\n")
        for message in self._warnings:
            sys.stderr.write(f"ppo: {message}\n")

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


_current: Optional[Session] = None  # the running command's session, for what it says once it succeeded


def _session(ctx: typer.Context) -> Session:
    return ctx.find_root().obj


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ppo {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(
        None, "--db", envvar="PPO_DB", help=N_("The store: an SQLite file, or a postgresql://user@host/db URL.")
    ),
    config: Optional[Path] = typer.Option(None, "--config", envvar="PPO_CONFIG", help=N_("Configuration file (TOML).")),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help=N_("Show the version.")),
) -> None:
    global _current
    ctx.obj = _current = Session(db, config)
    ctx.call_on_close(ctx.obj.close)


# --- options shared by several commands ----------------------------------------------------

DATE_HELP = N_("The day to act as today (default: $PPO_TODAY or the local date).")
FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help=N_("table, json, csv or md."))
TABLE_OR_JSON = (Format.table.value, Format.json.value)  # send and import: no rows to put in csv or md
TABLE_OR_JSON_OPTION = typer.Option(Format.table, "--format", "-f", help=N_("table or json."))
MANAGER_FILTER = typer.Option(None, "--manager", "-m", help=N_("Only this manager's trips."))


# --- commands ---------------------------------------------------------------------------------


@app.command(
    help=N_("A client who bought a tour: schedules every step of the playbook."),
)
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=N_("The client's name.")),
    purchase: str = typer.Option(..., "--purchase", "-p", help=N_("Purchase date.")),
    departure: str = typer.Option(..., "--departure", "-d", help=N_("Departure date.")),
    return_: str = typer.Option(..., "--return", "-r", help=N_("Return date.")),
    phone: Optional[str] = typer.Option(None, "--phone", help=N_("Phone (same phone = same client).")),
    email: Optional[str] = typer.Option(None, "--email", help=N_("E-mail (same e-mail = same client).")),
    manager: Optional[str] = typer.Option(None, "--manager", "-m", help=N_("The manager (default: config).")),
    playbook: str = typer.Option("tour", "--playbook", help=N_("Playbook id.")),
    note: Optional[str] = typer.Option(None, "--note", help=N_("A note on the trip.")),
    no_messages: bool = typer.Option(
        False, "--no-messages", help=N_("The client wants no letters or SMS (as ppo optout).")
    ),
    again: bool = typer.Option(False, "--again", help=N_("The same sale a second time, on purpose.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    session = _session(ctx)
    out = formatters.formatter(fmt, session)
    dates = {
        "purchase": session.date(purchase, "--purchase"),
        "departure": session.date(departure, "--departure"),
        "return": session.date(return_, "--return"),
    }
    contact = {
        "phone": phone,
        "email": email,
        "manager": session.manager(manager),
        "note": note,
        "no_messages": no_messages,
    }
    message = _("Trip {id} added for {name} (client {c}).")
    _start_trip(session, playbook, name, dates, {**contact, "again": again}, session.today(date), out, message)


def _start_trip(
    session: Session, playbook: str, name: str, dates, contact, today: dt.date, out: Formatter, message: str
) -> None:
    """Schedule a new trip (a sale or a decline) and print it, under `message` for people."""
    from ppo_checklist.core.playbooks import get

    trip_id, warnings = tracker.add_trip(session.store, get(session.playbooks, playbook), name, dates, **contact)
    for warning in warnings:
        session.warn(warning)
    trip = session.store.trip(trip_id)
    out.trip(trip, today, headline=message.format(id=trip_id, name=trip.client.name, c=trip.client.id))


@app.command(
    help=N_("A client who bought elsewhere: starts the declined chain."),
)
def decline(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=N_("The client's name.")),
    date: Optional[str] = typer.Option(None, "--date", help=N_("The day it became known (default: today).")),
    departure: Optional[str] = typer.Option(None, "--departure", "-d", help=N_("Their departure date, if known.")),
    phone: Optional[str] = typer.Option(None, "--phone"),
    email: Optional[str] = typer.Option(None, "--email"),
    manager: Optional[str] = typer.Option(None, "--manager", "-m"),
    playbook: str = typer.Option("declined", "--playbook", help=N_("Playbook id.")),
    note: Optional[str] = typer.Option(None, "--note"),
    again: bool = typer.Option(False, "--again", help=N_("The same decline a second time, on purpose.")),
    fmt: Format = FORMAT_OPTION,
) -> None:
    session = _session(ctx)
    out = formatters.formatter(fmt, session)
    today = session.today(None)
    declined = session.date(date, "--date") or today
    dates = {"declined": declined, "departure": session.date(departure, "--departure")}
    contact = {"phone": phone, "email": email, "manager": session.manager(manager), "note": note}
    message = _("Trip {id}: declined chain started for {name}.")
    _start_trip(session, playbook, name, dates, {**contact, "again": again}, today, out, message)


def _texts(session: Session, actions) -> dict[int, str]:
    filled_texts = {}
    missing: set[str] = set()
    for action in actions:
        row = action.row
        try:
            playbook = session.playbooks[row.playbook]
            step = playbook.step(row.step_id)
            text = playbook.step_text(step, row.dates)
            filled = texts.fill_text(text, session.config, row.client, row.manager, row.dates, row.due)
        except (KeyError, PpoError):  # the playbook or its step is gone: the action stays listed
            filled_texts[id(action)] = ""
            continue
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
    session = _session(ctx)
    day = session.today(date)
    config = session.config
    sends = not all_ and (config.email is not None or config.sms is not None)
    playbooks = session.playbooks if sends else None
    actions = tracker.agenda(session.store, day, session.managers(manager), playbooks, config if sends else None)
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
    session = _session(ctx)
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
    session = _session(ctx)
    today = session.today(None)
    day = session.today(date)
    if all_:
        if step is not None:
            raise BadInput(_("done: give a STEP or --all, not both"))
        cutoff = session.date(before, "--before")
        outcome = tracker.mark_all_done(session.store, trip, day, today, cutoff, note)
    else:
        if step is None:
            raise BadInput(_("done: which step? give its number or id, or --all"))
        if before is not None:
            raise BadInput(_("done: --before goes with --all"))
        outcome = tracker.mark_done(session.store, trip, step, day, note, today, session.config.date_format)
    typer.echo(outcome.message)


@app.command(
    help=N_("Takes a done mark back."),
)
def undo(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
    step: str = typer.Argument(..., help=N_("Step number or id.")),
) -> None:
    outcome = tracker.undo(_session(ctx).store, trip, step)
    typer.echo(outcome.message)


@app.command(
    help=N_("The trip, its client, every step with its status and every message ppo sent or tried."),
)
def show(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    session = _session(ctx)
    store = session.store
    found = store.trip(trip)
    messages = store.messages([found.id]).get(found.id, [])
    day = session.today(date)
    out = formatters.formatter(fmt, session)
    out.trip(found, day, messages)


@app.command(
    "list",
    help=N_("Active trips with a status summary."),
)
def list_(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", "-a", help=N_("Finished and cancelled trips too.")),
    manager: Optional[str] = MANAGER_FILTER,
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    session = _session(ctx)
    day = session.today(date)
    summaries = [render.trip_summary(t, day) for t in session.store.trips(all_, session.managers(manager))]
    out = formatters.formatter(fmt, session)
    out.trips(summaries)


@app.command(
    help=N_("Corrects or reschedules a trip: done marks stay, pending steps move."),
)
def edit(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
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
    session = _session(ctx)
    given = {"purchase": purchase, "departure": departure, "return": return_, "declined": declined}
    dates = {name_: session.date(value, f"--{name_}") for name_, value in given.items() if value is not None}
    if not dates and all(v is None for v in (name, phone, email, manager)):
        raise BadInput(_("nothing to change: give --name, --phone, --email, --manager or a date"))
    updated = tracker.edit(session.store, session.playbooks if dates else {}, trip, name, phone, email, manager, dates)
    out = formatters.formatter(fmt, session)
    out.trip(updated, session.today(date))


@app.command(
    help=N_("The tour is cancelled: no further steps; the trip stays in history."),
)
def cancel(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
    reason: Optional[str] = typer.Option(None, "--reason", help=N_("Why the tour was cancelled.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    session = _session(ctx)
    outcome = tracker.cancel(session.store, trip, session.today(date), reason, session.config.date_format)
    typer.echo(outcome.message)


@app.command(
    "playbooks",
    help=N_("Lists the playbooks and their steps."),
)
def playbooks_(
    ctx: typer.Context,
    fmt: Format = FORMAT_OPTION,
) -> None:
    session = _session(ctx)
    out = formatters.formatter(fmt, session)
    out.playbooks(session.playbooks)


# --- letters and SMS: ppo send, consent ------------------------------------------------------


class Channel(str, Enum):
    email = "email"
    sms = "sms"


@app.command(
    help=N_(
        "Sends the letters and SMS due (for cron, e.g. daily at 10:00): each once, logged in the store; exit "
        "1 with one line when some did not go."
    ),
)
def send(
    ctx: typer.Context,
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help=N_("Print exactly what would go; write nothing.")),
    channel: Optional[Channel] = typer.Option(None, "--channel", help=N_("Only e-mail or only SMS.")),
    manager: Optional[str] = MANAGER_FILTER,
    retry: Optional[int] = typer.Option(
        None, "--retry", metavar="ID", help=N_("Send again a message whose fate is unknown, on your word.")
    ),
    fmt: Format = TABLE_OR_JSON_OPTION,
) -> None:
    from ppo_checklist.sending import outbox

    session = _session(ctx)
    out = formatters.formatter(fmt, session, only=TABLE_OR_JSON, refusal=_("send: --format must be table or json"))
    day = session.today(date)
    config = session.config
    if retry is not None:
        if dry_run:
            raise BadInput(_("--retry and --dry-run do not go together"))
        done = outbox.retry(session.store, config, retry, day)
        out.send_report(outbox.SendReport(day, False, [done]))
        _send_exit(outbox.SendReport(day, False, [done]))
        return
    from ppo_checklist.sending.sms import in_quiet_hours

    quiet = bool(config.sms and in_quiet_hours(config.sms.quiet_hours, dt.datetime.now().time()))
    report = outbox.run(
        session.store,
        session.playbooks,
        config,
        day,
        channel.value if channel else None,
        manager,
        dry_run,
        quiet,
    )
    out.send_report(report)
    _send_exit(report)


def _send_exit(report) -> None:
    """Exit 1 with one line on stderr when a message of this run did not go."""
    if report.dry_run or not (report.not_sent or report.interrupted):
        return
    line = _("{sent} sent, {not_sent} not sent").format(
        sent=ngettext("{n} message", "{n} messages", report.sent).format(n=report.sent),
        not_sent=report.not_sent + report.interrupted,
    )
    if report.interrupted:
        line += ", " + _("{n} of an interrupted run may or may not have gone").format(n=report.interrupted)
    sys.stderr.write(f"ppo: {line}\n")
    raise typer.Exit(EXIT_FAILURE)


@app.command(
    help=N_("The client wants no letters or SMS: ppo never sends them any; today lists those steps."),
)
def optout(
    ctx: typer.Context,
    contact: str = typer.Argument(..., help=N_("The client's phone or e-mail, in any spelling.")),
) -> None:
    for client in tracker.set_consent(_session(ctx).store, contact, False):
        typer.echo(_("Client {id} ({name}) gets no letters or SMS from ppo.").format(id=client.id, name=client.name))


@app.command(
    help=N_("The client agrees to letters and SMS again."),
)
def optin(
    ctx: typer.Context,
    contact: str = typer.Argument(..., help=N_("The client's phone or e-mail, in any spelling.")),
) -> None:
    for client in tracker.set_consent(_session(ctx).store, contact, True):
        typer.echo(_("Client {id} ({name}) gets letters and SMS again.").format(id=client.id, name=client.name))


# --- setting up ----------------------------------------------------------------------------

INIT_PROMPTS = {
    "agency": N_("The agency's name"),
    "director": N_("The director (signs the «Спасибо» letter)"),
    "service_director": N_("The service director (signs the declined chain; empty: the director)"),
    "default_manager": N_("Your name (the manager of the trips you add)"),
}


@app.command(help=N_("Asks the agency's settings (or takes them as options) and writes the config file."))
def init(
    ctx: typer.Context,
    agency: Optional[str] = typer.Option(None, "--agency", help=N_("The agency's name.")),
    director: Optional[str] = typer.Option(None, "--director", help=N_("The director's name.")),
    service_director: Optional[str] = typer.Option(
        None, "--service-director", help=N_("The service (quality) director's name.")
    ),
    manager: Optional[str] = typer.Option(None, "--manager", "-m", help=N_("Your name: the default manager.")),
) -> None:
    from ppo_checklist import config as settings
    from ppo_checklist.core.model import FIELD_NAMES, check_texts

    session = _session(ctx)
    path, _named = config_path(str(session._config_option) if session._config_option else None)
    current = settings.current_settings(path)
    given = {"agency": agency, "director": director, "service_director": service_director, "default_manager": manager}
    values: dict[str, str] = {}
    # Any option given (a script): only those settings change, and nothing is asked.
    ask = all(value is None for value in given.values())
    for key, _option in settings.INIT_SETTINGS:
        value = given[key]
        if value is None and not ask:
            continue
        if value is None:
            old = current.get(key, "")
            value = typer.prompt(
                _(INIT_PROMPTS[key]), default=old if isinstance(old, str) else "", show_default=bool(old)
            )
        values[key] = value.strip()
    check_texts(**values)
    settings.write_settings(path, values)
    shown = ", ".join(f"{_(FIELD_NAMES[k])}: «{v}»" for k, v in values.items()) or _("nothing changed")
    typer.echo(_("Wrote {path}: {settings}").format(path=path, settings=shown))


# --- the director's figures (ppo stats) ------------------------------------------------------

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

    session = _session(ctx)
    as_of = session.today(date)
    within = _period(session, as_of, from_, to)
    names = [name for given in manager for name in session.managers(given) or ()]
    record = stats.compute(session.store, within, as_of, names).record()
    out = formatters.formatter(fmt, session)
    out.stats(record)


class Language(str, Enum):
    ru = "ru"
    en = "en"


LANGUAGE_OPTION = typer.Option(
    None, "--language", help=N_("The workbook's language, if not this run's (config `language`, the locale).")
)

# The workbook's Summary carries `ppo stats` for a period, chosen as for `ppo stats`.
KPI_FROM_HELP = N_("First day of the Summary's figures (default: the 1st of the month of --date).")
KPI_TO_HELP = N_("Last day of the Summary's figures (default: the end of the month of --date).")


def _period(session: Session, as_of: dt.date, start: Optional[str], end: Optional[str]):
    from ppo_checklist import stats

    return stats.period(as_of, session.date(start, "--from"), session.date(end, "--to"))


# --- bulk import and the daily report ------------------------------------------------------

PROGRESS_MIN_ROWS = 2000


class _ImportProgress:
    """A progress bar on stderr for a large file, only when stderr is a terminal (not cron)."""

    LABELS = {"check": N_("Checking rows"), "write": N_("Writing trips")}

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total <= PROGRESS_MIN_ROWS or not sys.stderr.isatty():
            return
        if self._bar is None:
            from rich.progress import Progress

            self._bar = Progress(console=render.console(stderr=True), transient=True)
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

    session = _session(ctx)
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
        )
    finally:
        progress.close()
    for bad in result.bad:
        sys.stderr.write(f"{bad}\n")
    out.import_result(result)
    if result.rejected:  # a dry run gives the verdict the import would: the same exit code
        count = ngettext("{n} bad row", "{n} bad rows", len(result.bad)).format(n=len(result.bad))
        message = (
            _("{file}: {bad}; a real import would take nothing (fix them, or --skip-bad to take the good rows)")
            if dry_run
            else _("{file}: {bad}; nothing imported (fix them, or --skip-bad to take the good rows)")
        )
        raise BadInput(message.format(file=file, bad=count))


@app.command(
    help=N_("For cron: writes ppo-YYYY-MM-DD.xlsx and .md into a folder, prints the Markdown."),
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

    session = _session(ctx)
    day = session.today(date)
    within = _period(session, day, from_, to)  # a bad period fails before anything is written
    warning = daily.store_warning(session.store)  # a damaged store is said at the report's top
    refused: PpoError | None = None
    try:  # a second run the same day: the ticks made meanwhile first, so the Markdown counts them
        taken = daily.take_ticks(session.store, out, day, session.config)
    except PpoError as exc:  # the workbook stays as it is; the day's list is still written
        taken, refused = None, exc
    _echo_taken(taken)
    with i18n.use(language.value if language else None):
        written = daily.write_markdown(session.store, out, day, session.config, warning)
    sys.stdout.write(written.markdown)  # for cron's mail, even if the workbook then fails
    sys.stdout.flush()
    if refused is not None:
        raise refused
    mode = session.config.file_mode
    before = len(taken.taken) if taken is not None else 0
    with i18n.use(language.value if language else None):
        again = daily.write_workbook(session.store, written, day, session.playbooks, within, taken, mode)
    if again is not None and len(again.taken) > before:
        _echo_taken(again)  # the workbook was saved meanwhile: its new ticks were taken too
    if warning:
        raise StoreError(warning)


def _date_format() -> str:
    config = next(iter(_early_config.values()), None)
    return config.date_format if config else DAY_FORMAT


def _echo_taken(taken) -> None:
    """On stderr, what was taken from a workbook about to be replaced (nothing if nothing)."""
    if taken is not None and (taken.taken or taken.untaken):
        for line in taken.lines(_date_format()):
            typer.echo(line, err=True)
        typer.echo(taken.headline(), err=True)


# --- the director's workbook: export and sync --------------------------------------------------


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
    from_: Optional[str] = typer.Option(None, "--from", metavar="DATE", help=KPI_FROM_HELP),
    to: Optional[str] = typer.Option(None, "--to", metavar="DATE", help=KPI_TO_HELP),
    language: Optional[Language] = LANGUAGE_OPTION,
) -> None:
    from ppo_checklist.workbook import export as exporting

    session = _session(ctx)
    day = session.today(date)
    within = _period(session, day, from_, to)
    dayfirst = session.config.dayfirst
    mode = session.config.file_mode
    with i18n.use(language.value if language else None):
        outcome = exporting.export(session.store, session.playbooks, path, day, all_, force, dayfirst, within, mode)
    _echo_taken(outcome.taken)
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

    session = _session(ctx)
    report = sync.sync(session.store, path, session.today(date), session.config.dayfirst)
    for line in report.lines(session.config.date_format):
        typer.echo(line)
    typer.echo(report.headline())
    if report.untaken:  # the good ticks are in; cron's mail should still say something is left
        raise typer.Exit(EXIT_FAILURE)


# --- the one place where errors become messages ----------------------------------------------


# --- the store as a whole ------------------------------------------------------------------

store_app = typer.Typer(
    name="store",
    help=N_("The store as a whole: what it holds, moving it, backups, checks."),
    no_args_is_help=True,
)
app.add_typer(store_app, name="store")


@store_app.command(
    "info",
    help=N_("Where the store is (never with its password), its schema and what it holds."),
)
def store_info(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    from ppo_checklist.store import admin as store_admin

    session = _session(ctx)
    out = formatters.formatter(fmt, session)
    out.store_info(store_admin.info(session.store)._asdict())


@store_app.command(
    "copy",
    help=N_("Moves an agency's whole store to another (SQLite file <-> PostgreSQL), in one transaction."),
)
def store_copy(
    source: str = typer.Argument(..., help=N_("The store to copy from (a path or a postgresql:// URL).")),
    target: str = typer.Argument(..., help=N_("The store to copy into; it must hold no trips.")),
) -> None:
    from ppo_checklist.store import admin as store_admin

    copied = store_admin.copy(source, target)
    counts = copied.counts
    typer.echo(
        _("Copied {c} clients, {t} trips, {s} steps from {src} to {dst}.").format(
            c=counts["clients"], t=counts["trips"], s=counts["steps"], src=copied.source, dst=copied.target
        )
    )


@store_app.command(
    "backup",
    help=N_("A consistent copy of the SQLite store while managers keep working."),
)
def store_backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help=N_("The backup file to write (readable by you only).")),
) -> None:
    from ppo_checklist.store import admin as store_admin

    session = _session(ctx)
    written = store_admin.backup(session.store, file, session.config.file_mode)
    typer.echo(_("Backed up the store to {path}.").format(path=written))


@store_app.command(
    "check",
    help=N_("The backend's integrity check; exit 1 naming what is wrong."),
)
def store_check(
    ctx: typer.Context,
    quick: bool = typer.Option(False, "--quick", help=N_("The quick check (seconds, not minutes, on a big store).")),
) -> None:
    from ppo_checklist.store import admin as store_admin

    session = _session(ctx)
    store_admin.check(session.store, quick)
    typer.echo(_("The store {where} is sound.").format(where=session.store.location.shown))


_NO_ARGS_IS_HELP = getattr(click_errors, "NoArgsIsHelpError", ())


def _fail(message: str, code: int) -> int:
    message = " ".join(message.split())  # one line, whatever a library put in its message
    sys.stderr.write(f"ppo: {message}\n")
    return code


_ROOT_OPTIONS_WITH_VALUE = ("--db", "--config")

# The configuration read before the command is parsed (its `language` decides the help's
# language too), kept for the session so the file is read once: path -> Config.
_early_config: dict[Path, Config] = {}


def _choose_language(argv: list[str]) -> None:
    """This run's language: the config's `language`, else the locale variables. Chosen on
    every run, not at import: tests and long-lived callers run many in one process."""
    _early_config.clear()
    option = None
    args = iter(argv)
    for arg in args:  # --config before the command, as the root callback will read it
        if arg == "--config":
            option = next(args, None)
        elif arg.startswith("--config="):
            option = arg.partition("=")[2]
        elif arg == "--db":
            next(args, None)
        elif not arg.startswith("-"):
            break
    configured = ""
    try:
        path, required = config_path(option)
        config = load(path, required)
    except PpoError:  # said in the locale's language when the command asks for the config
        pass
    else:
        _early_config[path] = config
        configured = config.language
    i18n.choose(configured)


def _command(argv: list[str]):
    """The click command for these arguments. Typer inspects the signature of every command
    when it builds them all (~10 ms of each start), so when the arguments name a command,
    only that one is built; help, completion and anything unclear get the whole group."""
    if any(key.endswith("_COMPLETE") for key in os.environ):  # shell completion: every command
        return typer.main.get_command(app)
    args = iter(argv)
    for arg in args:
        if arg in _ROOT_OPTIONS_WITH_VALUE:
            next(args, None)
        elif arg.startswith(tuple(option + "=" for option in _ROOT_OPTIONS_WITH_VALUE)):
            continue
        elif arg.startswith("-"):  # --help, --version or a mistake: the whole group answers
            break
        else:
            chosen = [info for info in app.registered_commands if _command_name(info) == arg]
            if chosen:
                light = copy.copy(app)
                light.registered_commands = chosen
                light.registered_groups = []
                return _translated(typer.main.get_command(light))
            break
    return _translated(typer.main.get_command(app))


def _translated(command):
    """The help texts of a freshly built command tree in the run's language: typer read
    them (marked with N_) when this module was imported, in no language in particular."""
    if command.help:
        command.help = _(command.help)
    if command.short_help:
        command.short_help = _(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _(param.help)
    for sub in getattr(command, "commands", {}).values():
        _translated(sub)
    return command


def _command_name(info) -> str:
    return info.name or info.callback.__name__.lower().replace("_", "-")


def _light_rich_help() -> None:
    """typer's rich help module imports rich.markdown (markdown-it) and rich.traceback
    (pygments) for markdown help text and pretty tracebacks, which ppo uses neither of:
    ~60 ms of `ppo --help`. Stand-ins take their place while it is imported; should typer
    ever use them, they load the real ones then."""
    if "typer.rich_utils" in sys.modules:
        return
    stand_ins = {}
    for module, name in (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback")):
        if module not in sys.modules:
            stand_ins[module] = types.ModuleType(module)
            setattr(stand_ins[module], name, _deferred(module, name))
    sys.modules.update(stand_ins)
    try:
        import typer.rich_utils  # noqa: F401
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]


def _deferred(module: str, name: str) -> type:
    """A class that stands for `module.name` and imports it when first really used."""

    def real():
        return getattr(importlib.import_module(module), name)

    class Deferred(type):
        def __getattr__(cls, attr):
            return getattr(real(), attr)

        def __call__(cls, *args, **kwargs):
            return real()(*args, **kwargs)

        def __instancecheck__(cls, obj):
            return isinstance(obj, real())

    return Deferred(name, (), {})


def _is_text(arg: str) -> bool:
    """An argument as typed in a terminal that is not UTF-8 (cp1251) arrives surrogate-escaped."""
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def run(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _choose_language(argv)
    if not argv or "--help" in argv or "-h" in argv:
        _light_rich_help()
    undecodable = next((arg for arg in argv if not _is_text(arg)), None)
    if undecodable is not None:
        shown = undecodable.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return _fail(_("'{a}' is not UTF-8 text (set the terminal to UTF-8)").format(a=shown), EXIT_BAD_INPUT)
    command = _command(argv)
    global _current
    _current = None
    try:
        result = command.main(args=argv, prog_name="ppo", standalone_mode=False)
    except typer.Exit as exc:
        if exc.exit_code == 0 and _current is not None:
            _current.finish()
        return exc.exit_code
    except typer.Abort:
        return _fail(_("aborted"), EXIT_FAILURE)
    except _NO_ARGS_IS_HELP:  # `ppo` alone: the help was shown, as asked
        return 0
    except click_errors.UsageError as exc:
        where = f"{exc.ctx.command_path}: " if exc.ctx and exc.ctx.command_path != "ppo" else ""
        return _fail(where.removeprefix("ppo ") + exc.format_message().replace("\n", " "), EXIT_BAD_INPUT)
    except click_errors.ClickException as exc:
        return _fail(exc.format_message(), exc.exit_code)
    except PpoError as exc:
        return _fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        return EXIT_FAILURE
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_FAILURE)
    except KeyboardInterrupt:
        return 130
    if _current is not None:
        _current.finish()
    return result if isinstance(result, int) else 0


def main() -> None:
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (ppo today | head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(code)
