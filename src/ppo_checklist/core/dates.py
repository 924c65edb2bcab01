"""Reading and writing dates as users type them: day-first by default, never guessed."""

from __future__ import annotations

import datetime as dt
import re

from ppo_checklist.errors import DateError
from ppo_checklist.i18n import _

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})$")
_YEAR_FIRST = re.compile(r"^(\d{4})([./])(\d{1,2})\2(\d{1,2})$")


def parse_date(text: str, dayfirst: bool = True) -> dt.date:
    """A date from what a user typed: `01.12.2026`, `1.12.26`, `01/12/2026`, `2026-12-01`.

    The numeric forms are read here directly (fast, and strict); anything else goes to
    dateutil, but only when it names a day, a month and a year, so nothing is guessed.
    """
    value = (text or "").strip()
    if not value:
        raise DateError(_("empty date"))
    match = _ISO.match(value)
    if match:
        return _build(value, int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _YEAR_FIRST.match(value)
    if match:
        return _build(value, int(match.group(1)), int(match.group(3)), int(match.group(4)))
    match = _NUMERIC.match(value)
    if match:
        first, second, year_text = int(match.group(1)), int(match.group(3)), match.group(4)
        year = int(year_text) + 2000 if len(year_text) == 2 else int(year_text)
        day, month = (first, second) if dayfirst else (second, first)
        return _build(value, year, month, day)
    return _parse_words(value, dayfirst)


FIRST_YEAR, LAST_YEAR = 1900, 2199  # outside: a typo, not a trip


def _build(text: str, year: int, month: int, day: int) -> dt.date:
    try:
        day_ = dt.date(year, month, day)
    except ValueError:
        raise DateError(_("impossible date: {text}").format(text=text)) from None
    return _plausible(day_, text)


def _plausible(day: dt.date, text: str) -> dt.date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        message = _("implausible date: {text} (years {a}-{b})")
        raise DateError(message.format(text=text, a=FIRST_YEAR, b=LAST_YEAR))
    return day


def _parse_words(value: str, dayfirst: bool) -> dt.date:
    """Dates like `1 Dec 2026`; a date that leaves out day, month or year is refused."""
    from dateutil import parser  # slow to import: only for the rare non-numeric form

    results = []
    for default in (dt.datetime(2000, 1, 1), dt.datetime(2001, 2, 2)):
        try:
            parsed = parser.parse(value, dayfirst=dayfirst, default=default)
        except (ValueError, OverflowError):
            raise DateError(_("not a date: {text}").format(text=value)) from None
        if parsed.time() != dt.time(0, 0):
            raise DateError(_("not a date: {text}").format(text=value))
        results.append(parsed.date())
    if results[0] != results[1]:
        raise DateError(_("incomplete date (give day, month and year): {text}").format(text=value))
    return _plausible(results[0], value)
