"""The passport check: a call to the client whose passport expires too soon after the trip.

Many countries refuse entry with less than six months left on a passport; a client whose
passport expires before the return date plus a margin (config `passport_margin`, six months by
default) gets a call step "check the passport" right after the sale, or at once when the date
becomes known later. It is a step of the trip like the playbook's, numbered -1 (before them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.core.model import NewStep
from ppo_checklist.core.playbooks import Offset
from ppo_checklist.core.workdays import WorkCalendar

PASSPORT_NO = -1  # before the playbook's steps (they count from 0)
PASSPORT_STEP = "passport"
DEFAULT_MARGIN = "6m"
# The step's title, in Russian as the shipped playbooks' titles are (stored with the step).
TITLE = "Проверить паспорт (действителен до {day})"
# What the manager says (the calendar's events, like a playbook step's text).
SAY = (
    "{client}, здравствуйте! Ваш паспорт заканчивается меньше чем через полгода после возвращения. "
    "Многие страны не впускают с таким паспортом: давайте проверим правила страны поездки "
    "и, если нужно, успеем оформить новый до вылета ({departure})."
)


def margin(text: str = DEFAULT_MARGIN) -> Offset:
    """The config's `passport_margin` ("6m", "180d") as an offset (checked when the config loads)."""
    return Offset.parse(text)


def trip_end(dates: Mapping[str, dt.date | None]) -> dt.date | None:
    """The day the passport must still be good on: the return, else the departure."""
    return dates.get("return") or dates.get("departure")


def too_soon(expires: dt.date | None, dates: Mapping[str, dt.date | None], within: Offset) -> bool:
    """The passport expires before the trip's end plus the margin (a sold tour's: a client who
    declined is not travelling with the agency)."""
    end = trip_end(dates)
    sold = dates.get("purchase") is not None
    return sold and expires is not None and end is not None and expires < within.apply(end)


def check_step(
    dates: Mapping[str, dt.date | None], due: dt.date, calendar: WorkCalendar | None, expires: dt.date
) -> NewStep:
    """The call step, due on `due` (never before the purchase), on a working day from then on."""
    start = dates.get("purchase")
    day = max(due, start) if start is not None else due
    if calendar is not None:
        day = calendar.shift(day, earlier=False)
    title = TITLE.format(day=expires.strftime(DAY_FORMAT))
    return NewStep(PASSPORT_NO, PASSPORT_STEP, title, "call", day)
