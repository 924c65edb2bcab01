"""What the client said, as commands do it: consent given or withdrawn (`ppo consent`, `optout`,
`optin`, `add --consent`), the verdict after a trip (`ppo feedback`) and the complaint a
dissatisfied one opens, and the tasks these give people in `today` (a complaint for the service
director, an address to check for the manager).

No terminal here: plain values in, records out; `cli` parses and prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from ppo_checklist.config import Config
from ppo_checklist.core import consent, verdict
from ppo_checklist.core.consent import ConsentEntry
from ppo_checklist.core.model import Action, AgendaRow, Client, check_texts, email_key, phone_key, utc_stamp
from ppo_checklist.errors import BadInput, NotFound
from ppo_checklist.i18n import N_, _
from ppo_checklist.store import Store
from ppo_checklist.store.word import PersonTask

# The step ids of the tasks a contact problem or a complaint puts in `today` (never a playbook's:
# a playbook step id is a word without these prefixes' meaning, and `ppo done` knows them).
CHECK_EMAIL, CHECK_PHONE = "check-email", "check-phone"
COMPLAINT = verdict.COMPLAINT_STEP
COMPLAINT_STAGES = {f"{COMPLAINT}-{name}": n for n, name in enumerate(verdict.STAGES)} | {COMPLAINT: 2}
STAGE_TITLES = (N_("take the complaint"), N_("answer the complaint"), N_("resolve the complaint"))


def clients_with(store: Store, contact: str) -> list[Client]:
    """The clients with this phone or e-mail (any spelling); NotFound (exit 2) when none."""
    check_texts(contact=contact)
    text = contact.strip()
    phone, email = (None, text) if "@" in text else (text, None)
    if not (email_key(email) if email else phone_key(phone)):
        raise BadInput(_("give a phone or an e-mail, not '{c}'").format(c=text))
    clients = store.clients_by_contact(phone, email)
    if not clients:
        raise NotFound(_("no client with the phone or e-mail {c}").format(c=text))
    return clients


def check_via(via: str, known: Sequence[str]) -> str:
    value = via.strip().lower()
    if value not in known:
        raise BadInput(_("--via must be one of: {k}").format(k=", ".join(known)))
    return value


def record_consent(
    store: Store,
    contact: str,
    given: bool,
    on: dt.date,
    channels: Sequence[str] = consent.CONSENT_CHANNELS,
    via: str = "office",
    text_version: str | None = None,
) -> list[Client]:
    """`ppo consent CONTACT --ads yes|no`: a line in the ledger per client and channel."""
    via = check_via(via, consent.VIA)
    check_texts(note=text_version)
    with store.write():
        clients = clients_with(store, contact)
        store.add_consents(
            [
                ConsentEntry(c.id, channel, consent.ADS, given, on, via, text_version)
                for c in clients
                for channel in channels
            ]
        )
    return clients


def opt(store: Store, contact: str, wants: bool, on: dt.date, via: str = "office") -> list[Client]:
    """`ppo optout` (everything withdrawn: every channel and purpose, with its day and way) and
    `ppo optin` (service messages again; advertising needs its own consent, `ppo consent`)."""
    via = check_via(via, consent.VIA)
    with store.write():
        clients = clients_with(store, contact)
        store.set_opted_out([c.id for c in clients], None if wants else utc_stamp())
        entries = []
        for client in clients:
            if wants:
                entries += [
                    ConsentEntry(client.id, ch, consent.SERVICE, True, on, via) for ch in consent.CONSENT_CHANNELS
                ]
            else:
                entries += consent.everything(client.id, False, on, via)
        store.add_consents(entries)
    return clients


def ads_consent_given(store: Store, client_id: int, on: dt.date, via: str = "office") -> None:
    """`ppo add … --consent ads`: the client signed consent to advertising on both channels
    (inside the command's `write()`)."""
    store.add_consents(consent.everything(client_id, True, on, via)[1::2])  # the ads lines


class FeedbackOutcome(NamedTuple):
    feedback: verdict.Feedback
    correction: bool  # the trip had an answer before: this one stands, the history stays
    complaint_id: int | None  # the complaint this answer opened


def give_feedback(
    store: Store,
    config: Config,
    trip_id: int,
    tour: str,
    service: str,
    via: str,
    note: str | None,
    on: dt.date,
    now: dt.datetime,
) -> FeedbackOutcome:
    """`ppo feedback TRIP --tour L --service L`: the answer recorded; a dissatisfied one opens a
    complaint for the service director unless the trip has one open already."""
    tour_level, service_level = verdict.parse_level(tour, "tour"), verdict.parse_level(service, "service")
    via = check_via(via, verdict.VIA)
    check_texts(note=note)
    with store.write():
        store.trip(trip_id)  # NotFound for an unknown trip
        before = store.feedback([trip_id])
        feedback_id = store.add_feedback(trip_id, tour_level, service_level, via, note, on)
        answer = verdict.Feedback(feedback_id, trip_id, tour_level, service_level, via, note, on, utc_stamp())
        complaint_id = None
        if answer.dissatisfied and not any(not c.closed for c in store.complaints([trip_id])):
            opened = now.astimezone(dt.timezone.utc).replace(microsecond=0)
            deadlines = verdict.deadlines(opened, config.complaint_deadlines)
            complaint_id = store.add_complaint(trip_id, feedback_id, opened.isoformat(), deadlines)
    return FeedbackOutcome(answer, bool(before), complaint_id)


def is_task(key: str) -> bool:
    """`ppo done TRIP KEY` names a complaint's stage or a contact check, not a playbook step."""
    return key.strip().lower() in COMPLAINT_STAGES or key.strip().lower() in (CHECK_EMAIL, CHECK_PHONE)


def task_done(store: Store, trip_id: int, key: str, now: dt.datetime, on: dt.date) -> str:
    """`ppo done TRIP complaint[-taken|-answered|-resolved]` or `check-email` / `check-phone`:
    the message to print; NotFound when the trip has no such open task."""
    key = key.strip().lower()
    with store.write():
        trip = store.trip(trip_id)
        if key in COMPLAINT_STAGES:
            open_ones = [c for c in store.complaints([trip_id]) if not c.closed]
            if not open_ones:
                raise NotFound(_("trip {id} has no open complaint").format(id=trip_id))
            stage = COMPLAINT_STAGES[key]
            stamp = now.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()
            for complaint in open_ones:
                store.set_complaint_stage(complaint.id, stage, stamp)
            if stage == 2:
                return _("Trip {id}: the complaint is resolved.").format(id=trip_id)
            return _("Trip {id}: the complaint is {stage}.").format(id=trip_id, stage=_(STAGE_WORDS[stage]))
        channel = "email" if key == CHECK_EMAIL else "sms"
        if not store.clear_contact_problems(trip.client.id, channel, on):
            raise NotFound(_("trip {id}: nothing to check in the client's contacts").format(id=trip_id))
    what = _("e-mail") if channel == "email" else _("phone")
    return _("Trip {id}: the client's {what} is checked; ppo writes to it again.").format(id=trip_id, what=what)


STAGE_WORDS = (N_("taken"), N_("answered"), N_("resolved"))


def person_actions(store: Store, config: Config, managers: Sequence[str] | None, now: dt.datetime) -> list[Action]:
    """The tasks the client's word gives people, as rows of `today`: each open complaint for the
    service director (its next deadline as the due day, hours late in the title), and each
    address found not to work for the trip's manager."""
    today = now.date()
    actions: list[Action] = []
    director = config.service_director_name
    wanted = {m.casefold() for m in managers} if managers else None
    if wanted is None or (director and director.casefold() in wanted):
        for task in store.complaint_tasks():
            actions.append(_complaint_action(task, director, now))
    for task in store.problem_tasks(list(managers) if managers else None):
        actions.append(_problem_action(task, today))
    return actions


def _row(task: PersonTask, manager: str, step_id: str, title: str, channel: str, due: dt.date) -> AgendaRow:
    return AgendaRow(
        task.trip_id,
        task.client,
        task.phone,
        task.email,
        manager,
        task.playbook,
        -1,
        step_id,
        title,
        channel,
        due,
        task.dates,
    )


def _complaint_action(task: PersonTask, director: str, now: dt.datetime) -> Action:
    complaint = task.complaint
    assert complaint is not None
    stage = complaint.next_stage() or 0
    deadline = dt.datetime.fromisoformat(complaint.deadlines[stage]).astimezone()
    title = _("Complaint: {what} by {at}").format(what=_(STAGE_TITLES[stage]), at=deadline.strftime("%d.%m %H:%M"))
    late = complaint.hours_late(now.astimezone(dt.timezone.utc))
    if complaint.overdue(now.astimezone(dt.timezone.utc)):
        title += " — " + _("{h} h late").format(h=late)
    step_id = f"{COMPLAINT}-{verdict.STAGES[stage]}"
    row = _row(task, director or task.manager, step_id, title, "call", deadline.date())
    status = "overdue" if complaint.overdue(now.astimezone(dt.timezone.utc)) else "due"
    return Action(row, status, max((now.date() - deadline.date()).days, 0))


def _problem_action(task: PersonTask, today: dt.date) -> Action:
    problem = task.problem
    assert problem is not None
    if problem.channel == "email":
        title = _("Check the client's e-mail: letters to it bounce ({why})").format(why=problem.detail or "—")
        step_id = CHECK_EMAIL
    else:
        title = _("Check the client's phone: SMS to it are not delivered ({why})").format(why=problem.detail or "—")
        step_id = CHECK_PHONE
    row = _row(task, task.manager, step_id, title, "call", problem.found_on)
    return Action(row, "overdue" if problem.found_on < today else "due", max((today - problem.found_on).days, 0))


def word_record(store: Store, trip_id: int, client_id: int) -> dict:
    """What `ppo show` adds about the client's word: the ledger, the addresses that do not
    deliver, the trip's verdicts (history kept) and complaints; json keys never translated."""
    ledger = store.consents([client_id]).get(client_id, [])
    problems = store.contact_problems([client_id]).get(client_id, [])
    return {
        "consent": [
            {
                "channel": e.channel,
                "purpose": e.purpose,
                "given": e.given,
                "on": e.on.isoformat(),
                "via": e.via,
                "text_version": e.text_version,
            }
            for e in ledger
        ],
        "contact_problems": [
            {
                "channel": p.channel,
                "address": p.address,
                "kind": p.kind,
                "found_on": p.found_on.isoformat(),
                "detail": p.detail,
            }
            for p in problems
        ],
        "feedback": [
            {"tour": f.tour, "service": f.service, "via": f.via, "note": f.note, "on": f.on.isoformat()}
            for f in store.feedback([trip_id])
        ],
        "complaints": [
            {
                "opened_at": c.opened_at,
                "deadlines": dict(zip(verdict.STAGES, c.deadlines)),
                "taken_at": c.done[0],
                "answered_at": c.done[1],
                "resolved_at": c.done[2],
            }
            for c in store.complaints([trip_id])
        ],
    }
