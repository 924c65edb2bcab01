"""What every command shares: the run's session (config, store, playbooks opened when first
asked for), the options several commands take, and the run's language chosen from the config
before the commands are built."""

from __future__ import annotations

import datetime as dt
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from ppo_checklist import i18n
from ppo_checklist.config import DAY_FORMAT, Config, config_path, default_db_path, load
from ppo_checklist.core.dates import parse_date
from ppo_checklist.core.model import take_mobile_pattern_from
from ppo_checklist.errors import BadInput, PpoError
from ppo_checklist.i18n import N_, _


def commands(**settings: Any) -> typer.Typer:
    """A module's group of commands: click's plain help (typer's rich panels load rich.markdown
    and pygments, ~40 ms a `--help`); completion belongs to the root."""
    return typer.Typer(add_completion=False, rich_markup_mode=None, **settings)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


# `ppo --help` loads this module (and app.py) only: the store, the playbooks, the calendar, the
# tracker and the figures load inside the properties and functions that first need them.


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
    def config_file(self) -> Path:
        """The config file read (or that would be: it may not exist)."""
        _config = self.config
        return self._config_path

    # The store, the playbooks and the tracker load when a command first asks for them: every
    # command module imports this one, and `ppo --help` imports every command module.

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
            self._store = open_store(self.location, create_folder=default, wait=self.config.store_wait)
            # A phone typed in this run (add, edit, import) reads Russia's mobile pattern from
            # ppo's cache, loaded only then (`today` types none).
            take_mobile_pattern_from(_cached_mobile_pattern)
        return self._store

    @property
    def playbooks(self):
        if self._playbooks is None:
            from ppo_checklist.core import playbooks

            config = self.config
            self._playbooks = playbooks.load_all(config.user_playbooks(self._config_path))
        return self._playbooks

    @property
    def calendar(self):
        """The office's working days (config `holidays`, `working_week`): a country's days off
        from ppo's cache, the holidays package loaded only for a year the cache lacks."""
        from ppo_checklist.cli import days_off
        from ppo_checklist.core.workdays import for_config

        return for_config(self.config, source=days_off.cached)

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

    def day(self, text: str, option: str) -> dt.date:
        """A date the person gave (`option` names it in the message if it is not one)."""
        day = self.date(text, option)
        assert day is not None
        return day

    def today(self, text: Optional[str]) -> dt.date:
        if text is not None:
            return self.date(text, "--date")  # type: ignore[return-value]
        from_env = os.environ.get("PPO_TODAY")
        return self.date(from_env, "PPO_TODAY") if from_env else dt.date.today()  # type: ignore[return-value]

    def manager(self, given: Optional[str]) -> str:
        return given if given is not None else self.config.default_manager

    def managers(self, given: Optional[str]) -> Optional[list[str]]:
        """A `--manager` filter: the stored spellings it names; exit 2 for a name nobody has."""
        from ppo_checklist import tracker

        config = self.config
        return tracker.managers_named(self.store, given, config.default_manager, config.service_director_name)

    def every_manager(self, given: list[str]) -> list[str]:
        """A repeated `--manager` (stats, export): each name read as `managers` reads one."""
        return [name for one in given for name in self.managers(one) or ()]

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


def _cached_mobile_pattern() -> str | None:
    from ppo_checklist.cli.phone_pattern import cached_mobile_pattern

    return cached_mobile_pattern()


def session_of(ctx: typer.Context) -> Session:
    return ctx.find_root().obj


DATE_HELP = N_("The day to act as today (default: $PPO_TODAY or the local date).")
FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help=N_("table, json, csv or md."))
TABLE_OR_JSON = (Format.table.value, Format.json.value)  # send and import: no rows to put in csv or md
TABLE_OR_JSON_OPTION = typer.Option(Format.table, "--format", "-f", help=N_("table or json."))
MANAGER_FILTER = typer.Option(None, "--manager", "-m", help=N_("Only this manager's trips."))
# The client's word (consent, optout, optin): how and when they said it.
VIA_OPTION = typer.Option("office", "--via", help=N_("How the client said it: office, form, call, reply, import."))
SAID_ON_OPTION = typer.Option(None, "--date", help=N_("The day the client said it (default: today)."))


class Language(str, Enum):
    ru = "ru"
    en = "en"


LANGUAGE_OPTION = typer.Option(
    None, "--language", help=N_("The workbook's language, if not this run's (config `language`, the locale).")
)


KPI_FROM_HELP = N_("First day of the Summary's figures (default: the 1st of the month of --date).")
KPI_TO_HELP = N_("Last day of the Summary's figures (default: the end of the month of --date).")


def period(session: Session, as_of: dt.date, start: Optional[str], end: Optional[str]):
    from ppo_checklist import stats  # the figures' module only for the commands that show them

    return stats.period(as_of, session.date(start, "--from"), session.date(end, "--to"))


def _date_format() -> str:
    config = next(iter(_early_config.values()), None)
    return config.date_format if config else DAY_FORMAT


def echo_taken(taken) -> None:
    """On stderr, what was taken from a workbook about to be replaced (nothing if nothing)."""
    if taken is not None and (taken.taken or taken.untaken):
        for line in taken.lines(_date_format()):
            typer.echo(line, err=True)
        typer.echo(taken.headline(), err=True)


_early_config: dict[Path, Config] = {}


def choose_language(argv: list[str]) -> None:
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


def is_text(arg: str) -> bool:
    """An argument as typed in a terminal that is not UTF-8 (cp1251) arrives surrogate-escaped."""
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
