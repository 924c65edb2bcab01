"""What each command does, over the store, the playbooks and the schedule.

No terminal and no formatting here: functions take plain values (the day included)
and return records; `cli.py` parses and prints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ppo_checklist import schedule
from ppo_checklist.config import DAY_FORMAT, Config
from ppo_checklist.errors import BadInput, DateError, NotFound
from ppo_checklist.i18n import _
from ppo_checklist.model import Action, Client, NewStep, Trip, TripStep, check_name, check_texts, email_key, phone_key
from ppo_checklist.playbooks import Playbook, get
from ppo_checklist.store import Store


@dataclass(frozen=True)
class Outcome:
    """What a command changed (or that it changed nothing), for the one line it prints."""

    trip_id: int
    changed: bool
    message: str


def new_steps(playbook: Playbook, dates: dict[str, dt.date | None]) -> list[NewStep]:
    return [
        NewStep(item.step.no, item.step.id, item.step.title, item.step.channel, item.due)
        for item in schedule.derive(playbook, dates)
    ]


def add_trip(
    store: Store,
    playbook: Playbook,
    name: str,
    dates: dict[str, dt.date | None],
    phone: str | None = None,
    email: str | None = None,
    manager: str = "",
    note: str | None = None,
    no_messages: bool = False,
) -> int:
    """A sold tour (or a decline): the client found or created, every step scheduled.
    `no_messages`: the client wants no letters or SMS (as `ppo optout` records it)."""
    name = check_name(name)
    check_texts(phone=phone, email=email, manager=manager, note=note)
    steps = new_steps(playbook, dates)
    with store.write():
        client = store.client_for(name, phone, email)
        if no_messages:
            store.set_opted_out([client.id], _now())
        return store.add_trip(client, manager.strip(), playbook.id, dates, steps, note)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def agenda(
    store: Store,
    today: dt.date,
    manager: str | None = None,
    playbooks: dict[str, Playbook] | None = None,
    config: Config | None = None,
) -> list[Action]:
    """Every step due today or overdue and not done: overdue first (oldest first), then today.
    Given the playbooks and a config that sends, the steps ppo will send today are left out."""
    actions = [Action.of(row, today) for row in store.agenda(until=today, manager=manager)]
    if playbooks is None or config is None or not (config.email or config.sms):
        return actions
    from ppo_checklist.outbox import will_send

    def step(row):
        playbook = playbooks.get(row.playbook)
        return next((s for s in playbook.steps if s.id == row.step_id), None) if playbook else None

    return [a for a in actions if not will_send(a.row, step(a.row), config, today)]


def set_consent(store: Store, contact: str, consent: bool) -> list[Client]:
    """`ppo optout` / `ppo optin`: the client with this phone or e-mail (any spelling) gets no
    letters or SMS from ppo, or gets them again."""
    check_texts(contact=contact)
    text = contact.strip()
    phone, email = (None, text) if "@" in text else (text, None)
    if not (email_key(email) if email else phone_key(phone)):
        raise BadInput(_("give a phone or an e-mail, not '{c}'").format(c=text))
    with store.write():
        clients = store.clients_by_contact(phone, email)
        if not clients:
            raise NotFound(_("no client with the phone or e-mail {c}").format(c=text))
        store.set_opted_out([c.id for c in clients], None if consent else _now())
    return clients


def upcoming(store: Store, today: dt.date, days: int, manager: str | None = None) -> list[Action]:
    """Steps due from tomorrow through `days` days ahead, soonest first."""
    if not 0 <= days <= 3660:
        raise BadInput(_("--days must be from 0 to 3660"))
    rows = store.agenda(until=today + dt.timedelta(days=days), since=today + dt.timedelta(days=1), manager=manager)
    return [Action.of(row, today) for row in rows]


def find_step(trip: Trip, key: str) -> TripStep:
    text = key.strip()
    for step in trip.steps:
        if step.id == text or str(step.no) == text:
            return step
    raise BadInput(_("trip {trip} has no step {key}").format(trip=trip.id, key=text))


def mark_done(
    store: Store, trip_id: int, key: str, day: dt.date, note: str | None = None, date_format: str = DAY_FORMAT
) -> Outcome:
    check_texts(note=note)
    with store.write():
        trip = store.trip(trip_id)
        step = find_step(trip, key)
        if trip.cancelled_on is not None:
            raise BadInput(_("trip {id} is cancelled").format(id=trip_id))
        if step.done_on is not None:
            message = _("trip {id} step {no} ({sid}) was already done on {day}; nothing changed")
            return Outcome(
                trip_id,
                False,
                message.format(id=trip_id, no=step.no, sid=step.id, day=step.done_on.strftime(date_format)),
            )
        store.mark_done(trip_id, step.no, day, note)
    message = _("trip {id} step {no} ({sid}) done on {day}")
    return Outcome(trip_id, True, message.format(id=trip_id, no=step.no, sid=step.id, day=day.strftime(date_format)))


def undo(store: Store, trip_id: int, key: str) -> Outcome:
    with store.write():
        trip = store.trip(trip_id)
        step = find_step(trip, key)
        if step.done_on is None:
            message = _("trip {id} step {no} ({sid}) is not done; nothing changed")
            return Outcome(trip_id, False, message.format(id=trip_id, no=step.no, sid=step.id))
        store.unmark_done(trip_id, step.no)
    message = _("trip {id} step {no} ({sid}) is no longer done")
    return Outcome(trip_id, True, message.format(id=trip_id, no=step.no, sid=step.id))


def edit(
    store: Store,
    playbooks: dict[str, Playbook],
    trip_id: int,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    manager: str | None = None,
    dates: dict[str, dt.date] | None = None,
) -> Trip:
    """Correct the client or the trip; new dates move the steps not yet done."""
    if name is not None:
        name = check_name(name)
    check_texts(phone=phone, email=email, manager=manager)
    with store.write():
        trip = store.trip(trip_id)
        if dates:
            playbook = get(playbooks, trip.playbook)
            unknown = set(dates) - set(playbook.dates) - set(playbook.optional_dates)
            if unknown:
                raise DateError(_("the {pb} playbook has no {a} date").format(pb=playbook.id, a=sorted(unknown)[0]))
            merged: dict[str, dt.date | None] = {**trip.dates, **dates}
            steps = {step.no: step.due for step in new_steps(playbook, merged)}
            store.set_trip(trip_id, dates=dict(dates))
            store.move_pending(trip_id, steps)
        if manager is not None:
            store.set_trip(trip_id, manager=manager.strip())
        if name is not None or phone is not None or email is not None:
            store.update_client(trip.client.id, name=name, phone=phone, email=email)
        return store.trip(trip_id)


def cancel(store: Store, trip_id: int, day: dt.date, reason: str | None, date_format: str = DAY_FORMAT) -> Outcome:
    check_texts(reason=reason)
    with store.write():
        trip = store.trip(trip_id)
        if trip.cancelled_on is not None:
            message = _("trip {id} was already cancelled on {day}; nothing changed")
            return Outcome(trip_id, False, message.format(id=trip_id, day=trip.cancelled_on.strftime(date_format)))
        store.cancel(trip_id, day, reason)
    return Outcome(trip_id, True, _("trip {id} cancelled; no further steps").format(id=trip_id))


def fill_text(text: str, config: Config, client: str, manager: str, dates: dict[str, dt.date], due: dt.date) -> str:
    """A step's ready-to-send text with its placeholders filled in."""
    shown = {name: day.strftime(config.date_format) for name, day in dates.items()}
    values = {
        "client": client,
        "manager": manager or config.default_manager,
        "agency": config.agency,
        "director": config.director,
        "service_director": config.service_director or config.director,
        "purchase": "",
        "departure": "",
        "return": "",
        "declined": "",
        **shown,
        "due": due.strftime(config.date_format),
    }
    return text.format(**values)
