"""What each command does, over the store, the playbooks and the schedule.

No terminal and no formatting here: functions take plain values (the day included)
and return records, or the one line a command prints (what changed, or that nothing did);
`cli/` parses and prints.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from ppo_checklist.config import DAY_FORMAT, Config
from ppo_checklist.core import intake, passport, schedule
from ppo_checklist.core.model import (
    Action,
    Client,
    NewStep,
    Trip,
    TripStep,
    check_name,
    check_texts,
    checked,
    manager_key,
    match_managers,
    normal_email,
    normal_phone,
    utc_stamp,
)
from ppo_checklist.core.playbooks import Offset, Playbook, get, stored_step
from ppo_checklist.core.search import Search
from ppo_checklist.core.words import step_named
from ppo_checklist.core.workdays import WorkCalendar
from ppo_checklist.errors import BadInput, DateError
from ppo_checklist.i18n import _
from ppo_checklist.sending.consent import without_unconsented
from ppo_checklist.sending.rules import will_send
from ppo_checklist.sending.senders import sends_any
from ppo_checklist.store import Store


def new_steps(
    playbook: Playbook, dates: dict[str, dt.date | None], calendar: WorkCalendar | None = None
) -> list[NewStep]:
    return [
        NewStep(item.step.no, item.step.id, item.step.title, item.step.channel, item.due, item.last_day)
        for item in schedule.derive(playbook, dates, calendar)
    ]


class Added(NamedTuple):
    """A new trip, and what the manager should know about it (said on stderr)."""

    trip_id: int
    warnings: list[str]


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
    again: bool = False,
    calendar: WorkCalendar | None = None,
    birthday: dt.date | None = None,
    passport_expires: dt.date | None = None,
    passport_margin: Offset | None = None,
) -> Added:
    """A sold tour (or a decline): the client found or created, every step scheduled.

    The same sale typed twice (the same client's name, playbook and dates) is refused unless
    `again`. The same name with the same phone or e-mail is the known client; the same contact
    under another name is a new client sharing it (said in a warning). `no_messages`: the client
    wants no letters or SMS (as `ppo optout` records it). A passport (given now or known) that
    expires too soon after the return adds the passport check.
    """
    draft = intake.checked_draft(name, phone, email, manager, note)
    steps = new_steps(playbook, dates, calendar)
    warnings: list[str] = []
    with store.write():
        if not again:
            _refuse_same_sale(store, playbook.id, dates, draft.name)
        client, sharing = _client_of(store, draft)
        if sharing is not None:
            warnings.append(sharing.line(draft.name, client.id))
        # Also the read of what the store holds of a known client (its passport date), which the
        # contact lookup leaves out: not a redundant query even when nothing is given.
        client = store.update_client(client.id, birthday=birthday, passport_expires=passport_expires)
        expires = client.passport_expires
        if expires is not None and passport.too_soon(expires, dates, passport_margin or passport.margin()):
            start = dates[playbook.start]
            assert start is not None  # derive checked the dates
            steps = [passport.check_step(dates, start, calendar, expires), *steps]
        if no_messages:
            store.set_opted_out([client.id], utc_stamp())
        trip_id = store.add_trip(client, stored_manager(store, draft.manager), playbook.id, dates, steps, draft.note)
        return Added(trip_id, warnings)


def _refuse_same_sale(store: Store, playbook: str, dates: dict[str, dt.date | None], name: str) -> None:
    for trip_id, _client_id, client_name in store.trips_on(playbook, dates):
        if intake.same_name(client_name, name):
            message = _("this sale is already trip {id} ({name}, the same dates); --again adds it once more")
            raise BadInput(message.format(id=trip_id, name=client_name))


def _client_of(store: Store, draft: intake.Draft) -> tuple[Client, intake.Sharing | None]:
    """The known client the draft is (gaining the phone or e-mail it lacked), or a new one with,
    when others of another name hold its phone or e-mail, who they are."""
    by_phone = store.clients_by_contact(draft.phone, None) if draft.phone_key else []
    by_email = store.clients_by_contact(None, draft.email) if draft.email_key else []
    try:
        match = intake.same_client(draft.name, by_phone, by_email)
    except intake.TwoClients as exc:
        raise BadInput(str(exc)) from None
    client = match.same
    if client is None:
        client = store.add_client(draft.name, draft.phone, draft.email)
        if not match.sharing:
            return client, None

        def named(holders: list[Client]) -> tuple[intake.Other, ...]:
            return tuple((c.id, 0, c.name) for c in match.sharing if c in holders)

        return client, intake.Sharing(draft.phone, draft.email, named(by_phone), named(by_email))
    new_phone = draft.phone if not client.phone else None
    new_email = draft.email if not client.email else None
    if new_phone or new_email:
        store.complete_clients_bulk([(client.id, new_phone, new_email)])
    return client, None


def stored_manager(store: Store, given: str) -> str:
    """The manager's name as the store already spells it ("ольга " is Ольга when Ольга has
    trips), else as typed without surrounding spaces: one manager, one group in every list.
    The usual case, the name as stored, is one quick look; only a new spelling reads them all."""
    name = given.strip()
    if not name or store.has_manager(name):
        return name
    return intake.ManagerSpellings(store.managers())(name)


def managers_named(store: Store, given: str | None, default: str = "", director: str = "") -> list[str] | None:
    """The one reading of every `--manager` option: the stored spellings of the manager it names
    (case and surrounding spaces aside); None without the option. This desk's manager (`default`)
    before a first trip, and the service director (`director`: complaints are theirs) with or
    without trips, are known too. A name that matches nobody is bad input naming the known
    ones: a typo must not read as "nothing to do"."""
    if given is None:
        return None
    known = store.managers()
    matched = match_managers(given, known)
    if matched:
        return matched
    for name in (director, default):
        if name and manager_key(given) == manager_key(name):
            return [name.strip()]
    names = ", ".join(known) if known else _("none yet")
    raise BadInput(_("no manager '{m}' (known: {k})").format(m=given.strip(), k=names))


def agenda(
    store: Store,
    today: dt.date,
    manager: str | list[str] | None = None,
    playbooks: dict[str, Playbook] | None = None,
    config: Config | None = None,
) -> list[Action]:
    """Every step due today or overdue and not done: overdue first (oldest first), then today.
    Given the playbooks and a config that sends, the steps ppo will send today are left out."""
    actions = [Action.of(row, today) for row in store.agenda(until=today, manager=manager, as_of=today)]
    if playbooks is not None:
        actions = without_unconsented(store, playbooks, actions)
    if playbooks is None or config is None:
        return actions

    if not sends_any(config):
        return actions

    def step(row):
        return stored_step(playbooks, row.playbook, row.step_id)

    return [a for a in actions if not will_send(a.row, step(a.row), config, today)]


def find(store: Store, text: str) -> list[Trip]:
    """`ppo find`: every trip (finished and cancelled too) of the clients whose name, phone
    or e-mail holds TEXT (core/search), newest first: the latest start (the sale or the
    decline) first, then the latest added."""
    search = Search.of(text)
    ids = [cid for cid, name, p_key, e_key in store.client_keys() if search.matches(name, p_key, e_key)]
    trips = store.trips_of(ids) if ids else []
    return sorted(
        trips, key=lambda t: (t.dates.get("purchase") or t.dates.get("declined") or dt.date.min, t.id), reverse=True
    )


def upcoming(store: Store, today: dt.date, days: int, manager: str | list[str] | None = None) -> list[Action]:
    """Steps due from tomorrow through `days` days ahead, soonest first."""
    if not 0 <= days <= 3660:
        raise BadInput(_("--days must be from 0 to 3660"))
    since = today + dt.timedelta(days=1)
    rows = store.agenda(until=today + dt.timedelta(days=days), since=since, manager=manager, as_of=today)
    return [Action.of(row, today) for row in rows]


def find_step(trip: Trip, key: str) -> TripStep:
    text = key.strip()
    for step in trip.steps:
        if step.id == text or str(step.no) == text:
            return step
    raise BadInput(_("trip {trip} has no step {key}").format(trip=trip.id, key=text))


def check_done_day(trip: Trip, day: dt.date, today: dt.date, date_format: str = DAY_FORMAT) -> None:
    """A done mark's day is neither in the future nor before the trip began: the director's
    figures count on it (as `ppo sync` does for a workbook's ticks)."""
    if day > today:
        message = _("--date {day} is in the future (today is {today})")
        raise DateError(message.format(day=day.strftime(date_format), today=today.strftime(date_format)))
    start = trip.dates.get("purchase") or trip.dates.get("declined")
    if start is not None and day < start:
        message = _("--date {day} is before trip {id} began ({start})")
        raise DateError(message.format(day=day.strftime(date_format), id=trip.id, start=start.strftime(date_format)))


def mark_done(
    store: Store,
    trip_id: int,
    key: str,
    day: dt.date,
    note: str | None = None,
    today: dt.date | None = None,
    date_format: str = DAY_FORMAT,
) -> str:
    check_texts(note=note)
    with store.write():
        trip, step = _step_of_live_trip(store, trip_id, key)
        named = step_named(step.no, step.title)
        if step.done_on is not None:
            message = _("trip {id} step {step} was already done on {day}; nothing changed")
            return message.format(id=trip_id, step=named, day=step.done_on.strftime(date_format))
        check_done_day(trip, day, today or day, date_format)
        store.mark_done(trip_id, step.no, day, note)
    message = _("trip {id} step {step} done on {day}")
    return message.format(id=trip_id, step=named, day=day.strftime(date_format))


def _step_of_live_trip(store: Store, trip_id: int, key: str) -> tuple[Trip, TripStep]:
    """The trip and the step a done mark or a skip names; a cancelled trip's steps take neither."""
    trip = store.trip(trip_id)
    step = find_step(trip, key)
    if trip.cancelled_on is not None:
        raise BadInput(_("trip {id} is cancelled").format(id=trip_id))
    return trip, step


def mark_all_done(
    store: Store,
    trip_id: int,
    day: dt.date,
    today: dt.date,
    before: dt.date | None = None,
    note: str | None = None,
) -> str:
    """Every open step of a trip done at once. With `before`: the steps due before that day,
    each on its due day (history caught up); without: every open step, on `day`."""
    check_texts(note=note)
    with store.write():
        trip = store.trip(trip_id)
        if trip.cancelled_on is not None:
            raise BadInput(_("trip {id} is cancelled").format(id=trip_id))
        if before is None:
            check_done_day(trip, day, today)
            marks = [(trip_id, s.no, day, note) for s in trip.steps if not s.closed]
        else:
            if before > today + dt.timedelta(days=1):
                raise DateError(_("--before {day} is in the future (today is {today})").format(day=before, today=today))
            marks = [(trip_id, s.no, s.due, note) for s in trip.steps if not s.closed and s.due < before]
        store.mark_done_bulk(marks)
    if not marks:
        return _("trip {id}: no open step to mark; nothing changed").format(id=trip_id)
    steps = ", ".join(str(no) for _t, no, _d, _n in marks)
    return _("trip {id}: steps {steps} done").format(id=trip_id, steps=steps)


def skip(
    store: Store, trip_id: int, key: str, day: dt.date, reason: str | None = None, date_format: str = DAY_FORMAT
) -> str:
    """`ppo skip`: a person says the step is not to be done (a client who asked not to be
    called, a letter that does not fit): never sent, not in `today`, outside the on-time rate."""
    check_texts(reason=reason)
    with store.write():
        _trip, step = _step_of_live_trip(store, trip_id, key)
        named = step_named(step.no, step.title)
        if step.done_on is not None:
            message = _("trip {id} step {step} was done on {day}; ppo undo first to skip it")
            raise BadInput(message.format(id=trip_id, step=named, day=step.done_on.strftime(date_format)))
        if step.skipped_on is not None:
            message = _("trip {id} step {step} was already skipped on {day}; nothing changed")
            return message.format(id=trip_id, step=named, day=step.skipped_on.strftime(date_format))
        store.skip(trip_id, step.no, day, reason)
    message = _("trip {id} step {step} skipped; ppo will not send it")
    return message.format(id=trip_id, step=named)


def undo(store: Store, trip_id: int, key: str) -> str:
    """A done mark or a skip taken back: the step is open again."""
    with store.write():
        trip = store.trip(trip_id)
        step = find_step(trip, key)
        named = step_named(step.no, step.title)
        if step.skipped_on is not None:
            store.unskip(trip_id, step.no)
            return _("trip {id} step {step} is no longer skipped").format(id=trip_id, step=named)
        if step.done_on is None:
            return _("trip {id} step {step} is not done; nothing changed").format(id=trip_id, step=named)
        store.unmark_done(trip_id, step.no)
    return _("trip {id} step {step} is no longer done").format(id=trip_id, step=named)


def edit(
    store: Store,
    playbooks: dict[str, Playbook],
    trip_id: int,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    manager: str | None = None,
    dates: dict[str, dt.date] | None = None,
    calendar: WorkCalendar | None = None,
    birthday: dt.date | None = None,
    passport_expires: dt.date | None = None,
    passport_margin: Offset | None = None,
    today: dt.date | None = None,
) -> Trip:
    """Correct the client or the trip; new dates move the steps not yet done (calls and visits
    off the days off of `calendar`). A passport date that is now too soon for one of the
    client's trips adds the passport check to it, due `today`."""
    if name is not None:
        name = check_name(name)
    check_texts(manager=manager)
    if phone is not None:  # "" takes the phone away
        phone = checked(normal_phone(phone)) or ""
    if email is not None:
        email = checked(normal_email(email)) or ""
    with store.write():
        trip = store.trip(trip_id)
        if dates:
            playbook = get(playbooks, trip.playbook)
            unknown = set(dates) - set(playbook.dates) - set(playbook.optional_dates)
            if unknown:
                raise DateError(_("the {pb} playbook has no {a} date").format(pb=playbook.id, a=sorted(unknown)[0]))
            merged: dict[str, dt.date | None] = {**trip.dates, **dates}
            steps = {step.no: (step.due, step.lapses_on) for step in new_steps(playbook, merged, calendar)}
            store.set_trip(trip_id, dates=dict(dates))
            store.move_pending(trip_id, steps)
        if manager is not None:
            store.set_trip(trip_id, manager=stored_manager(store, manager))
        if name is not None or phone is not None or email is not None:
            store.update_client(trip.client.id, name=name, phone=phone, email=email)
        if birthday is not None or passport_expires is not None:
            store.update_client(trip.client.id, birthday=birthday, passport_expires=passport_expires)
        if passport_expires is not None or dates:
            changed = store.client_trip_ids(trip.client.id) if passport_expires is not None else [trip_id]
            within = passport_margin or passport.margin()
            add_passport_checks(store, changed, within, today or dt.date.today(), calendar)
        return store.trip(trip_id)


def add_passport_checks(
    store: Store, trip_ids: list[int], within: Offset, today: dt.date, calendar: WorkCalendar | None
) -> list[int]:
    """The passport check added, due `today`, to each open trip that needs one and has none;
    returns the trips it was added to."""
    added = []
    for trip_id in trip_ids:
        trip = store.trip(trip_id)
        expires = trip.client.passport_expires
        if not trip.is_open or any(s.id == passport.PASSPORT_STEP for s in trip.steps):
            continue
        if expires is not None and passport.too_soon(expires, trip.dates, within):
            store.add_steps(trip_id, [passport.check_step(trip.dates, today, calendar, expires)])
            added.append(trip_id)
    return added


def step_moves(trip: Trip, playbooks: dict[str, Playbook], calendar: WorkCalendar | None) -> dict[int, schedule.Move]:
    """The trip's steps that sit on a working day instead of their playbook day, and why."""
    playbook = playbooks.get(trip.playbook)
    if playbook is None or calendar is None:
        return {}
    return schedule.moves(playbook, trip.dates, {s.no: s.due for s in trip.steps}, calendar)


def cancel(store: Store, trip_id: int, day: dt.date, reason: str | None, date_format: str = DAY_FORMAT) -> str:
    check_texts(reason=reason)
    with store.write():
        trip = store.trip(trip_id)
        if trip.cancelled_on is not None:
            message = _("trip {id} was already cancelled on {day}; nothing changed")
            return message.format(id=trip_id, day=trip.cancelled_on.strftime(date_format))
        store.cancel(trip_id, day, reason)
    return _("trip {id} cancelled; no further steps").format(id=trip_id)
