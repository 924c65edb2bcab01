"""Working days: the days people in the office work, after a country's production calendar.

A `WorkCalendar` knows a working week (Monday to Friday, or to Saturday) and, optionally, a
country's public holidays, moved days off and working Saturdays as the `holidays` package has
them (`holidays.RU`: the New Year holidays, 31.12.2026 off in exchange for 04.01.2026, the
working Saturday 20.02.2027, ...). The package is asked only when a day is first looked up.

It is pure: the schedule takes one as an argument, nothing here reads a file or the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ppo_checklist.config import Config
from ppo_checklist.errors import ConfigError
from ppo_checklist.i18n import N_, _, language

# The working weeks config `working_week` names: the weekdays off (Monday is 0).
WEEKS = {"mon-fri": frozenset({5, 6}), "mon-sat": frozenset({6}), "mon-sun": frozenset()}
WEEKDAY_WORDS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
# The `holidays` package's names in the run's language where it has them.
_HOLIDAY_LANGUAGES = {"ru": "ru", "en": "en_US"}
MAX_RUN = 60  # days: no production calendar has a longer run of days off


class WorkCalendar:
    """The working days of one office.

    `country`: an ISO 3166 code the `holidays` package knows ("RU"), or "" for no holidays.
    `days_off` / `working`: extra days off (with their names) and extra working days, for a
    decree the package does not have yet; they win over the package. `source(country,
    language)` gives the country's calendar (default: the package's, `country_holidays`): an
    object with `get(day)` (the holiday's name or None) and `weekend_workdays` (`in`).
    """

    def __init__(
        self,
        country: str = "",
        week: str = "mon-fri",
        language: str = "en",
        days_off: Mapping[dt.date, str] | None = None,
        working: frozenset[dt.date] = frozenset(),
        source: Callable[[str, str], Any] | None = None,
    ):
        if week not in WEEKS:
            raise ConfigError(_("'working_week' must be one of: {k}").format(k=", ".join(WEEKS)))
        self.country = country
        self.week = week
        self.language = language
        self._weekend = WEEKS[week]
        self._extra_off = dict(days_off or {})
        self._extra_working = working
        self._holidays: dict[str, Any] = {}
        self._source = source or country_holidays
        self._working: dict[dt.date, bool] = {}  # days already asked (an import asks ~400 000 times)
        self._nearest: dict[tuple[dt.date, bool], dt.date | None] = {}  # (day, earlier) -> `_search`'s answer

    def holidays(self, language: str | None = None) -> Any:
        """The `holidays` package's calendar for the country (None without one), its names in
        `language` (default: the calendar's), made when first needed."""
        if not self.country:
            return None
        language = language or self.language
        if language not in self._holidays:
            self._holidays[language] = self._source(self.country, language)
        return self._holidays[language]

    def why_off(self, day: dt.date, english: bool = False) -> str | None:
        """Why nobody works on this day (the holiday's name, or the weekday's), or None on a
        working day; `english`: the name as json gives it, whatever the run's language."""
        if day in self._extra_working:
            return None
        if day in self._extra_off:
            return self._extra_off[day]
        calendar = self.holidays("en" if english else None)
        if calendar is not None:
            name = calendar.get(day)
            if name:
                return str(name)
            if day in calendar.weekend_workdays:
                return None
        if day.weekday() in self._weekend:
            word = WEEKDAY_WORDS[day.weekday()]
            return word if english else _(word)
        return None

    def is_working(self, day: dt.date) -> bool:
        working = self._working.get(day)
        if working is None:
            working = self._working[day] = self.why_off(day) is None
        return working

    def shift(self, day: dt.date, earlier: bool, floor: dt.date | None = None) -> dt.date:
        """The nearest working day from `day` on: earlier or later, never before `floor`.

        When no working day lies between `floor` and `day` (a step moving earlier onto a day
        before the purchase), the answer is `floor`: the day the client was served in the office.
        """
        if floor is not None and day < floor:
            return floor
        try:
            nearest = self._nearest[(day, earlier)]
        except KeyError:
            nearest = self._nearest[(day, earlier)] = self._search(day, earlier)
        if nearest is None:  # a calendar with no working day in two months: the day as it was,
            # unless the search went past the floor on its way
            if earlier and floor is not None and day - dt.timedelta(days=MAX_RUN - 1) < floor:
                return floor
            return day
        if floor is not None and nearest < floor:  # no working day from the floor to `day`
            return floor
        return nearest

    def _search(self, day: dt.date, earlier: bool) -> dt.date | None:
        """The nearest working day from `day` on (earlier or later) within MAX_RUN days, or None."""
        step = dt.timedelta(days=-1 if earlier else 1)
        candidate = day
        for _i in range(MAX_RUN):
            if self.is_working(candidate):
                return candidate
            candidate += step
        return None

    def __repr__(self) -> str:
        return f"WorkCalendar({self.country!r}, {self.week!r})"


def for_config(config: Config, source: Callable[[str, str], Any] | None = None) -> WorkCalendar:
    """The office's calendar as config says: `holidays` (a country, "" for none) and `working_week`."""
    return WorkCalendar(config.holidays.strip().upper(), config.working_week, language(), source=source)


def country_holidays(country: str, language: str) -> Any:
    """The `holidays` package's calendar of a country, names in the run's language where it has them."""
    # Imported here: ~0.1 s, paid only by the commands that schedule or explain a date.
    import holidays

    try:
        calendar = holidays.country_holidays(country)
    except NotImplementedError:
        raise ConfigError(
            _("'holidays' must be a country code the holidays package knows, not '{c}'").format(c=country)
        ) from None
    wanted = _HOLIDAY_LANGUAGES.get(language)
    if wanted and wanted in getattr(calendar, "supported_languages", ()):
        calendar = holidays.country_holidays(country, language=wanted)
    return calendar
