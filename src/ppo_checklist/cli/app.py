"""The root of the command line: the `ppo` group, its global options, and `run`, the one place
where errors become one line on stderr with the exit code of CLI.md (0 done, 2 bad input, 1 any
other failure).

The commands live one group a module (`trips`, `agenda`, `send`, …); the group loads only the
module of the command asked for (click's lazy group), so `ppo today` never builds `export`.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any, Optional

import click
import typer
from typer.core import TyperGroup

from ppo_checklist import __version__, i18n
from ppo_checklist.cli.session import Session, choose_language, is_text
from ppo_checklist.errors import EXIT_BAD_INPUT, EXIT_FAILURE, PpoError
from ppo_checklist.i18n import N_, _

# Each command's name, the module that holds it, and its name there (a module holds one group of
# commands; `store` is a group of its own). The order is the order of `ppo --help`.
COMMANDS = {
    "add": ("trips", "add"),
    "decline": ("trips", "decline"),
    "today": ("agenda", "today"),
    "upcoming": ("agenda", "upcoming"),
    "done": ("agenda", "done"),
    "undo": ("agenda", "undo"),
    "skip": ("agenda", "skip"),
    "show": ("trips", "show"),
    "list": ("trips", "list"),
    "find": ("trips", "find"),
    "edit": ("trips", "edit"),
    "cancel": ("trips", "cancel"),
    "playbooks": ("agency", "playbooks"),
    "send": ("send", "send"),
    "optout": ("send", "optout"),
    "optin": ("send", "optin"),
    "consent": ("word", "consent"),
    "inbox": ("word", "inbox"),
    "feedback": ("word", "feedback"),
    "init": ("agency", "init"),
    "stats": ("figures", "stats"),
    "import": ("intake", "import"),
    "report": ("figures", "report"),
    "export": ("workbook", "export"),
    "sync": ("workbook", "sync"),
    "calendar": ("calendar", "calendar"),
    "store": ("store", None),
}


class LazyGroup(TyperGroup):
    """The `ppo` group: a command's module is imported and built when the command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name not in COMMANDS:
            return None
        module_name, name = COMMANDS[cmd_name]
        if name is None:  # `store`: a group of its own
            return _module_group(ctx, module_name)
        return _module_command(ctx, module_name, name)


def _module_group(ctx: click.Context, module_name: str) -> click.Command:
    """A command module's group, built and translated once a run: `ppo --help` asks for each of
    the 27 commands, and building a module's whole group for each of its commands cost ~4× (typer
    reads every command's signature). The run's context holds it (`meta` is shared by the run's
    contexts), so a later run in another language builds its own."""
    built: dict[str, click.Command] = ctx.meta.setdefault("ppo_checklist.cli.groups", {})
    if module_name not in built:
        module = importlib.import_module(f"ppo_checklist.cli.{module_name}")
        built[module_name] = translated(typer.main.get_command(module.app))
    return built[module_name]


def _module_command(ctx: click.Context, module_name: str, name: str) -> click.Command:
    """One command of a module, built and translated once a run, as its module's group builds it
    (`typer.main.get_command_from_info`, with the module's settings), but alone: `ppo today`
    built the four other commands of its module too (typer reads each signature), ~1.5 ms."""
    built: dict[tuple[str, str], click.Command] = ctx.meta.setdefault("ppo_checklist.cli.commands", {})
    if (module_name, name) not in built:
        group = importlib.import_module(f"ppo_checklist.cli.{module_name}").app
        info = next(
            info
            for info in group.registered_commands
            if (info.name or typer.main.get_command_name(info.callback.__name__)) == name
        )
        command = typer.main.get_command_from_info(
            info, pretty_exceptions_short=group.pretty_exceptions_short, rich_markup_mode=group.rich_markup_mode
        )
        built[(module_name, name)] = translated(command)
    return built[(module_name, name)]


def translated(command: click.Command) -> click.Command:
    """The help texts of a freshly built command in the run's language: typer read them (marked
    with N_) when the module was imported, in no language in particular."""
    if command.help:
        command.help = _(command.help)
    if command.short_help:
        command.short_help = _(command.short_help)
    for param in command.params:
        help_text = getattr(param, "help", None)
        if help_text:
            param.help = _(help_text)
    for sub in getattr(command, "commands", {}).values():
        translated(sub)
    return command


app = typer.Typer(
    name="ppo",
    cls=LazyGroup,
    help=N_("Post-sale follow-up (ППО) for travel agencies: who to write, text or call today."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # click's own help: typer's rich panels load rich.markdown and pygments (~40 ms a `--help`).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_current: Optional[Session] = None  # the running command's session, for what it says once it succeeded


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


def command_tree() -> click.Group:
    """The `ppo` group in the run's language (its commands load as they are asked for)."""
    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    return translated(group)  # type: ignore[return-value]


def all_commands() -> dict[str, click.Command]:
    """Every command, built (for the docs and their tests)."""
    group = command_tree()
    with click.Context(group) as ctx:
        return {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}  # type: ignore[misc]


def _fail(message: str, code: int) -> int:
    message = " ".join(message.split())  # one line, whatever a library put in its message
    sys.stderr.write(f"ppo: {message}\n")
    return code


def _usage_error(exc: click.UsageError) -> int:
    where = f"{exc.ctx.command_path}: " if exc.ctx and exc.ctx.command_path != "ppo" else ""
    return _fail(where.removeprefix("ppo ") + exc.format_message().replace("\n", " "), EXIT_BAD_INPUT)


def _invoke(argv: list[str]) -> Any:
    return command_tree().main(args=argv, prog_name="ppo", standalone_mode=False)


def run(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    choose_language(argv)
    with i18n.frameworks(i18n.language()):  # click's own words in the run's language too
        return _run(argv)


def _run(argv: list[str]) -> int:
    undecodable = next((arg for arg in argv if not is_text(arg)), None)
    if undecodable is not None:
        shown = undecodable.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return _fail(_("'{a}' is not UTF-8 text (set the terminal to UTF-8)").format(a=shown), EXIT_BAD_INPUT)
    global _current
    _current = None
    try:
        result = _invoke(argv)
    except (typer.Exit, click.exceptions.Exit) as exc:
        if exc.exit_code == 0 and _current is not None:
            _current.finish()
        return exc.exit_code
    except (typer.Abort, click.Abort):
        return _fail(_("aborted"), EXIT_FAILURE)
    except click.exceptions.NoArgsIsHelpError as exc:  # `ppo` alone: the help, as asked
        typer.echo(exc.format_message())
        return 0
    except click.UsageError as exc:
        return _usage_error(exc)
    except click.ClickException as exc:
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


def main() -> int:
    """The console script's command: its exit code, all it printed flushed."""
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (ppo today | head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.stderr.flush()
    return code
