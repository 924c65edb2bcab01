"""The schedule: every step's due date, a pure function of a playbook and a trip's dates.

A step's status as of a day is decided in one place, `model.step_status`; it is named here
too for the code that reads a schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.core.model import DONE, DUE, OVERDUE, PENDING, days_late, step_status  # noqa: F401 (the one rule)
from ppo_checklist.core.playbooks import ANCHORS, Offset, Playbook, Step, last_day
from ppo_checklist.core.workdays import WorkCalendar
from ppo_checklist.errors import DateError
from ppo_checklist.i18n import N_, _, ngettext


class Scheduled(NamedTuple):  # a tuple: cheap to make 700 000 of in a bulk import
    step: Step
    due: dt.date
    moved_from: dt.date | None = None  # a call or visit's own day, a day off
    last_day: dt.date | None = None  # its moment (`lapses`): the last day it makes sense


# The steps people do: they move off days off; letters and SMS keep their days.
WORKING_CHANNELS = frozenset({"call", "visit"})


def moves_earlier(step: Step) -> bool:
    """A step before its anchor (and one on the day of departure) moves earlier to a working
    day, to stay before what it prepares; any other moves later."""
    if step.offset.is_zero():
        return step.anchor == "departure"
    return step.offset.sign < 0


ANCHOR_WORDS = {  # the dates as people name them (json and csv keep the codes)
    "purchase": N_("purchase"),
    "departure": N_("departure"),
    "return": N_("return"),
    "declined": N_("declined"),
}


def anchor_word(code: str) -> str:
    return _(ANCHOR_WORDS[code]) if code in ANCHOR_WORDS else code


# A step's moment in words («за 1 день до вылета»): one message per anchor and side, since
# Russian declines the date's name differently in each.
_ON_THE_DAY = {
    "purchase": N_("on the day of purchase"),
    "departure": N_("on the day of departure"),
    "return": N_("on the day of return"),
    "declined": N_("on the day of the decline"),
}
_BEFORE = {
    "purchase": N_("{span} before purchase"),
    "departure": N_("{span} before departure"),
    "return": N_("{span} before return"),
    "declined": N_("{span} before the decline"),
}
_AFTER = {
    "purchase": N_("{span} after purchase"),
    "departure": N_("{span} after departure"),
    "return": N_("{span} after return"),
    "declined": N_("{span} after the decline"),
}


def span_words(offset: Offset) -> str:
    """An offset's length in words: «1 месяц 2 недели», «3 дня»."""
    parts = []
    if offset.years:
        parts.append(ngettext("{n} year", "{n} years", offset.years).format(n=offset.years))
    if offset.months:
        parts.append(ngettext("{n} month", "{n} months", offset.months).format(n=offset.months))
    if offset.weeks:
        parts.append(ngettext("{n} week", "{n} weeks", offset.weeks).format(n=offset.weeks))
    if offset.days:
        parts.append(ngettext("{n} day", "{n} days", offset.days).format(n=offset.days))
    return " ".join(parts)


def when_words(anchor: str, offset: Offset) -> str:
    """When a step falls, as people say it: «за 1 день до вылета», «в день покупки»."""
    if anchor not in _ON_THE_DAY:
        return f"{anchor} {offset.text}"
    if offset.is_zero():
        return _(_ON_THE_DAY[anchor])
    table = _BEFORE if offset.sign < 0 else _AFTER
    return _(table[anchor]).format(span=span_words(offset))


def check_dates(playbook: Playbook, dates: Mapping[str, dt.date | None]) -> None:
    """Every required date is there, and purchase <= departure <= return."""
    for anchor in playbook.dates:
        if dates.get(anchor) is None:
            raise DateError(_("the {pb} playbook needs --{a}").format(pb=playbook.id, a=anchor))
    order = [(name, dates.get(name)) for name in ("purchase", "departure", "return")]
    known = [(name, day) for name, day in order if day is not None]
    for (first, a), (second, b) in zip(known, known[1:]):
        if a > b:
            raise DateError(
                _("{first} ({a}) is after {second} ({b})").format(
                    first=anchor_word(first),
                    a=a.strftime(DAY_FORMAT),
                    second=anchor_word(second),
                    b=b.strftime(DAY_FORMAT),
                )
            )


def derive(
    playbook: Playbook, dates: Mapping[str, dt.date | None], calendar: WorkCalendar | None = None
) -> list[Scheduled]:
    """Each step's due date: its anchor moved by its offset, never before the start date; with
    a calendar, a call or visit that falls on a day off moves to the nearest working day on its
    side of its anchor (`moved_from` keeps the day it left). One trip's `Deriver`."""
    return Deriver(playbook, calendar).scheduled(dates)


class Move(NamedTuple):
    """Why a stored step is not on its playbook day: the day it left and what that day is (in
    the run's language, and in English for json)."""

    planned: dt.date
    why: str
    why_en: str = ""


def moves(
    playbook: Playbook, dates: Mapping[str, dt.date | None], dues: Mapping[int, dt.date], calendar: WorkCalendar | None
) -> dict[int, Move]:
    """The steps (by number) whose stored due date is their playbook day moved off a day off."""
    if calendar is None:
        return {}
    try:
        plain = derive(playbook, dates)
    except DateError:
        return {}
    if all(dues.get(item.step.no, item.due) == item.due for item in plain):
        return {}  # nothing moved: the calendar (and its ~0.1 s package) is not even loaded
    planned = derive(playbook, dates, calendar)
    result = {}
    for item in planned:
        if item.moved_from is not None and dues.get(item.step.no) == item.due:
            why = calendar.why_off(item.moved_from)
            if why is not None:
                result[item.step.no] = Move(
                    item.moved_from, why, calendar.why_off(item.moved_from, english=True) or why
                )
    return result


class Deriver:
    """The derivation: a playbook's due dates for any number of trips (one for `derive`, a bulk
    import's 700 000 steps), the steps' anchors and day offsets looked up once. A trip's dates
    go in as a mapping (`scheduled`) or as a tuple in `ANCHORS` order (`dues`).
    """

    def __init__(self, playbook: Playbook, calendar: WorkCalendar | None = None):
        self.playbook = playbook
        self.calendar = calendar
        # the steps a calendar moves off its days off, calls and visits (never before the start
        # date: `WorkCalendar.shift`): (index, moves earlier)
        self._working = tuple(
            (i, moves_earlier(s))
            for i, s in enumerate(playbook.steps)
            if calendar is not None and s.channel in WORKING_CHANNELS
        )
        self._required = tuple(ANCHORS.index(anchor) for anchor in playbook.dates)
        self._start = ANCHORS.index(playbook.start)
        self._rules = tuple((ANCHORS.index(s.anchor), s.offset.fixed, s.offset) for s in playbook.steps)
        self._fixed = all(shift is not None for _, shift, _ in self._rules)

    def moments(self) -> list[tuple[int, int] | None]:
        """Each step's moment as the store's bulk insert takes it: (index of its date in
        `ANCHORS` order, days after it), or None when it never lapses."""
        return [
            (ANCHORS.index(s.lapses.anchor), s.lapses.days) if s.lapses is not None else None
            for s in self.playbook.steps
        ]

    def scheduled(self, dates: Mapping[str, dt.date | None]) -> list[Scheduled]:
        """Each step with its due date, the day a calendar moved it from, and its last day."""
        plain = self._dues([dates.get(anchor) for anchor in ANCHORS])
        moved = self._moved(plain, dates[self.playbook.start]) if self._working else plain
        return [
            Scheduled(step, due, own if due != own else None, last_day(step.lapses, dates))
            for step, due, own in zip(self.playbook.steps, moved, plain)
        ]

    def dues(self, dates: Sequence[dt.date | None]) -> tuple[dt.date, ...]:
        """Each step's due date, in the playbook's step order."""
        dues = self._dues(dates)
        return self._moved(dues, dates[self._start]) if self._working else dues

    def _moved(self, dues: tuple[dt.date, ...], start: dt.date | None) -> tuple[dt.date, ...]:
        """The calls and visits moved off the calendar's days off."""
        moved = list(dues)
        shift = self.calendar.shift  # type: ignore[union-attr]
        for i, earlier in self._working:
            moved[i] = shift(dues[i], earlier, start)
        return tuple(moved)

    def _dues(self, dates: Sequence[dt.date | None]) -> tuple[dt.date, ...]:
        """Each step's anchor moved by its offset, never before the start date; dates that are
        missing or out of order are refused (`check_dates` says which)."""
        purchase, departure, ret = dates[0], dates[1], dates[2]
        if departure is None:
            in_order = purchase is None or ret is None or purchase <= ret
        else:
            in_order = (purchase is None or purchase <= departure) and (ret is None or departure <= ret)
        if not in_order or None in [dates[at] for at in self._required]:
            check_dates(self.playbook, dict(zip(ANCHORS, dates)))  # raises, naming the date
        start = dates[self._start]
        if self._fixed:
            # max() spelled out: a call per step is a tenth of a bulk import's checking
            return tuple([d if (d := dates[at] + shift) > start else start for at, shift, _ in self._rules])  # type: ignore
        return tuple(
            [
                max(dates[at] + shift if shift is not None else offset.apply(dates[at]), start)  # type: ignore
                for at, shift, offset in self._rules
            ]
        )
