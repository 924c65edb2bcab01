"""The domain: clients, trips and their steps, the one status rule, the checks on what
people type. Pure: no store, no terminal, no files. Every store backend returns these types
and every view (`render`, `workbook`, `stats`) reads them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import NamedTuple

from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import N_, _

# The input dates a playbook may anchor its steps on, in the order trips store them.
ANCHORS = ("purchase", "departure", "return", "declined")
# How a step reaches the client; ppo itself can send the first two.
CHANNELS = ("email", "sms", "call", "visit")
SENT_CHANNELS = ("email", "sms")  # the channels ppo sends by itself; calls and visits are people's

# A message's fate in the outbox: recorded (pending), handed to the server (sending), then
# sent or failed; a run that died while handing over leaves "sending", which the next run
# calls unknown: it may have gone, so it is never resent without a person's word.
PENDING_MSG, SENDING, SENT, FAILED, UNKNOWN = "pending", "sending", "sent", "failed", "unknown"
MESSAGE_STATES = (PENDING_MSG, SENDING, SENT, FAILED, UNKNOWN)

# A step's status as of a day, and a trip's. The step statuses are listed here once, in the
# order the one rule (`step_status`) decides them; core/words.py has the words people read.
DONE, OVERDUE, DUE, PENDING, CANCELLED = "done", "overdue", "due", "pending", "cancelled"
SKIPPED = "skipped"  # a person said the step is not to be done (`ppo skip`)
OPTED_OUT = "opted_out"  # a letter or SMS step of a client who wants none
# A letter or SMS step whose message is advertising the client has not consented to: never
# sent, never anyone's task, counted apart.
NO_CONSENT = "no_consent"
LAPSED = "lapsed"  # its moment passed undone: doing it now would be worse than not at all
STEP_STATUSES = (DONE, CANCELLED, SKIPPED, OPTED_OUT, NO_CONSENT, LAPSED, OVERDUE, DUE, PENDING)
# The statuses with nothing left to do by anyone: never in `today`, never sent.
CLOSED_STATUSES = frozenset({DONE, CANCELLED, SKIPPED, OPTED_OUT, NO_CONSENT, LAPSED})
ACTIVE, FINISHED = "active", "finished"

MAX_NAME = 200  # characters: a longer "name" is a paste gone wrong


# --- the one status rule ------------------------------------------------------------------


def step_status(
    due: dt.date,
    done_on: dt.date | None,
    today: dt.date,
    cancelled: bool = False,
    lapses_on: dt.date | None = None,
    skipped: bool = False,
    opted_out: bool = False,
    no_consent: bool = False,
) -> str:
    """done, then (for a cancelled trip) cancelled, then skipped (a person's word), then
    opted_out (a letter or SMS step of a client who wants none: the caller says so, see
    `opts_out`), then no_consent (an ads message without the client's consent), then lapsed
    (its moment `lapses_on` has passed: `moment_passed`), then overdue / due / pending by the
    date.

    The workbook's TODAY() formulas are generated beside this rule (`workbook.status_conditions`)
    and tested on the same cases.
    """
    if done_on is not None:
        return DONE
    if cancelled:
        return CANCELLED
    if skipped:
        return SKIPPED
    if opted_out:
        return OPTED_OUT
    if no_consent:
        return NO_CONSENT
    if moment_passed(lapses_on, today):
        return LAPSED
    if due < today:
        return OVERDUE
    if due == today:
        return DUE
    return PENDING


def moment_passed(last_day: dt.date | None, today: dt.date) -> bool:
    """A step's (or a letter's) moment has passed: `last_day` is the last day it still makes
    sense (a playbook's `lapses`, e.g. the departure day), and today is after it."""
    return last_day is not None and today > last_day


def opts_out(channel: str, client_opted_out: bool) -> bool:
    """An opted-out client's step is out of play only when ppo would send it (a letter, an
    SMS); a call or a visit stays with the manager."""
    return client_opted_out and channel in SENT_CHANNELS


def trip_status(cancelled: bool, all_done: bool) -> str:
    """cancelled wins; a trip with every step done is finished; else active (open)."""
    if cancelled:
        return CANCELLED
    return FINISHED if all_done else ACTIVE


def days_late(due: dt.date, today: dt.date) -> int:
    return max((today - due).days, 0)


# --- the records ----------------------------------------------------------------------------
# Named tuples, not dataclasses: a frozen dataclass costs ~0.6 ms to define and its instances
# are slower to make, and every `ppo today` imports these and makes ~900 rows of them.


class Client(NamedTuple):
    id: int
    name: str
    phone: str | None = None
    email: str | None = None
    opted_out: str | None = None  # when the client asked for no letters or SMS
    birthday: dt.date | None = None  # a greeting each year
    passport_expires: dt.date | None = None  # checked against each trip's return


class TripStep(NamedTuple):
    no: int
    id: str
    title: str
    channel: str
    due: dt.date
    done_on: dt.date | None = None
    done_at: str | None = None
    note: str | None = None
    lapses_on: dt.date | None = None  # the last day the step makes sense (its playbook's `lapses`)
    skipped_on: dt.date | None = None  # `ppo skip`: a person said it is not to be done
    skip_reason: str | None = None

    @property
    def closed(self) -> bool:
        """Done or skipped: nobody is to do it."""
        return self.done_on is not None or self.skipped_on is not None


class Trip(NamedTuple):
    id: int
    client: Client
    manager: str
    playbook: str
    dates: dict[str, dt.date]
    note: str | None
    created_at: str
    cancelled_on: dt.date | None
    cancel_reason: str | None
    steps: tuple[TripStep, ...] = ()

    @property
    def cancelled(self) -> bool:
        return self.cancelled_on is not None

    @property
    def status(self) -> str:
        return trip_status(self.cancelled, bool(self.steps) and all(s.closed for s in self.steps))

    @property
    def is_open(self) -> bool:
        """Something is still to be done: not cancelled, a step neither done nor skipped."""
        return self.status == ACTIVE

    @property
    def opted_out(self) -> bool:
        return self.client.opted_out is not None

    def step_status(self, step: TripStep, today: dt.date, no_consent: bool = False) -> str:
        return step_status(
            step.due,
            step.done_on,
            today,
            self.cancelled,
            step.lapses_on,
            step.skipped_on is not None,
            opts_out(step.channel, self.opted_out),
            no_consent,
        )


class AgendaRow(NamedTuple):
    """One open step of an open trip, with what a manager needs to act on it."""

    trip_id: int
    client: str
    phone: str | None
    email: str | None
    manager: str
    playbook: str
    step_no: int
    step_id: str
    title: str
    channel: str
    due: dt.date
    dates: dict[str, dt.date]
    opted_out: bool = False  # the client wants no letters or SMS (their calls and visits stay)
    outbox: str | None = None  # the state of the step's first message, if ppo recorded one
    lapses_on: dt.date | None = None  # the last day the step makes sense


class Message(NamedTuple):  # a tuple, not a frozen dataclass: ~0.5 ms less of every start
    """One letter or SMS in the outbox: what goes (or went) to whom, and its fate."""

    id: int | None
    trip_id: int
    step_no: int
    letter: str  # the letter's id in its step ("sms" for an SMS step)
    channel: str
    address: str  # an e-mail address or an E.164 phone
    subject: str | None
    body: str
    due: dt.date
    state: str = PENDING_MSG
    created_at: str | None = None
    handed_at: str | None = None
    sent_at: str | None = None
    gateway_id: str | None = None
    error: str | None = None
    attempts: int = 0
    series_end: dt.date | None = None  # the day the step's last letter is due (first letters)


class SendStep(NamedTuple):
    """A step ppo may send a message of, with what a message needs: the client, the dates."""

    trip_id: int
    client: Client
    manager: str
    playbook: str
    step_no: int
    step_id: str
    channel: str
    due: dt.date
    done_on: dt.date | None
    dates: dict[str, dt.date]
    lapses_on: dt.date | None = None
    skipped: bool = False


class Action(NamedTuple):
    """One step a manager has to do, with its status as of the day asked."""

    row: AgendaRow
    status: str
    days_late: int

    @classmethod
    def of(cls, row: AgendaRow, today: dt.date) -> Action:
        opted_out = opts_out(row.channel, row.opted_out)
        status = step_status(row.due, None, today, lapses_on=row.lapses_on, opted_out=opted_out)
        return cls(row, status, days_late(row.due, today))


class NewStep(NamedTuple):  # a tuple: a bulk import makes 700 000 of them
    no: int
    id: str
    title: str
    channel: str
    due: dt.date
    lapses_on: dt.date | None = None


class StepTally(NamedTuple):
    """`steps` steps of trips not cancelled sharing a manager, playbook, step, due and done day
    (and last day, skip, opt-out and ads consent: what the one status rule reads)."""

    manager: str
    playbook: str
    step_no: int
    step_id: str
    due: dt.date
    done_on: dt.date | None
    steps: int = 1
    lapses_on: dt.date | None = None
    skipped: bool = False
    opted_out: bool = False  # a letter or SMS step of a client who opted out
    ads_consent: bool = False  # the client's ads consent on the step's channel stands (the ledger)


class TripDates(NamedTuple):
    """A trip not cancelled, as the outcome figures need it."""

    client_id: int
    manager: str
    purchase: dt.date | None
    declined: dt.date | None


class PlaybookUse(NamedTuple):
    """How the stored trips use a playbook: what the workbook needs to lay out its sheet."""

    steps: list[tuple[int, str, str, str]]  # no, step id, title, channel
    dates: set[str]
    trips: int


def uses_of(
    trips: Mapping[str, tuple[set[str], int]], steps: Mapping[str, list[tuple[int, str, str, str]]]
) -> dict[str, PlaybookUse]:
    """The playbooks' uses from their trips (dates, how many) and their steps: the playbooks
    are those with trips."""
    return {
        playbook: PlaybookUse(list(steps.get(playbook, [])), dates, count) for playbook, (dates, count) in trips.items()
    }


class StepMarks(NamedTuple):
    """A trip's done marks, as `ppo sync` compares them with a workbook's ticks."""

    cancelled_on: dt.date | None
    steps: dict[int, tuple[str, dt.date | None]]  # no -> (step id, done on)
    dates: dict[str, dt.date | None]  # anchor -> input date
    titles: dict[int, str]  # no -> the step's title, as the workbook names it
    note: str | None = None  # the trip's note as stored


class DoneMarks(NamedTuple):
    """Of a trip, what `ppo sync` needs for most workbook rows: its note as stored and the
    numbers of its steps done (a row whose ticks are those steps has nothing else to take)."""

    note: str | None
    done: frozenset[int]


class StoreInfo(NamedTuple):
    """What `ppo store info` tells: where the store is (never with a password) and its size."""

    backend: str
    location: str
    schema: int
    clients: int
    trips: int
    steps: int


# --- ticks: what a person writes to say a step is done (a workbook cell, an imported column) ---
# One vocabulary for `sync` (a workbook's tick cell) and `import` (a step column): the words a
# Russian director types for "done" first. A cell is read by `tick_word`: case, ё, spaces and
# a closing full stop or exclamation mark aside.

TICK_WORDS = frozenset(
    {
        # Russian: what a director types
        "сделано",
        "сделан",
        "сделана",
        "сделал",
        "сделала",
        "выполнено",
        "выполнен",
        "выполнена",
        "выполнил",
        "выполнила",
        "готово",
        "готов",
        "да",
        "д",
        "ок",
        "есть",
        "истина",
        # marks
        "✓",
        "✔",
        "✔️",
        "☑",
        "☑️",
        "✅",
        "v",
        "x",
        "х",  # Cyrillic
        "+",
        "1",
        # English
        "yes",
        "y",
        "true",
        "done",
        "ok",
    }
)
# What `ppo export` writes in the tick cell of a skipped step (`ppo skip`): no tick, and read
# back as none; the workbook's status formulas call the step skipped by it.
SKIP_MARK = "⊘"
NO_WORDS = frozenset({"-", "—", "–", "нет", "не сделано", "не выполнено", "no", "n", "0", "false", "ложь", SKIP_MARK})


def tick_word(text: str) -> bool | None:
    """What a typed word says of a step: True done, False not done, None not a tick word."""
    word = " ".join(text.split()).casefold().replace("ё", "е").rstrip(".!")
    if word in TICK_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None


# --- client identity ------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"\D")


def phone_key(phone: str | None) -> str | None:
    """Digits only; a Russian 8XXXXXXXXXX is the same number as +7XXXXXXXXXX."""
    if not phone:
        return None
    digits = _NON_DIGITS.sub("", phone)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits.startswith("9"):
        digits = "7" + digits
    return digits or None


def email_key(email: str | None) -> str | None:
    return email.strip().lower() or None if email else None


# --- what people type -----------------------------------------------------------------------

# Escape codes and other C0/C1 controls reach terminals, mail and spreadsheets as typed; the
# bidirectional overrides and isolates show a name reversed in the workbook.
# A note may hold line breaks and tabs (a spreadsheet cell of several lines); nothing else may.
# A lone surrogate (`_xD800_` in a workbook cell, a byte the terminal could not decode) is no
# character at all: no store can hold it.
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_UNSAFE_IN_NOTES = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
MULTILINE_FIELDS = frozenset({"note", "reason"})


# How a field is named in a message, in the run's language ("имя содержит управляющие символы").
FIELD_NAMES = {
    "name": N_("name"),
    "phone": N_("phone"),
    "email": N_("email"),
    "manager": N_("manager"),
    "note": N_("note"),
    "reason": N_("reason"),
    "contact": N_("contact"),
    "text": N_("the text to find"),
    "agency": N_("agency"),
    "director": N_("director"),
    "service_director": N_("service director"),
    "default_manager": N_("manager"),
}


def unsafe_text(value: str | None, multiline: bool = False) -> bool:
    """The text holds what no stored text may (control characters, bidi overrides); a
    `multiline` one (a note) may hold line breaks and tabs. The one check behind every typed
    text: `add`'s options, `import`'s cells, `sync`'s notes."""
    if not value:
        return False
    return _compiled(_UNSAFE_IN_NOTES if multiline else _UNSAFE).search(value) is not None


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """A pattern compiled when first used: every command imports this module, few check typed text
    (compiling this module's patterns at import was ~1 ms of each `ppo today`)."""
    return re.compile(pattern)


def text_problem(field_name: str, value: str | None) -> str | None:
    """Why a typed value cannot be stored, or None."""
    if unsafe_text(value, field_name in MULTILINE_FIELDS):
        return _("{field} contains control characters").format(field=_(FIELD_NAMES.get(field_name, field_name)))
    return None


def check_texts(**fields: str | None) -> None:
    for field_name, value in fields.items():
        problem = text_problem(field_name, value)
        if problem:
            raise BadInput(problem)


def name_problem(name: str) -> str | None:
    """Why a client's name (already stripped) cannot be stored, or None."""
    if not name:
        return _("the client's name is empty")
    if len(name) > MAX_NAME:
        return _("the client's name is longer than {n} characters").format(n=MAX_NAME)
    return text_problem("name", name)


def check_name(name: str) -> str:
    """The name as stored (surrounding spaces dropped); BadInput when it cannot be."""
    name = name.strip()
    problem = name_problem(name)
    if problem:
        raise BadInput(problem)
    return name


# --- contacts -------------------------------------------------------------------------------

PHONE_REGION = "RU"  # a number typed without a country code is Russian


def normal_phone(phone: str | None) -> tuple[str | None, str | None]:
    """(the phone in the one stored and shown format, e.g. `+7 912 345-67-89`, or None;
    why it cannot be read, or None). Its `phone_key` is the key the digits typed had before:
    an 8 or a missing +7 of a Russian number become +7, as `phone_key` has always read them."""
    text = (phone or "").strip()
    if not text:
        return None, None
    problem = text_problem("phone", text)
    if problem:
        return None, problem
    mobile = _plain_mobile(text)
    if mobile is not None:
        return mobile, None
    import phonenumbers  # only where a phone is typed: add, edit, import

    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return None, _("phone '{p}' is not a phone number").format(p=text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL), None


# A Russian mobile typed as people and ppo itself write it: +7 or 8, then 9XX XXX-XX-XX with
# spaces, hyphens or the code in brackets. When its ten digits are a mobile number by
# phonenumbers' own metadata, phonenumbers would read it valid and show it as ppo stores it:
# `_plain_mobile` says so without parsing (an import reads ~40 µs less a row); anything else
# is parsed (tests/test_contacts.py holds the two ways to the same answers).
_MOBILE_TYPED = r"(?:\+7|8)[ -]?(?:\((9\d\d)\)|(9\d\d))[ -]?(\d{3})[ -]?(\d{2})[ -]?(\d{2})"  # `_compiled`
_mobile_digits: list[re.Pattern[str]] = []  # RU mobile numbers' pattern, from phonenumbers' metadata
_mobile_source: list[Callable[[], str | None]] = []  # who keeps that pattern between runs


def take_mobile_pattern_from(source: Callable[[], str | None]) -> None:
    """Where the first phone of a run reads Russia's mobile pattern (`ru_mobile_pattern`'s
    answer kept between runs, e.g. ppo's cache: importing phonenumbers costs ~20 ms); None from
    it: phonenumbers is asked."""
    _mobile_source[:] = [source]


def ru_mobile_pattern() -> str | None:
    """The national pattern of Russia's mobile numbers in phonenumbers' metadata, or None."""
    from phonenumbers import PhoneMetadata  # once, for the first phone: as in `normal_phone`

    metadata = PhoneMetadata.metadata_for_region(PHONE_REGION)
    if metadata is None or metadata.mobile is None or not metadata.mobile.national_number_pattern:
        return None
    return str(metadata.mobile.national_number_pattern)


def _plain_mobile(text: str) -> str | None:
    """`text` as ppo stores it if it is plainly a Russian mobile (see `_MOBILE_TYPED`), else None."""
    typed = _compiled(_MOBILE_TYPED).fullmatch(text)
    if typed is None:
        return None
    code = typed[1] or typed[2]
    if not _mobile_digits:
        pattern = _mobile_source[0]() if _mobile_source else None
        pattern = pattern if pattern is not None else ru_mobile_pattern()
        if pattern is None:
            return None
        _mobile_digits.append(re.compile(pattern))
    if _mobile_digits[0].fullmatch(code + typed[3] + typed[4] + typed[5]) is None:
        return None
    return f"+7 {code} {typed[3]}-{typed[4]}-{typed[5]}"


def normal_email(email: str | None) -> tuple[str | None, str | None]:
    """(the e-mail as stored, or None; why it cannot be, or None): its syntax only, no network."""
    text = (email or "").strip()
    if not text:
        return None, None
    problem = text_problem("email", text)
    if problem:
        return None, problem
    plain = _plain_email(text)
    if plain is not None:
        return plain, None
    from email_validator import EmailNotValidError, validate_email  # ~30 ms: as phonenumbers above

    try:
        return validate_email(text, check_deliverability=False).normalized, None
    except EmailNotValidError as exc:
        return None, _("e-mail '{e}' is not an e-mail address: {why}").format(e=text, why=email_reason(str(exc)))


# An address of plain ASCII (letters, digits, _ + - in dot-separated words): its local part is
# valid and stored as typed, so it is valid exactly when its domain is, and stored with the
# domain as email-validator writes it. A file repeats a few domains: each is checked once.
_EMAIL_PLAIN = r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"  # `_compiled`
_LOCAL_MAX, _ADDRESS_MAX = 64, 254  # RFC 5321's lengths, as email-validator applies them
_domains: dict[str, str | None] = {}  # a domain -> as stored, or None: not plainly valid
_DOMAINS_KEPT = 10_000


def _plain_email(text: str) -> str | None:
    """`text` as stored if it is a plain ASCII address (see `_EMAIL_PLAIN`) on a valid domain, else None."""
    plain = _compiled(_EMAIL_PLAIN).fullmatch(text)
    if plain is None or len(plain[1]) > _LOCAL_MAX or len(text) > _ADDRESS_MAX:
        return None
    domain = _domains.get(plain[2], _UNCHECKED)
    if domain is _UNCHECKED:
        from email_validator import EmailNotValidError, validate_email  # only for a domain not yet seen

        try:
            domain = validate_email("a@" + plain[2], check_deliverability=False).domain
        except EmailNotValidError:
            domain = None
        if len(_domains) < _DOMAINS_KEPT:
            _domains[plain[2]] = domain
    return None if domain is None else f"{plain[1]}@{domain}"


_UNCHECKED = object()


def email_reason(text: str) -> str:
    """email-validator's reason, in the run's language (its English only when unknown)."""
    if "must have an @-sign" in text:
        return _("it has no @")
    if "after the @-sign is not valid" in text and "period" in text:
        return _("the part after @ has no dot (like yandex.ru)")
    if "invalid character" in text:
        after = text.rsplit(":", 1)[-1].strip().rstrip(".") if ":" in text else ""
        return _("it has characters an address cannot have {chars}").format(chars=after).strip()
    if "too long" in text:
        return _("it is too long")
    if "before the @-sign" in text:
        return _("the part before @ is not valid")
    if "after the @-sign" in text:
        return _("the part after @ is not valid")
    if "period" in text or "dot" in text:
        return _("a dot is out of place")
    return text


def checked(normalised: tuple[str | None, str | None]) -> str | None:
    """A `normal_phone` / `normal_email` answer: the value as stored, or BadInput with its problem."""
    value, problem = normalised
    if problem:
        raise BadInput(problem)
    return value


def utc_stamp() -> str:
    """Now, as the store keeps when something was done (UTC, ISO, to the second)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# --- managers -------------------------------------------------------------------------------


def manager_key(name: str) -> str:
    """How a typed manager's name is compared: case and surrounding spaces aside."""
    return name.strip().casefold()


def match_managers(given: str, known: list[str]) -> list[str]:
    """The stored spellings of the manager `given` names (several if stored differently)."""
    key = manager_key(given)
    return [name for name in known if manager_key(name) == key]
