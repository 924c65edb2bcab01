import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.core.dates import parse_date
from ppo_checklist.errors import DateError


@pytest.mark.parametrize(
    "text",
    [
        "01.12.2026",
        "1.12.2026",
        "1.12.26",
        "01/12/2026",
        "2026-12-01",
        "01-12-2026",
        " 01.12.2026 ",
        "1 Dec 2026",
        "2026/12/01",
    ],
)
def test_day_first_forms_read_as_first_of_december(text):
    assert parse_date(text) == dt.date(2026, 12, 1)


def test_month_first_when_dayfirst_is_off():
    assert parse_date("12/01/2026", dayfirst=False) == dt.date(2026, 12, 1)
    assert parse_date("2026-12-01", dayfirst=False) == dt.date(2026, 12, 1)


@pytest.mark.parametrize("text", ["31.02.2026", "29.02.2027", "00.01.2026", "2026-13-01", "32.01.26"])
def test_impossible_date_is_an_error(text):
    with pytest.raises(DateError, match="impossible"):
        parse_date(text)


@pytest.mark.parametrize("text", ["", "tomorrow", "12", "Dec 2026", "1 Dec", "01.12", "12:30", "01.12.2026 10:00"])
def test_incomplete_or_unreadable_date_is_an_error_not_a_guess(text):
    with pytest.raises(DateError):
        parse_date(text)


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_displayed_dates_read_back_as_the_same_day(day):
    assert parse_date(day.strftime(DAY_FORMAT)) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_two_digit_years_are_this_century(day):
    assert parse_date(day.strftime("%d.%m.%y")) == day
