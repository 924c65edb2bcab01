"""The schedule: every step's due date, a pure function of a playbook and a trip's dates.

Also the one place where a step's status as of a day is decided, so the terminal, the
JSON and the workbook never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import NamedTuple

from ppo_checklist.errors import DateError
from ppo_checklist.i18n import _
from ppo_checklist.playbooks import Playbook, Step

DONE, OVERDUE, DUE, PENDING = "done", "overdue", "due", "pending"


class Scheduled(NamedTuple):  # a tuple: cheap to make 700 000 of in a bulk import
    step: Step
    due: dt.date


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
                    first=first, a=a.isoformat(), second=second, b=b.isoformat()
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
        result.append(Scheduled(step, max(step.offset.apply(anchor_day), start)))
    return result


def step_status(due: dt.date, done_on: dt.date | None, today: dt.date) -> str:
    if done_on is not None:
        return DONE
    if due < today:
        return OVERDUE
    if due == today:
        return DUE
    return PENDING


def days_late(due: dt.date, today: dt.date) -> int:
    return max((today - due).days, 0)
