"""Setting up: the agency's settings (`init`) and the playbooks it follows (`playbooks`)."""

from __future__ import annotations

from typing import Optional

import typer

from ppo_checklist import config as settings
from ppo_checklist.cli.session import FORMAT_OPTION, Format, commands, session_of
from ppo_checklist.config import config_path
from ppo_checklist.i18n import N_, _

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
app = commands()

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

    from ppo_checklist.core.model import FIELD_NAMES, check_texts

    session = session_of(ctx)
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


@app.command(
    "playbooks",
    help=N_("Lists the playbooks and their steps."),
)
def playbooks_(
    ctx: typer.Context,
    fmt: Format = FORMAT_OPTION,
) -> None:
    from ppo_checklist.core import sms_segments
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    out = formatters.formatter(fmt, session)
    out.playbooks(session.playbooks)
    for line in sms_segments.warnings(session.playbooks):  # each extra SMS is billed
        typer.echo(_("warning: {w}").format(w=line), err=True)
