"""The playbook rules of DOMAIN.md, written out plainly and apart from `core.schedule`, for the
property tests to hold the derivation to.

- A trip's required dates are all given, and purchase <= departure <= return.
- A step's own day is its anchor date moved by its offset: whole months and years first (on the
  calendar, a day past a month's end becomes its last day), then days and weeks.
- No step falls before the playbook's start date (the purchase of a tour): it falls on it.
- With a working calendar, a call or visit whose day is a day off moves day by day to the
  nearest working day: earlier when it comes before its anchor (and on the day of departure),
  later otherwise; a move that would pass the start date stops on it. Letters and SMS keep
  their days.
"""

from __future__ import annotations

import calendar as months
import datetime as dt
from typing import NamedTuple

ORDER = ("purchase", "departure", "return")


class Refused(NamedTuple):
    """The dates are refused; `names` is the date the message must name."""

    names: str


class Due(NamedTuple):
    due: dt.date
    moved_from: dt.date | None


def add_months(day: dt.date, count: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + count
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, months.monthrange(year, month + 1)[1]))


def own_day(step, dates) -> dt.date:
    o = step.offset
    moved = add_months(dates[step.anchor], o.sign * (12 * o.years + o.months))
    return moved + dt.timedelta(days=o.sign * (o.days + 7 * o.weeks))


def before_its_anchor(step) -> bool:
    o = step.offset
    if not (o.days or o.weeks or o.months or o.years):
        return step.anchor == "departure"
    return o.sign < 0


def schedule(playbook, dates, calendar=None) -> list[Due] | Refused:
    for name in playbook.dates:
        if dates.get(name) is None:
            return Refused(f"--{name}")
    known = [(name, dates[name]) for name in ORDER if dates.get(name) is not None]
    for (first, a), (_second, b) in zip(known, known[1:]):
        if a > b:
            return Refused(first)
    start = dates[playbook.start]
    result = []
    for step in playbook.steps:
        due = max(own_day(step, dates), start)
        day = due
        if calendar is not None and step.channel in ("call", "visit"):
            one = dt.timedelta(days=-1 if before_its_anchor(step) else 1)
            while not calendar.is_working(day) and day >= start:
                day += one
            day = max(day, start)
        result.append(Due(day, due if day != due else None))
    return result
