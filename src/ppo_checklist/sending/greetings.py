"""The yearly birthday greeting `ppo send` sends: a letter, or an SMS to a client with no e-mail.

A greeting belongs to the client, not to a step: it is filed in the outbox under the client's
newest trip with the step number BIRTHDAY_STEP (no step has it, so a sent greeting marks no
step done) and the letter id "birthday-YEAR", looked for across all the client's trips: once a
year, whatever trips come and go. It goes on the birthday or, after an outage, up to LATE_DAYS
later; a client born on 29 February is greeted on 28 February in other years.

Its purpose is advertising in the sense of the consent rules (it is not about a trip the client
bought): `PURPOSE` is what a consent check asks for.
"""

from __future__ import annotations

import calendar as gregorian
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from ppo_checklist.config import Config
from ppo_checklist.core import texts
from ppo_checklist.core.model import PENDING_MSG, Client, Message
from ppo_checklist.i18n import N_, _
from ppo_checklist.store import Store

BIRTHDAY_STEP = -2  # no trip has a step numbered so (the passport check is -1, the playbook's from 0)
LETTER = "birthday-{year}"
PURPOSE = "ads"
LATE_DAYS = 2
TITLE = N_("Birthday greeting")

# The texts, Russian as the agencies' clients read them (the playbooks' letters are too).
SUBJECT = "{client}, с днём рождения!"
BODY = (
    "Здравствуйте, {client}!\n\n"
    "Поздравляем вас с днём рождения! Пусть этот год будет щедрым на открытия, тёплые встречи "
    "и путешествия, о которых давно мечталось.\n\n"
    "Ваш менеджер {manager} и вся команда «{agency}»\n"
    "{director}, директор"
)
SMS = "{client}, с днём рождения! Счастливых путешествий в новом году жизни. {agency}"


def on_year(birthday: dt.date, year: int) -> dt.date:
    """The birthday in `year` (29 February on 28 February in a year without it)."""
    if birthday.month == 2 and birthday.day == 29 and not gregorian.isleap(year):
        return dt.date(year, 2, 28)
    return birthday.replace(year=year)


def recent_days(today: dt.date) -> list[dt.date]:
    """The days whose birthdays may still be greeted today, today first."""
    return [today - dt.timedelta(days=n) for n in range(LATE_DAYS + 1)]


def month_days(days: Sequence[dt.date]) -> list[int]:
    """The stored birthdays (month * 100 + day) that fall on these days, 29 February included
    on 28 February of a common year."""
    found = {day.month * 100 + day.day for day in days}
    found.update(229 for day in days if day.month == 2 and day.day == 28 and not gregorian.isleap(day.year))
    return sorted(found)


def occasion(birthday: dt.date, today: dt.date) -> dt.date | None:
    """This year's birthday if it is today or at most LATE_DAYS ago (and after the birth)."""
    for day in recent_days(today):
        if day > birthday and on_year(birthday, day.year) == day:
            return day
    return None


@dataclass
class Greetings:
    """What this run may send, and the pending greetings now past their window."""

    outgoing: list[tuple[Message, Client, str]] = field(default_factory=list)  # with the manager
    expired: list[Message] = field(default_factory=list)


def plan(
    store: Store,
    config: Config,
    today: dt.date,
    channel: str | None = None,
    managers: Sequence[str] | None = None,
    quiet: bool = False,
) -> Greetings:
    """The greetings due today (or late within LATE_DAYS) not sent yet this year. One that cannot
    go (no address ppo can use, a setting not given) is nobody's task: the client's trip steps
    show the same problem to the manager."""
    result = Greetings()
    window = dt.timedelta(days=LATE_DAYS)
    result.expired = [
        m for m in store.messages_in((PENDING_MSG,)) if m.step_no == BIRTHDAY_STEP and m.due + window < today
    ]
    born = store.birthdays(month_days(recent_days(today)))
    by_letter: dict[str, list[tuple[Client, int, str, dt.date]]] = {}
    for client, trip_id, manager in born:
        assert client.birthday is not None
        day = occasion(client.birthday, today)
        if day is None or (managers is not None and manager not in managers):
            continue
        by_letter.setdefault(LETTER.format(year=day.year), []).append((client, trip_id, manager, day))
    for letter, clients in by_letter.items():
        sent_before = store.client_messages([c.id for c, *_rest in clients], letter)
        for client, trip_id, manager, day in clients:
            known = sent_before.get(client.id, [])
            pending = [m for m in known if m.state == PENDING_MSG]
            if pending:  # the server was down last time: tried again while it may still go
                result.outgoing.append((pending[0], client, manager))
                continue
            if known:
                continue  # greeted this year (or a person decides about a failed one)
            message = _greeting(client, trip_id, manager, day, letter, config, channel, quiet)
            if message is not None:
                result.outgoing.append((message, client, manager))
    return result


def _greeting(
    client: Client,
    trip_id: int,
    manager: str,
    day: dt.date,
    letter: str,
    config: Config,
    channel: str | None,
    quiet: bool,
) -> Message | None:
    """The greeting as a new outbox message: a letter, else an SMS; None when it cannot or may
    not go (the client opted out)."""
    # The channels' rules load when a greeting is made (`ppo send`), not with the outbox.
    from ppo_checklist.sending.mail import valid_address
    from ppo_checklist.sending.sms import e164

    if client.opted_out:
        return None
    use_email = client.email and config.sends("email") and channel in (None, "email")
    use_sms = not client.email and client.phone and config.sends("sms") and channel in (None, "sms")
    if use_email:
        subject = texts.fill_text(SUBJECT, config, client.name, manager, {}, day)
        body = texts.fill_text(BODY, config, client.name, manager, {}, day)
        if not valid_address(client.email or "") or subject.missing or body.missing:
            return None
        address = (client.email or "").strip()
        return Message(None, trip_id, BIRTHDAY_STEP, letter, "email", address, subject.text, body.text, day)
    if use_sms and not quiet:
        number = e164(client.phone or "")
        text = texts.fill_text(SMS, config, client.name, manager, {}, day)
        if number is None or text.missing:
            return None
        return Message(None, trip_id, BIRTHDAY_STEP, letter, "sms", number, None, text.text, day)
    return None


def title() -> str:
    return _(TITLE)
