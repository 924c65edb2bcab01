"""What `ppo send` sends, and the outbox that makes it go once: never twice, never lost.

A message is recorded in the store (its own committed transaction) before it is handed to a
server, as "sending"; the server's answer then makes it sent (the step done that day, with
a note), failed (refused for good: a person decides), or pending again (the server was down
or refusing: the next run tries). A run that dies between handing over and writing the
answer leaves "sending", which the next run turns into "unknown": the letter may have gone,
so it is never sent again by itself; `ppo send --retry ID` resends it on a person's word.

Which messages are due is a pure function of the steps, the playbooks and the day (`plan`);
the rule `today` uses to leave out what ppo will send is here too (`will_send`).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ppo_checklist.config import Config
from ppo_checklist.core import texts
from ppo_checklist.core.model import (
    FAILED,
    NO_CONSENT,
    PENDING_MSG,
    SENDING,
    SENT,
    UNKNOWN,
    AgendaRow,
    Message,
    SendStep,
)
from ppo_checklist.core.playbooks import SMS_LETTER, Playbook, Step, letter_due, message_purposes, stored_step
from ppo_checklist.core.words import sent_note
from ppo_checklist.errors import BadInput, PpoError
from ppo_checklist.i18n import _
from ppo_checklist.sending import greetings
from ppo_checklist.sending.consent import Gate
from ppo_checklist.store import Store

# The line under every letter telling how to stop them (the List-Unsubscribe header says the
# same to mail programs). Russian, as the letters are: it is part of the letter, not of ppo.
UNSUBSCRIBE_LINE = (
    "\n\n—\nНе хотите больше получать от нас письма? Ответьте на это письмо словом «Отписаться» — "
    "и мы больше не будем писать."
)


@dataclass(frozen=True)
class Outgoing:
    """A message due now: new (id None) or pending from an earlier run."""

    message: Message
    client: str
    manager: str
    title: str  # the step's title, for people reading the report
    first: bool  # the step's first message: once sent, the step is done


@dataclass
class Plan:
    outgoing: list[Outgoing] = field(default_factory=list)
    refused: list[Outgoing] = field(default_factory=list)  # cannot go (not a mobile number): recorded failed
    expired: list[Message] = field(default_factory=list)  # pending, now past its window
    held: list[tuple[SendStep, str]] = field(default_factory=list)  # for a person: why ppo does not send
    quiet: int = 0  # SMS waiting for the quiet hours to end
    no_consent: list[tuple[SendStep, str]] = field(default_factory=list)  # ads without consent: never sent


def sendable_letters(step: Step) -> list[tuple[str, str | None, str]]:
    """(letter id, subject, body) of a step ppo sends: its letters, or an SMS step's text."""
    if step.channel == "sms":
        return [(SMS_LETTER, None, step.text)]
    return [(letter.id, letter.subject, letter.body) for letter in step.letters]


def window_days(playbooks: dict[str, Playbook]) -> int:
    """The most days late any message may still go."""
    return max((s.late_days for pb in playbooks.values() for s in pb.steps if s.sendable), default=0)


def will_send(row: AgendaRow, step: Step | None, config: Config, today: dt.date) -> bool:
    """ppo sends this open step by itself today: its channel is configured, the client has the
    address and consents, ppo has not tried it yet, and today is within the step's window."""
    if step is None or not step.sendable or step.channel != row.channel or not config.sends(row.channel):
        return False
    if row.opted_out or row.outbox is not None:
        return False
    if not (row.email if row.channel == "email" else row.phone):
        return False
    if not row.due <= today <= row.due + dt.timedelta(days=step.late_days):
        return False
    return not _needs_setup(sendable_letters(step)[0], row, config)


def _needs_setup(letter: tuple[str, str | None, str], row: AgendaRow, config: Config) -> bool:
    """The message names a setting not given yet (⟨директор⟩): ppo holds it for a person."""

    _id, subject, body = letter
    return any(
        texts.fill_text(text, config, row.client, row.manager, row.dates, row.due).missing
        for text in (subject, body)
        if text
    )


def plan(
    store: Store,
    playbooks: dict[str, Playbook],
    config: Config,
    today: dt.date,
    channel: str | None = None,
    manager: str | None = None,
    quiet: bool = False,
    render: Callable[[str, SendStep, dt.date], str] | None = None,
) -> Plan:
    """Every message due on `today` (or late within its step's window) that is not in the
    outbox yet, and the pending ones to try again."""
    from ppo_checklist.sending.sms import e164

    def fill(text: str, s: SendStep, due: dt.date) -> texts.Filled:
        if render is not None:
            return texts.Filled(render(text, s, due), frozenset())
        return texts.fill_text(text, config, s.client.name, s.manager, s.dates, due)

    late = window_days(playbooks)
    since = today - dt.timedelta(days=late)
    steps = store.send_steps(since, since, today, manager)
    outbox = store.messages({s.trip_id for s in steps}) if steps else {}
    gate = Gate.load(store, {s.client.id for s in steps})
    result = Plan()
    for s in steps:
        if channel and s.channel != channel or not config.sends(s.channel):
            continue
        step = stored_step(playbooks, s.playbook, s.step_id)
        if step is None or not step.sendable or step.channel != s.channel:
            continue
        letters = sendable_letters(step)
        purposes = message_purposes(step)
        existing = {m.letter: m for m in outbox.get(s.trip_id, ()) if m.step_no == s.step_no}
        first_id = letters[0][0]
        dues = [s.due if n == 0 else _later_due(step, n, s) for n in range(len(letters))]
        window = dt.timedelta(days=step.late_days)
        first = existing.get(first_id)
        if first is None and s.done_on is not None:
            continue  # done by hand: the series is the manager's
        if first is not None and first.state not in (SENT, PENDING_MSG):
            continue  # failed or unknown: a person decides
        series_on = first is not None and first.state == SENT  # later letters follow a first that went
        for n, (letter_id, subject, body) in enumerate(letters):
            due = dues[n]
            known = existing.get(letter_id)
            if known is not None and known.state != PENDING_MSG:
                continue
            if due > today:
                continue
            if today > due + window:
                if known is not None:
                    result.expired.append(known)
                continue
            if n > 0 and not series_on:
                continue
            if s.client.opted_out:
                if n == 0:
                    result.held.append((s, _("the client opted out of letters and SMS")))
                break
            refusal = gate.refusal(s.client, s.channel, purposes[n])
            if refusal == NO_CONSENT:  # advertising the client has not agreed to: never sent
                if n == 0:
                    result.no_consent.append((s, letter_id))
                    break
                continue
            if refusal is not None:  # the address bounced: a person checks it first
                if n == 0:
                    result.held.append((s, refusal))
                break
            if s.channel == "sms" and quiet:
                result.quiet += 1
                continue
            if known is not None:
                result.outgoing.append(Outgoing(known, s.client.name, s.manager, step.title, n == 0))
                series_on = series_on or n == 0
                continue
            address, problem = _address(s, e164)
            if address is None and problem is None:
                if n == 0:
                    result.held.append((s, _("no e-mail address") if s.channel == "email" else _("no phone")))
                break
            subject_text = fill(subject, s, due) if subject is not None else None
            body_text = fill(body, s, due)
            missing = body_text.missing | (subject_text.missing if subject_text else frozenset())
            if missing:  # a letter signed "⟨директор⟩" must not go: a person sets ppo up first
                if n == 0:
                    reason = _("the text needs settings not given yet ({k}): run ppo init")
                    result.held.append((s, reason.format(k=texts.setting_names(missing))))
                break
            message = Message(
                None,
                s.trip_id,
                s.step_no,
                letter_id,
                s.channel,
                address or (s.client.phone or ""),
                subject_text.text if subject_text is not None else None,
                body_text.text + (UNSUBSCRIBE_LINE if s.channel == "email" else ""),
                due,
                series_end=max(dues) if n == 0 else None,
            )
            if problem:
                result.refused.append(
                    Outgoing(
                        replace(message, state=FAILED, error=problem), s.client.name, s.manager, step.title, n == 0
                    )
                )
                break
            result.outgoing.append(Outgoing(message, s.client.name, s.manager, step.title, n == 0))
            series_on = series_on or n == 0  # a later letter due the same day follows the first
    return result


def _later_due(step: Step, n: int, s: SendStep) -> dt.date:
    return letter_due(step.letters[n], s.due, s.dates)


def _address(s: SendStep, e164) -> tuple[str | None, str | None]:
    """(address, problem): the e-mail or E.164 phone; a phone that is no mobile number is a problem."""
    from ppo_checklist.sending.mail import valid_address

    if s.channel == "email":
        if not s.client.email:
            return None, None
        if not valid_address(s.client.email):
            return None, _("not a valid e-mail address: {a}").format(a=s.client.email)
        return s.client.email.strip(), None
    if not s.client.phone:
        return None, None
    number = e164(s.client.phone)
    if number is None:
        return None, _("not a valid mobile number: {p}").format(p=s.client.phone)
    return number, None


# --- handing over ---------------------------------------------------------------------------


@dataclass
class SendReport:
    """What a run did: each message with its fate, and what a person should look at."""

    day: dt.date
    dry_run: bool
    done: list[Outgoing] = field(default_factory=list)  # with the message's final state this run
    held: list[tuple[SendStep, str]] = field(default_factory=list)
    unknown: list[Message] = field(default_factory=list)  # in the store, fate unknown (a person decides)
    interrupted: int = 0  # found "sending" from a run that stopped: now unknown
    quiet: int = 0
    no_consent: list[tuple[SendStep, str]] = field(default_factory=list)  # ads not sent: no consent

    @property
    def sent(self) -> int:
        return sum(1 for o in self.done if o.message.state == SENT)

    @property
    def not_sent(self) -> int:
        return sum(1 for o in self.done if o.message.state != SENT) if not self.dry_run else 0


class Channels:
    """The run's mail connection and SMS gateway, each opened when first needed."""

    def __init__(self, config: Config, environ: dict[str, str] | None = None):
        self.config = config
        self.environ = environ
        self._mailer: Any = None  # mail.Mailer, opened on the first letter
        self._mail_error: str | None = None
        self._gateway: Any = None  # sms.Gateway, made on the first SMS

    def mailer(self):
        from ppo_checklist.sending.mail import Mailer, MailServerError

        if self._mailer is None and self._mail_error is None:
            mailer = Mailer(self.config.email, self.environ)
            try:
                mailer.open()
            except MailServerError as exc:
                self._mail_error = str(exc)
                return None
            self._mailer = mailer
        return self._mailer

    def gateway(self):
        if self._gateway is None:
            from ppo_checklist.sending.sms import Gateway

            self._gateway = Gateway(self.config.sms, self.environ)
        return self._gateway

    def check(self, channel: str) -> None:
        """Secrets and addresses are checked before anything is recorded (a config error)."""
        if channel == "sms":
            self.gateway()
        else:
            from ppo_checklist.sending.mail import Mailer

            Mailer(self.config.email, self.environ)  # type: ignore[arg-type]

    def unavailable(self, channel: str) -> str | None:
        """Why this channel cannot take messages now (its server is down), or None."""
        if channel == "email" and self.mailer() is None:
            return self._mail_error
        return None

    def hand_over(self, outgoing: Outgoing):
        message = outgoing.message
        if message.channel == "sms":
            return self.gateway().send(message.address, message.body)
        from ppo_checklist.sending.mail import build

        reply_to = self.config.email.reply_to.get(outgoing.manager) if self.config.email else None
        letter = build(message, self.config.email, outgoing.client, reply_to)  # type: ignore[arg-type]
        return self._mailer.send(letter, message.address)

    def close(self) -> None:
        if self._mailer is not None:
            self._mailer.close()


def run(
    store: Store,
    playbooks: dict[str, Playbook],
    config: Config,
    today: dt.date,
    channel: str | None = None,
    manager: str | None = None,
    dry_run: bool = False,
    quiet: bool = False,
    environ: dict[str, str] | None = None,
) -> SendReport:
    """Send every message due (or, with `dry_run`, say what would go and write nothing)."""
    if not (config.email or config.sms):
        raise BadInput(_("nothing to send with: the config has neither [email] nor [sms]"))
    if channel and not config.sends(channel):
        raise BadInput(_("the config has no [{c}] to send with").format(c=channel))
    report = SendReport(today, dry_run)
    if dry_run:
        planned = plan(store, playbooks, config, today, channel, manager, quiet)
        _add_greetings(planned, store, config, today, channel, manager, quiet)
        report.held, report.quiet, report.no_consent = planned.held, planned.quiet, planned.no_consent
        report.done = planned.outgoing + planned.refused
        report.unknown = store.messages_in((SENDING, UNKNOWN))
        return report
    with store.send_lease(socket.gethostname(), os.getpid()) as report.interrupted:
        planned = plan(store, playbooks, config, today, channel, manager, quiet)
        _add_greetings(planned, store, config, today, channel, manager, quiet)
        report.held, report.quiet, report.no_consent = planned.held, planned.quiet, planned.no_consent
        _hand_over_all(store, planned, config, today, environ, report)
        report.unknown = store.messages_in((SENDING, UNKNOWN))
    return report


def _hand_over_all(
    store: Store, planned: Plan, config: Config, today: dt.date, environ: dict[str, str] | None, report: SendReport
) -> None:
    channels = Channels(config, environ)
    for used in {o.message.channel for o in planned.outgoing}:
        channels.check(used)
    too_late = _("not sent within its window: a person decides")
    if planned.expired:
        with store.write():
            for message in planned.expired:
                store.set_message(message.id, PENDING_MSG, FAILED, error=too_late)  # type: ignore[arg-type]
    try:
        for outgoing in planned.refused:
            with store.write():
                new_id = store.record_message(outgoing.message)
            if new_id is not None:
                report.done.append(replace(outgoing, message=replace(outgoing.message, id=new_id)))
        for outgoing in planned.outgoing:
            done = _send_one(store, channels, outgoing, today)
            if done is not None:
                report.done.append(done)
    finally:
        channels.close()


def _add_greetings(planned: Plan, store: Store, config: Config, today: dt.date, channel, manager, quiet: bool) -> None:
    """The yearly birthday greetings (greetings.py) join the run's messages."""
    managers = [manager] if isinstance(manager, str) else manager
    found = greetings.plan(store, config, today, channel, managers, quiet)
    gate = Gate.load(store, {client.id for _m, client, _n in found.outgoing})
    for message, client, manager_name in found.outgoing:
        if message.id is None and gate.refusal(client, message.channel, greetings.PURPOSE) is not None:
            continue  # advertising without consent on record (or an address that bounced): never sent
        if message.id is None and message.channel == "email":
            message = replace(message, body=message.body + UNSUBSCRIBE_LINE)
        planned.outgoing.append(Outgoing(message, client.name, manager_name, greetings.title(), True))
    planned.expired.extend(found.expired)


def _send_one(store: Store, channels: Channels, outgoing: Outgoing, today: dt.date) -> Outgoing | None:
    """Record, hand over, write the answer: three steps, each committed before the next; each
    change of state a compare-and-set, so a message is claimed by one run only."""
    message = outgoing.message
    down = channels.unavailable(message.channel)
    with store.write():
        if message.id is None:
            new_id = store.record_message(replace(message, error=down) if down else message)
            if new_id is None:
                return None  # another run recorded it first
            message = replace(message, id=new_id)
        elif down:
            if not store.set_message(message.id, PENDING_MSG, PENDING_MSG, error=down):
                return None  # another run took it meanwhile
        if down:
            return replace(outgoing, message=replace(message, state=PENDING_MSG, error=down))
        assert message.id is not None
        if not store.set_message(message.id, PENDING_MSG, SENDING, handed=True):
            return None  # another run took it meanwhile
    return _answer(store, channels, replace(outgoing, message=message), today)


def _answer(store: Store, channels: Channels, outgoing: Outgoing, today: dt.date) -> Outgoing:
    message = outgoing.message
    handover = channels.hand_over(outgoing)
    with store.write():
        store.set_message(message.id, SENDING, handover.state, error=handover.error, gateway_id=handover.gateway_id)  # type: ignore[arg-type]
        if handover.state == SENT:
            store.mark_done(message.trip_id, message.step_no, today, sent_note(message.channel, message.id))
    state = replace(message, state=handover.state, error=handover.error, gateway_id=handover.gateway_id)
    return replace(outgoing, message=state)


def retry(
    store: Store, config: Config, message_id: int, today: dt.date, environ: dict[str, str] | None = None
) -> Outgoing:
    """Send again, on a person's word, a message whose fate is unknown: claimed under the
    sender's lease and the write lock (unknown -> sending), so two retries never both send."""
    message = store.message(message_id)
    if not config.sends(message.channel):
        raise BadInput(_("the config has no [{c}] to send with").format(c=message.channel))
    trip = store.trip(message.trip_id)
    step = next((s for s in trip.steps if s.no == message.step_no), None)
    channels = Channels(config, environ)
    channels.check(message.channel)
    with store.send_lease(socket.gethostname(), os.getpid()):
        message = store.message(message_id)
        _retryable(message)
        outgoing = Outgoing(
            message, trip.client.name, trip.manager, step.title if step else "", message.letter == SMS_LETTER
        )
        try:
            down = channels.unavailable(message.channel)
            if down:
                raise ServerDown(down)
            with store.write():
                if not store.set_message(message_id, UNKNOWN, SENDING, handed=True):
                    _retryable(store.message(message_id))
            return _answer(store, channels, outgoing, today)
        finally:
            channels.close()


def _retryable(message: Message) -> None:
    """Only a message whose fate is unknown is resent on a person's word."""
    if message.state == SENT:
        raise BadInput(
            _("message {id} was sent at {at}; nothing resent").format(id=message.id, at=message.sent_at or "?")
        )
    if message.state != UNKNOWN:
        raise BadInput(
            _("message {id} is {state}, not unknown: only a message whose fate is unknown is resent").format(
                id=message.id, state=message.state
            )
        )


class ServerDown(PpoError):
    """The mail server or SMS gateway cannot be reached: nothing was handed over."""


def unknown_lines(messages: Sequence[Message]) -> list[str]:
    line = _(
        "message {id} (trip {trip}, {channel} to {to}, due {due}) may or may not have gone: "
        "ask the client, then `ppo send --retry {id}` to send it again"
    )
    return [
        line.format(id=m.id, trip=m.trip_id, channel=m.channel, to=m.address, due=m.due.isoformat()) for m in messages
    ]
