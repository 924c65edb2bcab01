"""What `ppo send` sends, and the outbox that makes it go exactly once: never twice, never lost.

A message is recorded in the store (its own committed transaction) before it is handed to a
server, as "sending"; the server's answer then makes it sent (the step done that day, with a
note), failed (refused for good: a person decides), pending again (refused before it left: the
next run tries), or unknown (it may have gone: a 5xx, a dropped connection, no answer, garbage).
An unknown message is never sent again by itself: the next run asks the gateway's status API
where it has the message's id, else a person asks the client and says `ppo send --retry ID`.

One run at a time holds the sender's lease (`Store.send_lease`); every change of state is a
compare-and-set, so a message is claimed by one run only. One message's trouble is that
message's: whatever goes wrong building or handing it over makes it failed or unknown with its
reason, and the run goes on. A channel that stops answering (3 timeouts or connection errors
in a row) stops being asked; a run stops handing over when its time budget is spent; an SMS
waits out the quiet hours, checked at each hand-over; a client gets at most one letter and one
SMS a run. What does not go is named in the run's report, never dropped without a line.

Which messages are due is `plan` (the steps, the playbooks and the day); the rule `today` uses
to leave out what ppo will send is `rules.will_send`. Channels are `Sender`s from the registry
(senders.py): the outbox names none.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ppo_checklist.config import Config
from ppo_checklist.core import texts
from ppo_checklist.core.model import (
    FAILED,
    NO_CONSENT,
    PENDING_MSG,
    SENDING,
    SENT,
    UNKNOWN,
    Message,
    SendStep,
    moment_passed,
)
from ppo_checklist.core.playbooks import (
    Playbook,
    Step,
    last_day,
    letter_due,
    message_purposes,
    stored_step,
)
from ppo_checklist.core.words import sent_note
from ppo_checklist.errors import BadInput, ConfigError, PpoError
from ppo_checklist.i18n import _, ngettext
from ppo_checklist.sending import channel as base
from ppo_checklist.sending import greetings
from ppo_checklist.sending.channel import Handover, Sender
from ppo_checklist.sending.consent import Gate
from ppo_checklist.sending.rules import UNSUBSCRIBE_LINE
from ppo_checklist.sending.senders import SENDERS, configured
from ppo_checklist.store import Store

NO_ANSWER_LIMIT = 3  # timeouts or connection errors in a row before a channel is no longer asked
LAPSE_LOOKBACK_DAYS = 14  # how far back a run looks for messages whose moment passed unsent
# Why a message waits for a later run (the report's `held`); the first two are no fault.
QUIET, ONE_PER_RUN, NO_ANSWER, BUDGET = "quiet_hours", "one_per_run", "no_answer", "time_budget"
NO_FAULT = (QUIET, ONE_PER_RUN)


@dataclass(frozen=True)
class Outgoing:
    """A message due now: new (id None) or pending from an earlier run."""

    message: Message
    client: str
    manager: str
    title: str  # the step's title, for people reading the report
    client_id: int = 0


@dataclass
class Plan:
    outgoing: list[Outgoing] = field(default_factory=list)
    refused: list[Outgoing] = field(default_factory=list)  # cannot go (an address that is no address): failed
    lapsed: list[Outgoing] = field(default_factory=list)  # its moment passed before it went: failed
    held: list[tuple[SendStep, str]] = field(default_factory=list)  # for a person: why ppo does not send
    waiting: list[tuple[Outgoing, str, str]] = field(default_factory=list)  # for a later run: (why, kind)
    no_consent: list[tuple[SendStep, str]] = field(default_factory=list)  # ads without consent: never sent


# --- the rule: what ppo sends itself -----------------------------------------------------


def sender_for(channel: str, config: Config) -> type[Sender] | None:
    """The sender of this channel, when the config sends through it."""
    sender = SENDERS.get(channel)
    return sender if sender is not None and sender.configured(config) else None


def sendable_letters(step: Step) -> list[tuple[str, str | None, str]]:
    """(letter id, subject, body) of each message ppo sends of a step; [] when it sends none."""
    sender = SENDERS.get(step.channel)
    return sender.messages(step) if sender is not None else []


def window_days(playbooks: dict[str, Playbook]) -> int:
    """The most days late any message may still go."""
    return max((s.late_days for pb in playbooks.values() for s in pb.steps if sendable_letters(s)), default=0)


# --- the plan: what is due -----------------------------------------------------------------


Render = Callable[[str, SendStep, dt.date], str]


@dataclass
class _Planner:
    """Plans one run: each step's messages in order, then at most one per client and channel."""

    config: Config
    playbooks: dict[str, Playbook]
    today: dt.date
    senders: dict[str, type[Sender]]
    render: Render | None
    gate: Gate
    result: Plan = field(default_factory=Plan)

    def fill(self, text: str | None, s: SendStep, due: dt.date) -> texts.Filled | None:
        if text is None:
            return None
        if self.render is not None:
            return texts.Filled(self.render(text, s, due), frozenset())
        return texts.fill_text(text, self.config, s.client.name, s.manager, s.dates, due)

    def step(self, s: SendStep, existing: dict[str, Message]) -> None:
        """The messages of one stored step: a series of letters goes in order, each on its day,
        the later ones only after the first went."""
        sender = self.senders.get(s.channel)
        step = stored_step(self.playbooks, s.playbook, s.step_id)
        letters = sender.messages(step) if sender is not None and step is not None and step.channel == s.channel else []
        if not letters or step is None or sender is None:
            return
        first = existing.get(letters[0][0])
        if first is None and s.done_on is not None:
            return  # done by hand: the series is the manager's
        if first is not None and first.state not in (SENT, PENDING_MSG):
            return  # failed or unknown: a person decides
        if first is None and (s.skipped or s.client.opted_out):
            return  # a person said no (ppo skip), or the client did (opted_out): never sent
        dues = [s.due if n == 0 else letter_due(step.letters[n], s.due, s.dates) for n in range(len(letters))]
        series_on = first is not None and first.state == SENT  # later letters follow a first that went
        for n, letter in enumerate(letters):
            if n > 0 and not series_on:
                return
            went_on = self.letter(s, step, sender, letter, n, dues, existing.get(letter[0]))
            if went_on is None:
                return
            series_on = series_on or (n == 0 and went_on)

    def letter(
        self,
        s: SendStep,
        step: Step,
        sender: type[Sender],
        letter: tuple[str, str | None, str],
        n: int,
        dues: list[dt.date],
        known: Message | None,
    ) -> bool | None:
        """Plan one message: True when it goes (a later letter due the same day may follow),
        False when it is not this run's, None when the step's series stops here."""
        due = dues[n]
        if known is not None and known.state != PENDING_MSG or due > self.today:
            return False
        # too late: past the step's sending window, or its moment has passed (`lapses`)
        late = self.today > due + dt.timedelta(days=step.late_days) or moment_passed(_last_day(step, n, s), self.today)
        if late and known is not None:
            self.result.lapsed.append(self.outgoing(s, step, known))
            return None
        if s.client.opted_out:
            if n == 0 and not late:
                self.result.held.append((s, _("the client opted out of letters and SMS")))
            return None
        purposes = message_purposes(step)
        refusal = self.gate.refusal(s.client, s.channel, purposes[n]) if n < len(purposes) else None
        if refusal == NO_CONSENT:  # advertising the client has not agreed to: never sent
            if n == 0:
                self.result.no_consent.append((s, letter[0]))
                return None
            return False
        if refusal is not None:  # the address bounced: a person checks it first
            if n == 0 and not late:
                self.result.held.append((s, refusal))
            return None
        if known is not None:
            self.result.outgoing.append(self.outgoing(s, step, known))
            return True
        return self.new_message(s, step, sender, letter, n, dues, late)

    def new_message(
        self,
        s: SendStep,
        step: Step,
        sender: type[Sender],
        letter: tuple[str, str | None, str],
        n: int,
        dues: list[dt.date],
        late: bool,
    ) -> bool | None:
        address, problem = sender.address(s.client)
        if address is None:
            if n == 0 and not late:
                self.result.held.append((s, _(sender.missing)))
            return None
        letter_id, subject, body = letter
        subject_text, body_text = self.fill(subject, s, dues[n]), self.fill(body, s, dues[n])
        assert body_text is not None
        missing = body_text.missing | (subject_text.missing if subject_text else frozenset())
        if missing:  # a letter signed "⟨директор⟩" must not go: a person sets ppo up first
            if n == 0 and not late:
                reason = _("the text needs settings not given yet ({k}): run ppo init")
                self.result.held.append((s, reason.format(k=texts.setting_names(missing))))
            return None
        message = Message(
            None,
            s.trip_id,
            s.step_no,
            letter_id,
            s.channel,
            address,
            subject_text.text if subject_text is not None else None,
            body_text.text,
            dues[n],
            series_end=max(dues) if n == 0 else None,
        )
        outgoing = self.outgoing(s, step, message)
        if late:
            self.result.lapsed.append(outgoing)
            return None
        if problem:
            self.result.refused.append(replace(outgoing, message=message._replace(state=FAILED, error=problem)))
            return None
        self.result.outgoing.append(outgoing)
        return True

    @staticmethod
    def outgoing(s: SendStep, step: Step, message: Message) -> Outgoing:
        return Outgoing(message, s.client.name, s.manager, step.title, s.client.id)

    def one_per_client(self) -> None:
        """At most one letter and one SMS per client a run; the others wait, in order."""
        taken: set[tuple[int, str]] = set()
        going = []
        for outgoing in sorted(self.result.outgoing, key=lambda o: o.message.due):
            key = (outgoing.client_id, outgoing.message.channel)
            if key in taken:
                reason = _("one {c} per client a run: it goes at the next run").format(c=outgoing.message.channel)
                self.result.waiting.append((outgoing, reason, ONE_PER_RUN))
                continue
            taken.add(key)
            going.append(outgoing)
        self.result.outgoing = going


def _last_day(step: Step, n: int, s: SendStep) -> dt.date | None:
    """The last day a message of the step may go: a later letter's own moment (`lapses`);
    the first message's is its step's (stored with the step when the trip was scheduled), or
    its own when that comes first."""
    moment = step.letters[n].lapses if step.channel == "email" and step.letters else None
    own = last_day(moment, s.dates) if moment is not None else None
    if n > 0:
        return own
    days = [d for d in (own, s.lapses_on) if d is not None]
    return min(days) if days else None


def plan(
    store: Store,
    playbooks: dict[str, Playbook],
    config: Config,
    today: dt.date,
    channel: str | None = None,
    managers: Sequence[str] | None = None,
    render: Render | None = None,
) -> Plan:
    """Every message due on `today` (or late within its step's window) that is not in the
    outbox yet, the pending ones to try again, and those whose moment passed unsent."""
    senders = configured(config, channel)
    if not senders:
        return Plan()
    late = window_days(playbooks)
    since = today - dt.timedelta(days=late)
    lookback = since - dt.timedelta(days=LAPSE_LOOKBACK_DAYS)
    steps = store.send_steps(lookback, since, today, managers, tuple(senders))
    outbox = store.messages({s.trip_id for s in steps}) if steps else {}
    planner = _Planner(config, playbooks, today, senders, render, Gate.load(store, {s.client.id for s in steps}))
    for s in steps:
        planner.step(s, {m.letter: m for m in outbox.get(s.trip_id, ()) if m.step_no == s.step_no})
    _add_greetings(planner.result, store, config, today, channel, managers)
    planner.one_per_client()
    return planner.result


def _add_greetings(
    planned: Plan,
    store: Store,
    config: Config,
    today: dt.date,
    channel: str | None,
    managers: Sequence[str] | None,
) -> None:
    """The yearly birthday greetings (greetings.py) join the run's messages."""
    found = greetings.plan(store, config, today, channel, managers)
    gate = Gate.load(store, {client.id for _m, client, _n in found.outgoing})
    for message, client, manager_name in found.outgoing:
        if message.id is None and gate.refusal(client, message.channel, greetings.PURPOSE) is not None:
            continue  # advertising without consent on record (or an address that bounced): never sent
        if message.id is None and message.channel == "email":
            message = message._replace(body=message.body + UNSUBSCRIBE_LINE)
        planned.outgoing.append(Outgoing(message, client.name, manager_name, greetings.title(), client.id))
    planned.lapsed.extend(Outgoing(m, "", "", greetings.title()) for m in found.expired)


# --- handing over ----------------------------------------------------------------------------


@dataclass
class SendReport:
    """What a run did: each message with its fate, and what a person should look at."""

    day: dt.date
    dry_run: bool
    done: list[Outgoing] = field(default_factory=list)  # with the message's final state this run
    held: list[tuple[SendStep, str]] = field(default_factory=list)  # for a person
    unknown: list[Message] = field(default_factory=list)  # in the store, fate unknown (a person decides)
    interrupted: int = 0  # found "sending" from a run whose lease died: now unknown
    waiting: list[tuple[Outgoing, str, str]] = field(default_factory=list)  # for a later run: why, kind
    lapsed: list[Outgoing] = field(default_factory=list)  # its moment passed: never sent
    settled: list[Outgoing] = field(default_factory=list)  # unknown, now known from the gateway
    no_consent: list[tuple[SendStep, str]] = field(default_factory=list)  # ads not sent: no consent
    warnings: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(1 for o in self.done if o.message.state == SENT)

    @property
    def not_sent(self) -> int:
        return sum(1 for o in self.done if o.message.state != SENT) if not self.dry_run else 0

    @property
    def quiet(self) -> int:
        return sum(1 for _o, _why, kind in self.waiting if kind == QUIET)

    @property
    def failing(self) -> bool:
        """Something did not go that should have: cron's exit code says so."""
        if self.dry_run:
            return False
        faults = [w for w in self.waiting if w[2] not in NO_FAULT]
        return bool(self.not_sent or self.interrupted or self.lapsed or faults)

    def summary(self, for_cron: bool = False) -> str:
        """One line: how many went, how many did not and why (`for_cron`: as stderr says it)."""
        sent = ngettext("{n} message", "{n} messages", self.sent).format(n=self.sent) if for_cron else self.sent
        line = _("{sent} sent, {not_sent} not sent").format(sent=sent, not_sent=self.not_sent + self.interrupted)
        counts: dict[str, int] = {}
        for outgoing in self.done:
            if outgoing.message.state != SENT:
                counts[outgoing.message.state] = counts.get(outgoing.message.state, 0) + 1
        names = {FAILED: _("{n} failed"), UNKNOWN: _("{n} unknown"), PENDING_MSG: _("{n} to try again")}
        why = [names.get(state, "{n} " + state).format(n=n) for state, n in sorted(counts.items())]
        if self.interrupted:
            why.append(_("{n} of an interrupted run may or may not have gone").format(n=self.interrupted))
        if self.lapsed:
            why.append(_("{n} lapsed (their moment passed)").format(n=len(self.lapsed)))
        if self.waiting:
            why.append(_("{n} wait for a later run").format(n=len(self.waiting)))
        return f"{line} ({', '.join(why)})" if why and not self.dry_run else line


class Senders:
    """The run's open channels: each opened when first needed, each stopped after
    `NO_ANSWER_LIMIT` timeouts or connection errors in a row."""

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None):
        self.config = config
        self.environ = environ
        self.open_senders: dict[str, Sender] = {}
        self.down: dict[str, str | None] = {}
        self.silent: dict[str, int] = {}
        self.warnings: list[str] = []

    def get(self, channel: str) -> Sender:
        sender = self.open_senders.get(channel)
        if sender is None:
            sender = self.open_senders[channel] = SENDERS[channel](self.config, self.environ)
            self.warnings.extend(sender.warnings())
        return sender

    def unavailable(self, channel: str) -> str | None:
        """Why this channel cannot take messages now (its server is down), or None."""
        if channel not in self.down:
            self.down[channel] = self.get(channel).open()
        return self.down[channel]

    def stopped(self, channel: str) -> bool:
        return self.silent.get(channel, 0) >= NO_ANSWER_LIMIT

    def heard(self, channel: str, handover: Handover) -> None:
        self.silent[channel] = self.silent.get(channel, 0) + 1 if handover.no_answer else 0

    def close(self) -> None:
        for sender in self.open_senders.values():
            try:
                sender.close()
            except Exception:  # noqa: BLE001 - closing a broken connection: nothing is lost
                pass


@dataclass
class Clock:
    """The run's time: the wall clock for quiet hours, a monotonic one for the budget."""

    now: Callable[[], dt.datetime] = dt.datetime.now
    monotonic: Callable[[], float] = time.monotonic


def check_channels(config: Config, channel: str | None = None) -> None:
    if not configured(config):
        raise BadInput(_("nothing to send with: the config has neither [email] nor [sms]"))
    if channel and not sender_for(channel, config):
        raise BadInput(_("the config has no [{c}] to send with").format(c=channel))


def refuse_readable_secrets(path: Path, config: Config) -> None:
    """A config holding a password or key that others may read is not used for sending, as
    ssh refuses a private key others may read."""
    secret = (config.email and config.email.password) or (config.sms and (config.sms.password or config.sms.api_id))
    if not secret or not path.exists():
        return
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            _("{path} holds a password and others may read it: run chmod 600 {path}; nothing sent").format(path=path)
        )


def run(
    store: Store,
    playbooks: dict[str, Playbook],
    config: Config,
    today: dt.date,
    channel: str | None = None,
    managers: Sequence[str] | None = None,
    dry_run: bool = False,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> SendReport:
    """Send every message due (or, with `dry_run`, say what would go and write nothing); with
    `managers`, only those of the trips of these managers (the stored spellings)."""
    check_channels(config, channel)
    clock = clock or Clock()
    report = SendReport(today, dry_run)
    if dry_run:
        planned = plan(store, playbooks, config, today, channel, managers)
        report.held, report.waiting, report.lapsed = planned.held, planned.waiting, planned.lapsed
        report.no_consent = planned.no_consent
        report.done = planned.outgoing + planned.refused
        report.unknown = store.messages_in((SENDING, UNKNOWN))
        return report
    deadline = clock.monotonic() + config.send_budget
    with store.send_lease(socket.gethostname(), os.getpid()) as report.interrupted:
        senders = Senders(config, environ)
        try:
            report.settled = _settle_unknown(store, senders, today)
            planned = plan(store, playbooks, config, today, channel, managers)
            report.held, report.waiting, report.no_consent = planned.held, planned.waiting, planned.no_consent
            report.lapsed = _record_lapsed(store, planned.lapsed)
            report.done = _record_refused(store, planned.refused)
            for outgoing in planned.outgoing:
                done = _send_in_turn(store, senders, outgoing, today, clock, deadline, report)
                if done is not None:
                    report.done.append(done)
        finally:
            senders.close()
            report.warnings = senders.warnings
        report.unknown = store.messages_in((SENDING, UNKNOWN))
    return report


def _settle_unknown(store: Store, senders: Senders, today: dt.date) -> list[Outgoing]:
    """Unknown messages the gateway has an id of: its status API says what became of them."""
    settled = []
    unknown = [m for m in store.messages_in((UNKNOWN,)) if m.gateway_id and m.channel in configured(senders.config)]
    for channel in sorted({m.channel for m in unknown}):
        try:
            answers = senders.get(channel).ask([m for m in unknown if m.channel == channel])
        except PpoError:
            raise
        except Exception:  # noqa: BLE001 - a status API in trouble: the messages stay unknown
            continue
        for message, handover in answers:
            with store.write():
                if not store.set_message(message.id, UNKNOWN, handover.state, error=handover.error):  # type: ignore[arg-type]
                    continue
                if handover.state == SENT:
                    store.mark_done(message.trip_id, message.step_no, today, sent_note(message.channel, message.id))
            settled.append(Outgoing(message._replace(state=handover.state, error=handover.error), "", "", ""))
    return settled


def _record_lapsed(store: Store, lapsed: list[Outgoing]) -> list[Outgoing]:
    """Messages whose moment passed before they went: failed, never sent, named in the report."""
    why = _("its moment passed before it could go: never sent; a person decides")
    done = []
    for outgoing in lapsed:
        message = outgoing.message._replace(state=FAILED, error=why)
        with store.write():
            if message.id is None:
                new_id = store.record_message(message)
                if new_id is None:
                    continue
                message = message._replace(id=new_id)
            elif not store.set_message(message.id, PENDING_MSG, FAILED, error=why):
                continue
        done.append(replace(outgoing, message=message))
    return done


def _record_refused(store: Store, refused: list[Outgoing]) -> list[Outgoing]:
    done = []
    for outgoing in refused:
        with store.write():
            new_id = store.record_message(outgoing.message)
        if new_id is not None:
            done.append(replace(outgoing, message=outgoing.message._replace(id=new_id)))
    return done


def _send_in_turn(
    store: Store,
    senders: Senders,
    outgoing: Outgoing,
    today: dt.date,
    clock: Clock,
    deadline: float,
    report: SendReport,
) -> Outgoing | None:
    """One message, unless the run must hold it: its budget spent, its channel silent, the
    quiet hours."""
    channel = outgoing.message.channel
    if clock.monotonic() > deadline:
        why = _("the run's time budget ({s} s) is spent: it goes at the next run").format(s=senders.config.send_budget)
        report.waiting.append((outgoing, why, BUDGET))
        return None
    if senders.stopped(channel):
        why = _("the {c} server did not answer {n} times in a row: it goes at the next run")
        report.waiting.append((outgoing, why.format(c=channel, n=NO_ANSWER_LIMIT), NO_ANSWER))
        return None
    quiet = senders.get(channel).holds(clock.now())
    if quiet:
        report.waiting.append((outgoing, _("{why}: it goes at the next run outside them").format(why=quiet), QUIET))
        return None
    return _send_one(store, senders, outgoing, today)


def _send_one(store: Store, senders: Senders, outgoing: Outgoing, today: dt.date) -> Outgoing | None:
    """Build, record, hand over, write the answer: each step committed before the next, each
    change of state a compare-and-set, so a message is claimed by one run only. A message that
    cannot be built fails with the reason (nothing went)."""
    message = outgoing.message
    sender = senders.get(message.channel)
    down = senders.unavailable(message.channel)
    prepared: object = None
    problem = None
    if not down:
        try:
            prepared = sender.prepare(base.Outgoing(message, outgoing.client, outgoing.manager))
        except Exception as exc:  # noqa: BLE001 - one message's trouble is that message's
            problem = _("the message cannot be built: {e}").format(e=_one_line(exc))
    with store.write():
        if message.id is None:
            new_id = store.record_message(message._replace(error=down or problem))
            if new_id is None:
                return None  # another run recorded it first
            message = message._replace(id=new_id)
        elif down and not store.set_message(message.id, PENDING_MSG, PENDING_MSG, error=down):
            return None  # another run took it meanwhile
        if down:
            return replace(outgoing, message=message._replace(state=PENDING_MSG, error=down))
        if problem:
            if not store.set_message(message.id, PENDING_MSG, FAILED, error=problem):  # type: ignore[arg-type]
                return None
            return replace(outgoing, message=message._replace(state=FAILED, error=problem))
        if not store.set_message(message.id, PENDING_MSG, SENDING, handed=True):  # type: ignore[arg-type]
            return None  # another run took it meanwhile
    return _answer(store, senders, replace(outgoing, message=message), prepared, today)


def _answer(store: Store, senders: Senders, outgoing: Outgoing, prepared: object, today: dt.date) -> Outgoing:
    message = outgoing.message
    try:
        handover = senders.get(message.channel).hand_over(prepared, message)
    except Exception as exc:  # noqa: BLE001 - it may have gone: unknown, with the reason
        handover = Handover(UNKNOWN, error=_("the hand-over broke off: {e}").format(e=_one_line(exc)))
    senders.heard(message.channel, handover)
    with store.write():
        store.set_message(message.id, SENDING, handover.state, error=handover.error, gateway_id=handover.gateway_id)  # type: ignore[arg-type]
        if handover.state == SENT:
            store.mark_done(message.trip_id, message.step_no, today, sent_note(message.channel, message.id))
    state = message._replace(state=handover.state, error=handover.error, gateway_id=handover.gateway_id)
    return replace(outgoing, message=state)


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def retry(
    store: Store, config: Config, message_id: int, today: dt.date, environ: Mapping[str, str] | None = None
) -> Outgoing:
    """Send again, on a person's word, a message whose fate is unknown: claimed under the
    sender's lease and the write lock (unknown -> sending), so two retries never both send."""
    message = store.message(message_id)
    check_channels(config, message.channel)
    trip = store.trip(message.trip_id)
    step = next((s for s in trip.steps if s.no == message.step_no), None)
    senders = Senders(config, environ)
    try:
        sender = senders.get(message.channel)
        with store.send_lease(socket.gethostname(), os.getpid()):
            _retryable(store.message(message_id))
            outgoing = Outgoing(store.message(message_id), trip.client.name, trip.manager, step.title if step else "")
            prepared = sender.prepare(base.Outgoing(outgoing.message, outgoing.client, outgoing.manager))
            down = senders.unavailable(message.channel)
            if down:
                raise ServerDown(down)
            with store.write():
                if not store.set_message(message_id, UNKNOWN, SENDING, handed=True):
                    _retryable(store.message(message_id))
            return _answer(store, senders, outgoing, prepared, today)
    finally:
        senders.close()


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
