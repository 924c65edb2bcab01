"""Trips: a sale (`add`), a decline, and what a manager corrects later (`edit`, `cancel`),
looks at (`show`, `list`)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Optional

import typer

from ppo_checklist.cli.session import DATE_HELP, FORMAT_OPTION, MANAGER_FILTER, Format, Session, commands, session_of
from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import N_, _

if TYPE_CHECKING:
    from ppo_checklist.output.formatters import Formatter

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
app = commands()

BIRTHDAY_OPTION = typer.Option(None, "--birthday", help=N_("The client's birthday (a greeting each year)."))
PASSPORT_OPTION = typer.Option(
    None, "--passport-expires", help=N_("The day the client's passport expires (checked against the return).")
)


@app.command(
    help=N_("A client who bought a tour: schedules every step of the playbook."),
)
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=N_("The client's name.")),
    purchase: str = typer.Option(..., "--purchase", "-p", help=N_("Purchase date.")),
    departure: str = typer.Option(..., "--departure", "-d", help=N_("Departure date.")),
    return_: str = typer.Option(..., "--return", "-r", help=N_("Return date.")),
    phone: Optional[str] = typer.Option(None, "--phone", help=N_("Phone (the same name and phone: the same client).")),
    email: Optional[str] = typer.Option(
        None, "--email", help=N_("E-mail (the same name and e-mail: the same client).")
    ),
    manager: Optional[str] = typer.Option(None, "--manager", "-m", help=N_("The manager (default: config).")),
    playbook: str = typer.Option("tour", "--playbook", help=N_("Playbook id.")),
    note: Optional[str] = typer.Option(None, "--note", help=N_("A note on the trip.")),
    no_messages: bool = typer.Option(
        False, "--no-messages", help=N_("The client wants no letters or SMS (as ppo optout).")
    ),
    again: bool = typer.Option(False, "--again", help=N_("The same sale a second time, on purpose.")),
    birthday: Optional[str] = BIRTHDAY_OPTION,
    passport_expires: Optional[str] = PASSPORT_OPTION,
    consent: Optional[ConsentKind] = typer.Option(
        None, "--consent", help=N_("ads: the client signed consent to advertising (e-mail and SMS).")
    ),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    from ppo_checklist.output import formatters

    session = session_of(ctx)
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
        **_client_dates(session, birthday, passport_expires),
    }
    message = _("Trip {id} added for {name} (client {c}).")
    on = dates["purchase"] or session.today(date)
    _start_trip(
        session,
        playbook,
        name,
        dates,
        {**contact, "again": again},
        session.today(date),
        out,
        message,
        consent_on=on if consent else None,
    )


def _client_dates(session: Session, birthday: Optional[str], passport_expires: Optional[str]) -> dict:
    """--birthday and --passport-expires as the tracker takes them, with the config's margin."""
    from ppo_checklist.core import passport

    return {
        "birthday": session.date(birthday, "--birthday"),
        "passport_expires": session.date(passport_expires, "--passport-expires"),
        "passport_margin": passport.margin(session.config.passport_margin),
    }


class ConsentKind(str, Enum):
    ads = "ads"


def _start_trip(
    session: Session,
    playbook: str,
    name: str,
    dates,
    contact,
    today: dt.date,
    out: Formatter,
    message: str,
    consent_on: Optional[dt.date] = None,
) -> None:
    """Schedule a new trip (a sale or a decline) and print it, under `message` for people."""
    from ppo_checklist import tracker
    from ppo_checklist.core.playbooks import get

    calendar = session.calendar  # built once: it reads the days-off cache
    trip_id, warnings = tracker.add_trip(
        session.store, get(session.playbooks, playbook), name, dates, **contact, calendar=calendar
    )
    for warning in warnings:
        session.warn(warning)
    trip = session.store.trip(trip_id)
    if consent_on is not None:  # `add --consent ads`: signed in the office on the day of the sale
        from ppo_checklist import client_word

        with session.store.write():
            client_word.ads_consent_given(session.store, trip.client.id, consent_on)
    moves = tracker.step_moves(trip, session.playbooks, calendar)
    headline = message.format(id=trip_id, name=trip.client.name, c=trip.client.id)
    out.trip(trip, today, headline=headline, moves=moves, unconsented=_unconsented(session, trip))


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
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    out = formatters.formatter(fmt, session)
    today = session.today(None)
    declined = session.date(date, "--date") or today
    dates = {"declined": declined, "departure": session.date(departure, "--departure")}
    contact = {"phone": phone, "email": email, "manager": session.manager(manager), "note": note}
    message = _("Trip {id}: declined chain started for {name}.")
    _start_trip(session, playbook, name, dates, {**contact, "again": again}, today, out, message)


@app.command(
    help=N_("The trip, its client, every step with its status and every message ppo sent or tried."),
)
def show(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    from ppo_checklist import tracker
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    store = session.store
    found = store.trip(trip)
    messages = store.messages([found.id]).get(found.id, [])
    day = session.today(date)
    out = formatters.formatter(fmt, session)
    from ppo_checklist import client_word

    word = client_word.word_record(store, found.id, found.client.id)
    moves = tracker.step_moves(found, session.playbooks, session.calendar)
    out.trip(found, day, messages, moves=moves, word=word, unconsented=_unconsented(session, found))


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
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    day = session.today(date)
    trips = session.store.trips(all_, session.managers(manager))
    out = formatters.formatter(fmt, session)
    out.trips(trips, day)


@app.command(
    help=N_(
        "Trips whose client's name (any case, ё = е), phone (any spelling, or its last 4+ digits) or e-mail "
        "holds TEXT, newest first; finished and cancelled ones too."
    ),
)
def find(
    ctx: typer.Context,
    text: str = typer.Argument(..., help=N_("A part of a name, a phone or an e-mail.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    from ppo_checklist import tracker
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    day = session.today(date)
    trips = tracker.find(session.store, text)
    out = formatters.formatter(fmt, session)
    out.trips(trips, day)


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
    birthday: Optional[str] = BIRTHDAY_OPTION,
    passport_expires: Optional[str] = PASSPORT_OPTION,
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
    fmt: Format = FORMAT_OPTION,
) -> None:
    from ppo_checklist import tracker
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    given = {"purchase": purchase, "departure": departure, "return": return_, "declined": declined}
    dates = {name_: session.day(value, f"--{name_}") for name_, value in given.items() if value is not None}
    if not dates and all(v is None for v in (name, phone, email, manager, birthday, passport_expires)):
        raise BadInput(
            _("nothing to change: give --name, --phone, --email, --manager, --birthday, --passport-expires or a date")
        )
    calendar = session.calendar
    today = session.today(date)
    client_dates = _client_dates(session, birthday, passport_expires)
    updated = tracker.edit(
        session.store,
        session.playbooks if dates else {},
        trip,
        name,
        phone,
        email,
        manager,
        dates,
        calendar,
        **client_dates,
        today=today,
    )
    out = formatters.formatter(fmt, session)
    moves = tracker.step_moves(updated, session.playbooks, calendar)
    out.trip(updated, today, moves=moves, unconsented=_unconsented(session, updated))


@app.command(
    help=N_("The tour is cancelled: no further steps; the trip stays in history."),
)
def cancel(
    ctx: typer.Context,
    trip: int = typer.Argument(..., help=N_("Trip id.")),
    reason: Optional[str] = typer.Option(None, "--reason", help=N_("Why the tour was cancelled.")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    from ppo_checklist import tracker

    session = session_of(ctx)
    line = tracker.cancel(session.store, trip, session.today(date), reason, session.config.date_format)
    typer.echo(line)


def _unconsented(session: Session, trip) -> frozenset[int]:
    """The trip's ads steps its client has not consented to: shown as no_consent."""
    from ppo_checklist.sending.consent import unconsented_steps  # the ledger: loaded when a trip is shown

    return unconsented_steps(session.store, session.playbooks, trip)
