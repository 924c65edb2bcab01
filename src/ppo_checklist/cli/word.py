"""The client's word: `ppo consent` (the ledger), `ppo feedback` (the verdict after a trip, and the
complaint a dissatisfied one opens), `ppo inbox` (replies and bounces read over IMAP)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Optional

import typer

from ppo_checklist.cli.session import DATE_HELP, SAID_ON_OPTION, VIA_OPTION, commands, session_of
from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import N_, _, ngettext

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
app = commands()


class YesNo(str, Enum):
    yes = "yes"
    no = "no"


class ConsentChannel(str, Enum):
    email = "email"
    sms = "sms"


@app.command(
    help=N_(
        "Records the client's consent to advertising (given or withdrawn) in the ledger: ppo sends an"
        " advertising letter or SMS only with it."
    ),
)
def consent(
    ctx: typer.Context,
    contact: str = typer.Argument(..., help=N_("The client's phone or e-mail, in any spelling.")),
    ads: YesNo = typer.Option(..., "--ads", help=N_("yes: consent given; no: withdrawn.")),
    channel: Optional[ConsentChannel] = typer.Option(None, "--channel", help=N_("Only e-mail or only SMS.")),
    via: str = VIA_OPTION,
    date: Optional[str] = SAID_ON_OPTION,
    text_version: Optional[str] = typer.Option(
        None, "--text-version", help=N_("The version of the consent text the client signed.")
    ),
) -> None:
    from ppo_checklist import client_word
    from ppo_checklist.core.consent import CONSENT_CHANNELS

    session = session_of(ctx)
    on = session.today(date)
    channels = (channel.value,) if channel else CONSENT_CHANNELS
    given = ads == YesNo.yes
    clients = client_word.record_consent(session.store, contact, given, on, channels, via, text_version)
    line = _("Client {id} ({name}): consent to advertising {what} ({channels}).")
    what = _("given") if given else _("withdrawn")
    for client in clients:
        typer.echo(line.format(id=client.id, name=client.name, what=what, channels=", ".join(channels)))


class Via(str, Enum):
    call = "call"
    email = "email"
    visit = "visit"
    messenger = "messenger"


@app.command(
    help=N_(
        "Records the client's verdict after the trip (1-4, 4 = very satisfied); again = a correction. A 1 or 2"
        " opens a complaint for the service director."
    ),
)
def feedback(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
    tour: str = typer.Option(..., "--tour", help=N_("The tour: 1-4 or the words.")),
    service: str = typer.Option(..., "--service", help=N_("The agency's service: 1-4 or the words.")),
    via: Via = typer.Option(Via.call, "--via", help=N_("How the answer was collected.")),
    note: Optional[str] = typer.Option(None, "--note", help=N_("What the client said.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    from ppo_checklist import client_word

    session = session_of(ctx)
    on = session.today(date)
    outcome = client_word.give_feedback(
        session.store, session.config, trip, tour, service, via.value, note, on, client_word.now_on(on)
    )
    line = _("Trip {id}: the verdict is recorded (tour {tour}, service {service}).")
    if outcome.correction:
        line = _("Trip {id}: the verdict is corrected (tour {tour}, service {service}); the earlier one is kept.")
    typer.echo(line.format(id=trip, tour=outcome.feedback.tour, service=outcome.feedback.service))
    if outcome.complaint_id is not None:
        hours = session.config.complaint_deadlines
        typer.echo(
            _(
                "A complaint is open for the service director: taken within {a} h, answered within {b} h,"
                " resolved within {c} h."
            ).format(a=hours[0], b=hours[1], c=hours[2])
        )


@app.command(
    help=N_(
        "Reads the agency's mailbox ([imap]): a reply «Отписаться» withdraws that client's e-mail consent; a bounce"
        " marks the address undeliverable. ppo send does this first."
    ),
)
def inbox(
    ctx: typer.Context,
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    session = session_of(ctx)
    if session.config.imap is None:
        raise BadInput(_("the config has no [imap] to read the mailbox with"))
    for line in read_mail(session, session.today(date)):
        typer.echo(line)


def read_mail(session, day: dt.date) -> list[str]:
    """Take the new mail into the ledger; the lines that say what it changed."""
    from ppo_checklist.sending import inbox as mailbox

    report = mailbox.read(session.store, session.config.imap, day)
    lines = [ngettext("{n} new mail read.", "{n} new mails read.", report.taken).format(n=report.taken)]
    for address, clients in report.unsubscribed:
        names = ", ".join(c.name for c in clients) or _("no client")
        lines.append(_("{a} unsubscribed ({names}): no more letters.").format(a=address, names=names))
    for address, status, clients in report.bounced:
        names = ", ".join(c.name for c in clients) or _("no client")
        lines.append(
            _("{a} bounced ({s}; {names}): no more letters until checked.").format(a=address, s=status, names=names)
        )
    return lines
