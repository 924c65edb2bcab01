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
from ppo_checklist.core.playbooks import ANCHORS, Playbook, Step, last_day
from ppo_checklist.errors import DateError
from ppo_checklist.i18n import N_, _


class Scheduled(NamedTuple):  # a tuple: cheap to make 700 000 of in a bulk import
    step: Step
    due: dt.date
    last_day: dt.date | None = None  # its moment (`lapses`): the last day it makes sense


ANCHOR_WORDS = {  # the dates as people name them (json and csv keep the codes)
    "purchase": N_("purchase"),
    "departure": N_("departure"),
    "return": N_("return"),
    "declined": N_("declined"),
}


def anchor_word(code: str) -> str:
    return _(ANCHOR_WORDS[code]) if code in ANCHOR_WORDS else code


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


def derive(playbook: Playbook, dates: Mapping[str, dt.date | None]) -> list[Scheduled]:
    """Each step's due date: its anchor moved by its offset, never before the start date."""
    check_dates(playbook, dates)
    start = dates[playbook.start]
    assert start is not None
    result = []
    for step in playbook.steps:
        anchor_day = dates[step.anchor]
        assert anchor_day is not None
        result.append(Scheduled(step, max(step.offset.apply(anchor_day), start), last_day(step.lapses, dates)))
    return result


class Deriver:
    """`derive`'s due dates for many trips of one playbook (a bulk import's 700 000 steps):
    the steps' anchors and day offsets looked up once, a trip's dates given as a tuple in
    `ANCHORS` order. Same result and same errors as `derive` (a property test holds it to that).
    """

    def __init__(self, playbook: Playbook):
        self.playbook = playbook
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

    def dues(self, dates: Sequence[dt.date | None]) -> tuple[dt.date, ...]:
        """Each step's due date, in the playbook's step order."""
        purchase, departure, ret = dates[0], dates[1], dates[2]
        if departure is None:
            in_order = purchase is None or ret is None or purchase <= ret
        else:
            in_order = (purchase is None or purchase <= departure) and (ret is None or departure <= ret)
        if not in_order or None in [dates[at] for at in self._required]:
            check_dates(self.playbook, dict(zip(ANCHORS, dates)))  # raises, with derive's message
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
