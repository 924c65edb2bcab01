"""Playbooks: the steps of a follow-up chain, read from TOML and checked when loaded.

A playbook names its input dates (anchors); each step is tied to one anchor by an
offset such as `-1d`, `+2d`, `+1w` or `+11m`. The shipped playbooks live in the
package's `templates/playbooks/`; a user's playbooks (config dir) add to or replace
them by id.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ppo_checklist.config import read_toml
from ppo_checklist.core.model import ANCHORS, CHANNELS
from ppo_checklist.core.shipped_playbooks import READ as SHIPPED_READ
from ppo_checklist.errors import NotFound, PlaybookError
from ppo_checklist.i18n import _

PLACEHOLDERS = frozenset(
    {
        "client",
        "manager",
        "agency",
        "director",
        "service_director",
        "purchase",
        "departure",
        "return",
        "declined",
        "due",
    }
)
# A setting an agency may leave unset: only in a letter's body, where a paragraph naming it is
# left out when it is not set (`texts.fill_text`), so the letter reads naturally either way.
PARAGRAPH_PLACEHOLDERS = frozenset({"review_url"})
_OFFSET = re.compile(r"^([+-]?)((?:\d+[dwmy])+)$")
_OFFSET_TERM = re.compile(r"(\d+)([dwmy])")
MAX_OFFSET_DAYS = 10 * 366  # a follow-up ten years away is a typo
_STEP_FIELDS = ("no", "id", "title", "channel", "anchor", "offset", "text")
_LETTER_FIELDS = ("id", "subject", "body", "anchor", "offset", "lapses", "purpose")
# What a letter or SMS is for (core.consent): "service" goes unless the client withdrew;
# "ads" needs the client's consent on record. A message that does not say is advertising.
PURPOSES = ("service", "ads")
DEFAULT_PURPOSE = "ads"
# How late ppo may still send a step's message when no `send_late` is given: a letter a
# couple of days late still reads well; "have a good trip" the day after the flight does not.
DEFAULT_SEND_LATE = {"email": "2d", "sms": "0d"}
SMS_LETTER = "sms"  # the one message of an SMS step, as the outbox names it
# `pulled_text`: the text for the day the step is pulled onto the start date because its own day
# comes before it (a reminder "your flight is tomorrow" for a tour bought on the day it leaves).
# `lapses`: the moment after which the step (or a letter) makes no sense any more (`Moment`).
_OPTIONAL_STEP_FIELDS = ("letters", "send_late", "pulled_text", "purpose", "lapses")
_MOMENT = re.compile(r"^([a-z]+)\s*(?:([+-])\s*(\d+)\s*d)?$")
MAX_MOMENT_DAYS = 366


# The records below are named tuples: a frozen dataclass costs ~0.5 ms to define, on every start
# of a command that reads playbooks.
class Offset(NamedTuple):
    """A signed distance from an anchor date in days, weeks, months and years. `parse` (or
    `of`) works out `fixed` once: a bulk import applies it 700 000 times; an offset made
    otherwise (`Offset(days=3)`, `_replace`) has none and works it out when applied."""

    sign: int = 1
    days: int = 0
    weeks: int = 0
    months: int = 0
    years: int = 0
    text: str = "0d"
    # The offset as a fixed number of days, worked out by `of`; None when it counts months or
    # years, or was not worked out.
    fixed: dt.timedelta | None = None

    @classmethod
    def of(cls, sign: int, days: int, weeks: int, months: int, years: int, text: str) -> Offset:
        fixed = None if months or years else sign * dt.timedelta(days=days + 7 * weeks)
        return cls(sign, days, weeks, months, years, text, fixed)

    @classmethod
    def parse(cls, text: str) -> Offset:
        match = _OFFSET.match(text.strip().lower().replace(" ", ""))
        if not match:
            raise ValueError(text)
        amounts = {"d": 0, "w": 0, "m": 0, "y": 0}
        for number, unit in _OFFSET_TERM.findall(match.group(2)):
            amounts[unit] += int(number)
        sign = -1 if match.group(1) == "-" else 1
        if amounts["d"] + 7 * amounts["w"] + 31 * amounts["m"] + 366 * amounts["y"] > MAX_OFFSET_DAYS:
            raise ValueError(text)
        return cls.of(sign, amounts["d"], amounts["w"], amounts["m"], amounts["y"], text.strip())

    def apply(self, day: dt.date) -> dt.date:
        if self.fixed is not None:
            return day + self.fixed
        if not (self.months or self.years):
            return day + self.sign * dt.timedelta(days=self.days + 7 * self.weeks)
        from dateutil.relativedelta import relativedelta  # dateutil only for months and years

        delta = relativedelta(years=self.years, months=self.months, weeks=self.weeks, days=self.days)
        return day + delta if self.sign > 0 else day - delta

    def is_zero(self) -> bool:
        return not (self.days or self.weeks or self.months or self.years)


class Moment(NamedTuple):
    """When a step or a letter stops making sense: an anchor date moved by whole days
    (`departure`, `departure+1d`, `return+5d`, `departure-1d`). The day it names is the last
    day the step may still be done or sent; from the next day on it has lapsed."""

    anchor: str
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Moment:
        match = _MOMENT.match(text.strip().lower())
        if not match:
            raise ValueError(text)
        days = int(match.group(3) or 0) * (-1 if match.group(2) == "-" else 1)
        if abs(days) > MAX_MOMENT_DAYS:
            raise ValueError(text)
        return cls(match.group(1), days)

    @property
    def text(self) -> str:
        return self.anchor + (f"{self.days:+d}d" if self.days else "")

    def last_day(self, dates: Mapping[str, dt.date | None]) -> dt.date | None:
        """The last day it makes sense for a trip with these dates (None: the trip has no such
        date, so it never lapses)."""
        anchor = dates.get(self.anchor)
        return anchor + dt.timedelta(days=self.days) if anchor is not None else None


def last_day(moment: Moment | None, dates: Mapping[str, dt.date | None]) -> dt.date | None:
    return moment.last_day(dates) if moment is not None else None


class Letter(NamedTuple):
    """One letter of a step's series: the first goes on the step's day, each later one on its
    own (its offset from the step's day, or from `anchor` when given, never before the step)."""

    id: str
    subject: str
    body: str
    anchor: str | None = None
    offset: Offset = Offset()
    purpose: str = DEFAULT_PURPOSE
    lapses: Moment | None = None  # None: a later letter never lapses; the first has its step's too


class Step(NamedTuple):
    no: int
    id: str
    title: str
    channel: str
    anchor: str
    offset: Offset
    text: str
    letters: tuple[Letter, ...] = ()
    send_late: Offset | None = None
    pulled_text: str = ""  # empty: the step says its usual text even when pulled
    purpose: str = DEFAULT_PURPOSE  # an SMS step's; an e-mail step's letters' unless they say
    lapses: Moment | None = None  # None: it never lapses

    @property
    def sendable(self) -> bool:
        """ppo sends this step itself: an SMS step (its text), or an e-mail step with letters."""
        return self.channel == "sms" or (self.channel == "email" and bool(self.letters))

    @property
    def late_days(self) -> int:
        """How many days after its date a message of this step may still go."""
        late = self.send_late or Offset.parse(DEFAULT_SEND_LATE.get(self.channel, "0d"))
        return late.days + 7 * late.weeks


class Playbook(NamedTuple):
    id: str
    title: str
    dates: tuple[str, ...]
    optional_dates: tuple[str, ...]
    start: str
    signer: str
    steps: tuple[Step, ...]
    source: str = ""
    short_name: str = ""  # `name` in its file: a workbook's sheet, a column (default: the title)

    @property
    def name(self) -> str:
        """The playbook as people read it in a sheet's tab or a cell: its short name."""
        return self.short_name or self.title

    def pulled(self, step: Step, dates: dict[str, dt.date]) -> bool:
        """The step falls on the start date only because its own day comes before it."""
        anchor, start = dates.get(step.anchor), dates.get(self.start)
        return anchor is not None and start is not None and step.offset.apply(anchor) < start

    def step_text(self, step: Step, dates: dict[str, dt.date]) -> str:
        """What the step says on its day: its `pulled_text` when pulled and it has one."""
        return step.pulled_text if step.pulled_text and self.pulled(step, dates) else step.text


def parse_playbook(data: dict[str, Any], source: str) -> Playbook:
    """A checked playbook from parsed TOML; any problem names the file, step and reason."""

    def fail(reason: str, where: str = "") -> PlaybookError:
        place = f"{source}: {where}: " if where else f"{source}: "
        return PlaybookError(_("broken playbook {place}{reason}").format(place=place, reason=reason))

    for key in ("id", "dates", "steps"):
        if key not in data:
            raise fail(_("missing field '{key}'").format(key=key))
    pb_id = _text(data["id"])
    dates = tuple(_text(d) for d in data["dates"])
    optional = tuple(_text(d) for d in data.get("optional_dates", []))
    for anchor in dates + optional:
        if anchor not in ANCHORS:
            raise fail(_("unknown date '{a}' (known: {known})").format(a=anchor, known=", ".join(ANCHORS)))
    if not dates:
        raise fail(_("'dates' is empty"))
    start = _text(data.get("start", dates[0]))
    if start not in dates:
        raise fail(_("'start' must be one of the playbook's dates, not '{s}'").format(s=start))
    signer = _text(data.get("signer", "manager"))
    if signer not in ("manager", "director", "service_director"):
        raise fail(_("unknown signer '{s}'").format(s=signer))
    raw_steps = data["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        raise fail(_("no steps"))
    steps = tuple(_parse_step(raw, index, dates, optional, fail) for index, raw in enumerate(raw_steps))
    _check_unique(steps, fail)
    return Playbook(
        id=pb_id,
        title=_text(data.get("title", pb_id)),
        dates=dates,
        optional_dates=optional,
        start=start,
        signer=signer,
        steps=tuple(sorted(steps, key=lambda s: s.no)),
        source=source,
        short_name=_short_name(data.get("name", ""), fail),
    )


MAX_SHORT_NAME = 20  # a sheet's tab holds 31 characters, "Чек-лист · " among them


def _short_name(value: Any, fail) -> str:
    name = _text(value)
    if len(name) > MAX_SHORT_NAME or any(ch in name for ch in "[]:*?/\\"):
        raise fail(_("'name' must be at most {n} characters, none of []:*?/\\").format(n=MAX_SHORT_NAME))
    return name


def _parse_moment(raw: Any, dates: tuple[str, ...], fail) -> Moment | None:
    """A `lapses` value, checked: its anchor is one of the playbook's dates (required or optional)."""
    if raw is None:
        return None
    try:
        moment = Moment.parse(raw if isinstance(raw, str) else "?")
    except ValueError:
        message = _("bad lapses '{m}' (use a date of the playbook, e.g. departure, departure+1d, return+5d)")
        raise fail(message.format(m=raw)) from None
    if moment.anchor not in dates:
        message = _("lapses '{m}': unknown date '{a}' (the playbook's dates: {d})")
        raise fail(message.format(m=raw, a=moment.anchor, d=", ".join(dates)))
    return moment


def _parse_step(raw: Any, index: int, dates: tuple[str, ...], optional: tuple[str, ...], fail) -> Step:
    where = _("step #{n}").format(n=index + 1)
    if not isinstance(raw, dict):
        raise fail(_("not a table"), where)
    if "id" in raw:
        where = _("step '{id}'").format(id=raw["id"])
    for field in _STEP_FIELDS:
        if field not in raw:
            raise fail(_("missing field '{f}'").format(f=field), where)
    unknown = set(raw) - set(_STEP_FIELDS) - set(_OPTIONAL_STEP_FIELDS)
    if unknown:
        raise fail(_("unknown field '{f}'").format(f=sorted(unknown)[0]), where)
    if not isinstance(raw["no"], int) or raw["no"] < 0:
        raise fail(_("'no' must be a whole number >= 0"), where)
    channel = _text(raw["channel"])
    if channel not in CHANNELS:
        raise fail(_("unknown channel '{c}' (known: {k})").format(c=channel, k=", ".join(CHANNELS)), where)
    anchor = _text(raw["anchor"])
    if anchor not in dates:
        raise fail(_("unknown anchor '{a}' (the playbook's dates: {d})").format(a=anchor, d=", ".join(dates)), where)
    try:
        offset = Offset.parse(str(raw["offset"]))
    except ValueError:
        message = _("bad offset '{o}' (use e.g. -1d, +2d, +1w, +11m; at most 10 years)")
        raise fail(message.format(o=raw["offset"]), where) from None
    text = _text(raw["text"])
    _check_placeholders(text, lambda reason: fail(reason, where))
    send_late = None
    if "send_late" in raw:
        try:
            send_late = Offset.parse(str(raw["send_late"]))
        except ValueError:
            send_late = None
        if send_late is None or send_late.sign < 0 or send_late.months or send_late.years:
            message = _("bad send_late '{o}' (days or weeks after the step's day, e.g. 0d, 2d)")
            raise fail(message.format(o=raw["send_late"]), where)
    purpose = _purpose(raw, channel, lambda reason: fail(reason, where))
    letters = _parse_letters(
        raw.get("letters", []), channel, dates, optional, lambda reason: fail(reason, where), purpose
    )
    pulled_text = _text(raw.get("pulled_text", ""))
    _check_placeholders(pulled_text, lambda reason: fail(reason, where))
    lapses = _parse_moment(raw.get("lapses"), dates + optional, lambda reason: fail(reason, where))
    return Step(
        raw["no"],
        _text(raw["id"]),
        _text(raw["title"]),
        channel,
        anchor,
        offset,
        text,
        letters,
        send_late,
        pulled_text,
        purpose,
        lapses,
    )


def _purpose(raw: dict, channel: str | None, fail, default: str = DEFAULT_PURPOSE) -> str:
    """A message's declared purpose: service or ads; only letters and SMS have one."""
    if "purpose" not in raw:
        return default
    if channel not in (None, "email", "sms"):
        raise fail(_("only a letter or an SMS has a purpose"))
    value = raw["purpose"]
    if value not in PURPOSES:
        raise fail(_('\'purpose\' must be "service" or "ads", not {v!r}').format(v=value))
    return value


def _parse_letters(
    raw: Any, channel: str, dates: tuple[str, ...], optional: tuple[str, ...], fail, purpose: str = DEFAULT_PURPOSE
) -> tuple[Letter, ...]:
    """A step's letters, each with an id, a subject and a body whose placeholders are known."""
    if not isinstance(raw, list):
        raise fail(_("'letters' must be a list of tables ([[steps.letters]])"))
    if raw and channel != "email":
        raise fail(_("only an e-mail step has letters"))
    letters: list[Letter] = []
    for index, item in enumerate(raw):
        label = _("letter #{n}").format(n=index + 1)
        if not isinstance(item, dict):
            raise fail(_("{letter}: not a table").format(letter=label))
        if isinstance(item.get("id"), str):
            label = _("letter '{id}'").format(id=item["id"])
        unknown = set(item) - set(_LETTER_FIELDS)
        if unknown:
            raise fail(_("{letter}: unknown field '{f}'").format(letter=label, f=sorted(unknown)[0]))
        for field in ("id", "subject", "body"):
            value = item.get(field)
            if not isinstance(value, str) or not value.strip():
                raise fail(_("{letter}: no {field}").format(letter=label, field=field))
        if "\n" in item["subject"].strip() or "\r" in item["subject"]:
            raise fail(_("{letter}: the subject must be one line").format(letter=label))
        _check_placeholders(item["subject"], lambda reason, label=label: fail(f"{label}: {reason}"))
        _check_placeholders(
            item["body"], lambda reason, label=label: fail(f"{label}: {reason}"), PLACEHOLDERS | PARAGRAPH_PLACEHOLDERS
        )
        anchor = _text(item["anchor"]) if "anchor" in item else None
        if anchor is not None and anchor not in dates:
            raise fail(_("{letter}: unknown anchor '{a}'").format(letter=label, a=anchor))
        try:
            offset = Offset.parse(str(item.get("offset", "0d")))
        except ValueError:
            raise fail(_("{letter}: bad offset '{o}'").format(letter=label, o=item.get("offset"))) from None
        if index == 0 and (anchor is not None or not offset.is_zero()):
            raise fail(
                _("{letter}: the first letter goes on the step's day (no anchor, offset 0d)").format(letter=label)
            )
        if anchor is None and offset.sign < 0:
            raise fail(_("{letter}: a letter cannot go before its step").format(letter=label))
        if any(letter.id == item["id"].strip() for letter in letters) or item["id"].strip() == SMS_LETTER:
            raise fail(_("{letter}: duplicate letter id").format(letter=label))
        own = _purpose(item, None, lambda reason, label=label: fail(f"{label}: {reason}"), purpose)
        lapses = _parse_moment(
            item.get("lapses"), dates + optional, lambda reason, label=label: fail(f"{label}: {reason}")
        )
        body = item["body"].strip()
        letters.append(Letter(item["id"].strip(), item["subject"].strip(), body, anchor, offset, own, lapses))
    return tuple(letters)


def message_purposes(step: Step) -> tuple[str, ...]:
    """The purpose of each message ppo sends of a step: its SMS, or each of its letters."""
    return (step.purpose,) if step.channel == "sms" else tuple(letter.purpose for letter in step.letters)


def letter_due(letter: Letter, step_due: dt.date, dates: dict[str, dt.date]) -> dt.date:
    """The day a letter goes: never before its step's day (which is the first letter's)."""
    if letter.anchor is not None and letter.anchor in dates:
        return max(letter.offset.apply(dates[letter.anchor]), step_due)
    return max(letter.offset.apply(step_due), step_due)


def _check_placeholders(text: str, fail, known: frozenset[str] = PLACEHOLDERS) -> None:
    try:
        fields = [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise fail(_("bad placeholder in text: {e}").format(e=exc)) from None
    for name in fields:
        if name in PARAGRAPH_PLACEHOLDERS and name not in known:
            raise fail(_("'{{{p}}}' goes only in a letter's body, in a paragraph of its own").format(p=name))
        if name not in known:
            raise fail(_("unknown placeholder '{{{p}}}' (known: {k})").format(p=name, k=", ".join(sorted(known))))


def _check_unique(steps: tuple[Step, ...], fail) -> None:
    seen_no: set[int] = set()
    seen_id: set[str] = set()
    for step in steps:
        where = _("step '{id}'").format(id=step.id)
        if step.no in seen_no:
            raise fail(_("duplicate step number {n}").format(n=step.no), where)
        if step.id in seen_id:
            raise fail(_("duplicate step id '{id}'").format(id=step.id), where)
        seen_no.add(step.no)
        seen_id.add(step.id)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise PlaybookError(_("expected text, got {v!r}").format(v=value))
    return value.strip()


def load_file(path: Path) -> Playbook:
    # A file as shipped is read from `shipped_playbooks` (parse_playbook only reads what it is given).
    return parse_playbook(read_toml(path, PlaybookError, _("playbook"), SHIPPED_READ), str(path))


def stored_step(playbooks: Mapping[str, Playbook], playbook_id: str, step_id: str) -> Step | None:
    """The playbook step a stored step was made from; None when its playbook or step is gone."""
    playbook = playbooks.get(playbook_id)
    return next((s for s in playbook.steps if s.id == step_id), None) if playbook else None


def shipped_dir() -> Path:
    templates = importlib.import_module("ppo_checklist.templates")  # package data, installed from templates/
    return Path(str(templates.__file__)).parent / "playbooks"


def load_all(user_dir: Path | None = None) -> dict[str, Playbook]:
    """The shipped playbooks, with those in `user_dir` added or replacing them by id."""
    found: dict[str, Playbook] = {}
    folders = [shipped_dir()] + ([user_dir] if user_dir and user_dir.is_dir() else [])
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            playbook = load_file(path)
            found[playbook.id] = playbook
    return found


def get(playbooks: dict[str, Playbook], pb_id: str) -> Playbook:
    try:
        return playbooks[pb_id]
    except KeyError:
        known = ", ".join(sorted(playbooks))
        raise NotFound(_("unknown playbook '{id}' (known: {k})").format(id=pb_id, k=known)) from None
