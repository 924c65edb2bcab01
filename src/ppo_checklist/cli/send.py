"""Letters and SMS: `ppo send` and the client's word about them (`optout`, `optin`)."""

from __future__ import annotations

import datetime as dt
import sys
from enum import Enum
from typing import Optional

import typer

from ppo_checklist.cli.session import (
    DATE_HELP,
    MANAGER_FILTER,
    SAID_ON_OPTION,
    TABLE_OR_JSON,
    TABLE_OR_JSON_OPTION,
    VIA_OPTION,
    Format,
    commands,
    session_of,
)
from ppo_checklist.errors import EXIT_FAILURE, BadInput
from ppo_checklist.i18n import N_, _

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
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
    names = session.managers(manager)  # an unknown name: exit 2 before anything is read or sent
    if not dry_run:
        outbox.refuse_readable_secrets(session.config_file, config)
    if retry is not None:
        if dry_run:
            raise BadInput(_("--retry and --dry-run do not go together"))
        done = outbox.retry(session.store, config, retry, day)
        report = outbox.SendReport(day, False, [done])
    else:
        if not dry_run:
            _clients_word(session, day)
        report = outbox.run(
            session.store, session.playbooks, config, day, channel.value if channel else None, names, dry_run
        )
    out.send_report(report)
    for warning in report.warnings:
        sys.stderr.write(f"ppo: {warning}\n")
    if report.failing:
        sys.stderr.write(f"ppo: {report.summary(for_cron=True)}\n")
        raise typer.Exit(EXIT_FAILURE)


def _clients_word(session, day: dt.date) -> None:
    """Before sending: the mailbox's replies and bounces ([imap]) and the SMS gateway's word on
    delivery ([sms]); what they changed goes to stderr. A mailbox that cannot be read is said
    in one line and the run goes on (yesterday's word stands)."""
    from ppo_checklist.cli.word import read_mail
    from ppo_checklist.sending import delivery
    from ppo_checklist.sending.inbox import MailboxError

    config = session.config
    if config.imap is not None:
        try:
            for line in read_mail(session, day)[1:]:
                session.warn(line)
        except MailboxError as exc:
            session.warn(str(exc))
    if config.sms is not None:
        checked = delivery.check(session.store, config.sms, day)
        for _message_id, phone, why in checked.not_delivered:
            session.warn(
                _("SMS to {p} not delivered ({why}): the manager checks the phone.").format(p=phone, why=why or "—")
            )


@app.command(
    help=N_("The client wants no letters or SMS: ppo never sends them any; today lists those steps."),
)
def optout(
    ctx: typer.Context,
    contact: str = typer.Argument(..., help=N_("The client's phone or e-mail, in any spelling.")),
    via: str = VIA_OPTION,
    date: Optional[str] = SAID_ON_OPTION,
) -> None:
    _opt(ctx, contact, False, via, date, _("Client {id} ({name}) gets no letters or SMS from ppo."))


@app.command(
    help=N_("The client agrees to letters and SMS again."),
)
def optin(
    ctx: typer.Context,
    contact: str = typer.Argument(..., help=N_("The client's phone or e-mail, in any spelling.")),
    via: str = VIA_OPTION,
    date: Optional[str] = SAID_ON_OPTION,
) -> None:
    _opt(ctx, contact, True, via, date, _("Client {id} ({name}) gets letters and SMS again."))


def _opt(ctx: typer.Context, contact: str, agrees: bool, via: str, date: Optional[str], line: str) -> None:
    """The client's word on letters and SMS, recorded in the consent ledger; one line a client."""
    from ppo_checklist import client_word

    session = session_of(ctx)
    for client in client_word.opt(session.store, contact, agrees, session.today(date), via):
        typer.echo(line.format(id=client.id, name=client.name))
