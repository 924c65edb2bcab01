"""The managers' phone calendars: upcoming calls and visits as iCalendar (RFC 5545) events.

Each event is an all-day event on the step's day, with the client, the phone, the step and
what to say. Its UID is made of the trip and the step (and the agency), so a calendar imported
again, or a subscribed file written again, updates its events instead of doubling them; a step
done (or lapsed, skipped, or of a cancelled trip) within the window is written as a cancelled
event, which removes it from a calendar that had it. Written with the `icalendar` package.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ppo_checklist import tracker
from ppo_checklist.config import Config
from ppo_checklist.core import passport, texts
from ppo_checklist.core.model import DUE, OVERDUE, PENDING, Trip, TripStep
from ppo_checklist.core.playbooks import Playbook
from ppo_checklist.core.words import channel_name
from ppo_checklist.core.workdays import WorkCalendar
from ppo_checklist.i18n import _
from ppo_checklist.store import Store

PEOPLE_CHANNELS = ("call", "visit")  # what people do; letters and SMS ppo sends itself
OPEN = (DUE, PENDING, OVERDUE)
PRODID = "-//ppo//ppo-checklist//RU"
EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


class Event(NamedTuple):
    uid: str
    day: dt.date
    summary: str
    description: str
    cancelled: bool
    manager: str
    channel: str
    phone: str


def uid(trip_id: int, step_no: int, config: Config) -> str:
    """The same for a trip's step in every export of the agency's store."""
    agency = hashlib.sha256(config.agency.strip().encode("utf-8")).hexdigest()[:12]
    return f"ppo-trip{trip_id}-step{step_no}@{agency}.ppo"


def events(
    store: Store,
    playbooks: dict[str, Playbook],
    config: Config,
    today: dt.date,
    days: int,
    managers: Sequence[str] | None = None,
    calendar: WorkCalendar | None = None,
) -> list[Event]:
    """The calls and visits due from `today` through `days` days ahead, soonest first: open ones
    as events, the others (done, lapsed, skipped, of a cancelled trip) as cancelled events."""
    until = today + dt.timedelta(days=days)
    trips: Iterable[Trip] = store.trips(True, list(managers)) if managers is not None else store.iter_trips(True)
    found = []
    for trip in trips:
        steps = [s for s in trip.steps if s.channel in PEOPLE_CHANNELS and today <= s.due <= until]
        if not steps:
            continue
        moves = tracker.step_moves(trip, playbooks, calendar)
        for step in steps:
            status = trip.step_status(step, today)
            found.append(_event(trip, step, status not in OPEN, playbooks, config, moves.get(step.no)))
    found.sort(key=lambda e: (e.day, e.cancelled, e.uid))
    return found


def _event(trip: Trip, step: TripStep, cancelled: bool, playbooks, config: Config, move) -> Event:
    client = trip.client
    what = channel_name(step.channel)
    summary = f"{what}: {client.name} — {step.title}"
    lines = [
        _("Client: {name}").format(name=client.name),
        _("Phone: {phone}").format(phone=client.phone or "—"),
    ]
    if client.email:
        lines.append(_("E-mail: {email}").format(email=client.email))
    lines.append(
        _("Trip {id}, step {no} ({sid}): {title}").format(id=trip.id, no=step.no, sid=step.id, title=step.title)
    )
    if trip.manager:
        lines.append(_("Manager: {m}").format(m=trip.manager))
    if move is not None:
        lines.append(_("Moved from {day}: {why}").format(day=move.planned.strftime(config.date_format), why=move.why))
    said = _say(trip, step, playbooks, config)
    if said:
        lines += ["", _("What to say:"), said]
    return Event(
        uid(trip.id, step.no, config),
        step.due,
        summary,
        "\n".join(lines),
        cancelled,
        trip.manager,
        step.channel,
        client.phone or "",
    )


def _say(trip: Trip, step: TripStep, playbooks: dict[str, Playbook], config: Config) -> str:
    """The step's text, filled in (the playbook's, or the passport check's)."""
    if step.id == passport.PASSPORT_STEP and step.no == passport.PASSPORT_NO:
        text = passport.SAY
    else:
        playbook = playbooks.get(trip.playbook)
        found = next((s for s in playbook.steps if s.id == step.id), None) if playbook else None
        if playbook is None or found is None:
            return ""
        text = playbook.step_text(found, trip.dates)
    return texts.fill_text(text, config, trip.client.name, trip.manager, trip.dates, step.due).text


def to_ics(found: Sequence[Event], name: str, now: dt.datetime) -> bytes:
    """The events as one VCALENDAR (RFC 5545), named `name` in calendar apps."""
    # Imported here: icalendar costs ~0.1 s, paid only by `ppo calendar` and `ppo report`.
    import icalendar

    book = icalendar.Calendar()
    book.add("prodid", PRODID)
    book.add("version", "2.0")
    book.add("calscale", "GREGORIAN")
    book.add("method", "PUBLISH")
    book.add("x-wr-calname", name)
    stamp = now.astimezone(dt.timezone.utc).replace(microsecond=0)
    # Every export is the current truth: a sequence that grows with the time of writing lets
    # an importing calendar take each event's latest version.
    sequence = int((stamp - EPOCH).total_seconds() // 60)
    for event in found:
        item = icalendar.Event()
        item.add("uid", event.uid)
        item.add("dtstamp", stamp)
        item.add("dtstart", event.day)
        item.add("dtend", event.day + dt.timedelta(days=1))
        item.add("summary", event.summary)
        item.add("description", event.description)
        item.add("categories", [event.channel.upper()])
        item.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
        item.add("transp", "TRANSPARENT")
        item.add("sequence", sequence)
        if event.phone:
            item.add("url", "tel:" + re.sub(r"[^\d+]", "", event.phone))
        book.add_component(item)
    return book.to_ical()


def file_name(manager: str) -> str:
    """A manager's calendar file: `ppo-calendar-Ольга.ics` (letters, digits, - and _ kept)."""
    slug = re.sub(r"[^\w-]+", "_", manager.strip(), flags=re.UNICODE).strip("_") or "no-manager"
    return f"ppo-calendar-{slug}.ics"


def calendar_name(manager: str | None) -> str:
    return _("Follow-up: {m}").format(m=manager) if manager else _("Follow-up")
