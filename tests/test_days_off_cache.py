"""A country's days off, kept in ppo's cache folder: asked of the `holidays` package once a year
and package version, then read; answered exactly as the package answers."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from test_start_up import run_fresh

from ppo_checklist.cli import days_off
from ppo_checklist.core.workdays import WorkCalendar


def cache_files(home) -> list:
    return sorted((home / ".cache" / "ppo").glob("days-off-*.json"))


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_cache_answers_every_day_as_the_holidays_package_does(tmp_path, monkeypatch, language):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    package = WorkCalendar("RU", "mon-fri", language)
    filling = WorkCalendar("RU", "mon-fri", language, source=days_off.cached)
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(3 * 366)]
    assert [filling.why_off(d) for d in days] == [package.why_off(d) for d in days]

    def asked(*_args):
        raise AssertionError("the holidays package was asked again")

    monkeypatch.setattr(days_off, "country_holidays", asked)
    reading = WorkCalendar("RU", "mon-fri", language, source=days_off.cached)
    assert [reading.why_off(d) for d in days] == [package.why_off(d) for d in days]
    assert reading.why_off(dt.date(2026, 12, 31))  # a day off by decree
    assert reading.is_working(dt.date(2027, 2, 20))  # a working Saturday


@pytest.mark.sqlite_only
def test_add_asks_the_holidays_package_once_then_reads_the_cache_and_schedules_the_same(ppo):
    dates = ("--purchase", "25.12.2026", "--departure", "02.01.2027", "--return", "12.01.2027")
    first, loaded = run_fresh(ppo, "add", "Анна", *dates, "--format", "json")
    assert "holidays" in loaded["modules"]
    [cache] = cache_files(ppo.home)
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    second, loaded = run_fresh(ppo, "add", "Борис", *dates, "--format", "json")
    assert "holidays" not in loaded["modules"]
    shown = [ppo.show(n)["steps"] for n in (1, 2)]
    assert [(s["due"], s.get("moved_from")) for s in shown[0]] == [(s["due"], s.get("moved_from")) for s in shown[1]]
    assert any(s.get("moved_from") for s in shown[0])  # the reminder call left 01.01.2027, a holiday


@pytest.mark.sqlite_only
def test_a_cache_that_cannot_be_read_is_passed_by(ppo):
    dates = ("--purchase", "25.12.2026", "--departure", "02.01.2027", "--return", "12.01.2027")
    ppo.add("Анна", *dates[1::2])
    [cache] = cache_files(ppo.home)
    cache.write_text("{not json", encoding="utf-8")
    ppo.add("Борис", *dates[1::2])
    shown = [ppo.show(n)["steps"] for n in (1, 2)]
    assert [s["due"] for s in shown[0]] == [s["due"] for s in shown[1]]
