"""A country's days off and working Saturdays, kept in ppo's cache folder between runs.

The `holidays` package loads all of its ~250 countries to give one: 60-190 ms measured (of
`ppo add`'s ~0.4 s, `ppo show`'s when a step moved, `ppo edit`'s and `ppo import`'s; the
benchmark's store of 100 000 trips). What it says of a year does not change until the package
does, so each year it is asked about is kept, in one file per country, language and package
version (read from the installed package's dist-info, without importing it): a new version of the
package (a new decree) is asked again. The file is the office's own (0600) and can always be
deleted; one that cannot be read or written is passed by, and the package answers.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ppo_checklist.config import cache_dir, package_version
from ppo_checklist.core.workdays import country_holidays
from ppo_checklist.errors import PpoError

FORMAT = 1  # of the cached file: a new layout is a new file name


def cached(country: str, language: str) -> Any:
    """`WorkCalendar`'s source: the country's calendar from the cache, the package asked for a
    year the cache lacks (and the year kept)."""
    version = package_version("holidays")
    if version is None:  # not installed as files we can read: the package answers each time
        return country_holidays(country, language)
    name = f"days-off-{FORMAT}-{country}-{language}-{version}.json"
    return CachedCountry(country, language, cache_dir() / name)


class CachedCountry:
    """What `WorkCalendar` asks of a country's calendar: `get(day)`, the holiday's name or None,
    and `day in weekend_workdays`; each year read from the cache, or asked of the package once."""

    def __init__(self, country: str, language: str, path: Path):
        self.country = country
        self.language = language
        self.path = path
        self._years: dict[str, dict[str, Any]] | None = None
        self._package: Any = None
        self.weekend_workdays = _Workdays(self)

    def get(self, day: dt.date) -> str | None:
        return self.year(day.year)["off"].get(day.isoformat())

    def year(self, year: int) -> dict[str, Any]:
        years = self._read()
        kept = years.get(str(year))
        if kept is None:
            kept = years[str(year)] = self._ask(year)
            self._write(years)
        return kept

    def _ask(self, year: int) -> dict[str, Any]:
        if self._package is None:
            self._package = country_holidays(self.country, self.language)
        self._package.get(dt.date(year, 1, 1))  # the package makes a year when first asked about it
        return {
            "off": {day.isoformat(): str(name) for day, name in self._package.items() if day.year == year},
            "working": sorted(day.isoformat() for day in self._package.weekend_workdays if day.year == year),
        }

    def _read(self) -> dict[str, dict[str, Any]]:
        if self._years is None:
            try:
                years = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                years = {}
            self._years = years if isinstance(years, dict) else {}
        return self._years

    def _write(self, years: dict[str, dict[str, Any]]) -> None:
        from ppo_checklist import files  # hashlib, socket, tempfile: ~4 ms a read of the cache does not need

        text = json.dumps(years, ensure_ascii=False, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            files.write_atomically(self.path, lambda temp: temp.write_text(text, encoding="utf-8"))
        except (OSError, PpoError):  # a cache that cannot be kept: the package answers again next time
            pass


class _Workdays:
    """`day in calendar.weekend_workdays`, a year at a time."""

    def __init__(self, country: CachedCountry):
        self._country = country

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, dt.date):
            return False
        return day.isoformat() in self._country.year(day.year)["working"]
