"""Letters and SMS: `ppo send` and the client's word about them (`optout`, `optin`)."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Optional

import typer

from ppo_checklist.cli.session import (
    DATE_HELP,
    MANAGER_FILTER,
    TABLE_OR_JSON,
    TABLE_OR_JSON_OPTION,
    Format,
    commands,
    session_of,
)
from ppo_checklist.errors import EXIT_FAILURE, BadInput
from ppo_checklist.i18n import N_, _

# The parts each command uses load inside it: `ppo --help` imports every command module.
app = commands()


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
    from ppo_checklist.output import formatters
    from ppo_checklist.sending import outbox

    session = session_of(ctx)
    out = formatters.formatter(fmt, session, only=TABLE_OR_JSON, refusal=_("send: --format must be table or json"))
    day = session.today(date)
    config = session.config
    if not dry_run:
        outbox.refuse_readable_secrets(session.config_file, config)
    if retry is not None:
        if dry_run:
            raise BadInput(_("--retry and --dry-run do not go together"))
        done = outbox.retry(session.store, config, retry, day)
        report = outbox.SendReport(day, False, [done])
    else:
        report = outbox.run(
            session.store, session.playbooks, config, day, channel.value if channel else None, manager, dry_run
        )
    out.send_report(report)
    for warning in report.warnings:
        sys.stderr.write(f"ppo: {warning}\n")
    if report.failing:
        sys.stderr.write(f"ppo: {report.summary(for_cron=True)}\n")
        raise typer.Exit(EXIT_FAILURE)


@app.command(
    help=N_("The client wants no letters or SMS: ppo never sends them any; today lists those steps."),
)
def optout(
    ctx: typer.Context,
    contact: str = typer.Argument(..., help=N_("The client's phone or e-mail, in any spelling.")),
) -> None:
    from ppo_checklist import tracker

    for client in tracker.set_consent(session_of(ctx).store, contact, False):
        typer.echo(_("Client {id} ({name}) gets no letters or SMS from ppo.").format(id=client.id, name=client.name))


@app.command(
    help=N_("The client agrees to letters and SMS again."),
)
def optin(
    ctx: typer.Context,
    contact: str = typer.Argument(..., help=N_("The client's phone or e-mail, in any spelling.")),
) -> None:
    from ppo_checklist import tracker

    for client in tracker.set_consent(session_of(ctx).store, contact, True):
        typer.echo(_("Client {id} ({name}) gets letters and SMS again.").format(id=client.id, name=client.name))
