"""Working days: the Russian production calendar of 2026-2027 and the calls and visits that
move off its days off (the schedule stays a pure function: the calendar is its argument)."""

import datetime as dt

import pytest
import schedule_oracle
from hypothesis import given
from hypothesis import strategies as st

from ppo_checklist.core import playbooks, schedule
from ppo_checklist.core.workdays import MAX_RUN, WorkCalendar
from ppo_checklist.errors import ConfigError
from ppo_checklist.i18n import use

PLAYBOOKS = playbooks.load_all()
TOUR = PLAYBOOKS["tour"]
RU = WorkCalendar("RU", "mon-fri", "ru")
RU_SAT = WorkCalendar("RU", "mon-sat", "ru")
PLAIN = WorkCalendar("", "mon-fri")
D = dt.date


def test_the_new_year_holidays_of_2027_are_days_off():
    for day in range(1, 9):
        assert not RU.is_working(D(2027, 1, day))
    assert RU.is_working(D(2027, 1, 11))
    assert RU.why_off(D(2027, 1, 7)) == "Рождество Христово"


def test_31_december_2026_is_a_day_off_moved_from_4_january():
    assert not RU.is_working(D(2026, 12, 31))
    assert "04.01.2026" in RU.why_off(D(2026, 12, 31))
    assert RU.is_working(D(2026, 12, 30))
    assert not RU.is_working(D(2026, 1, 9))  # and 3 January went to 9 January


def test_a_working_saturday_is_a_working_day():
    assert D(2027, 2, 20).weekday() == 5
    assert RU.is_working(D(2027, 2, 20))
    assert not RU.is_working(D(2027, 2, 22))  # the Monday it was exchanged for
    assert not RU.is_working(D(2027, 2, 27))  # an ordinary Saturday
    assert not PLAIN.is_working(D(2027, 2, 20))  # without a production calendar: a Saturday


def test_a_six_day_week_works_on_saturdays_but_not_on_holidays():
    assert RU_SAT.is_working(D(2027, 2, 27))
    assert not RU_SAT.is_working(D(2027, 2, 28))
    assert not RU_SAT.is_working(D(2027, 1, 2))  # a Saturday in the New Year holidays


def test_a_weekend_day_is_named_in_the_run_s_language():
    with use("ru"):
        assert PLAIN.why_off(D(2026, 12, 5)) == "Суббота"
    with use("en"):
        assert PLAIN.why_off(D(2026, 12, 6)) == "Sunday"
    assert PLAIN.why_off(D(2026, 12, 7)) is None


def test_an_unknown_working_week_or_country_is_a_config_error():
    with pytest.raises(ConfigError):
        WorkCalendar("RU", "sun-thu")
    with pytest.raises(ConfigError):
        WorkCalendar("XX").is_working(D(2026, 12, 7))


def dues(dates, calendar):
    return {item.step.id: item.due for item in schedule.derive(TOUR, dates, calendar)}


def test_the_reminder_call_before_a_departure_on_2_january_2027_lands_on_30_december_2026():
    dates = {"purchase": D(2026, 12, 1), "departure": D(2027, 1, 2), "return": D(2027, 1, 9)}
    moved = {item.step.id: item for item in schedule.derive(TOUR, dates, RU)}
    assert moved["reminder"].due == D(2026, 12, 30)
    assert moved["reminder"].moved_from == D(2027, 1, 1)


def test_letters_and_sms_keep_their_days_off():
    dates = {"purchase": D(2026, 12, 31), "departure": D(2027, 1, 2), "return": D(2027, 1, 9)}
    plain = dues(dates, None)
    moved = dues(dates, RU)
    for step in TOUR.steps:
        if step.channel in ("email", "sms"):
            assert moved[step.id] == plain[step.id]
    assert moved["sms-departure"] == D(2027, 1, 2)


def test_a_call_after_the_return_moves_later_past_the_holidays():
    dates = {"purchase": D(2026, 12, 1), "departure": D(2026, 12, 20), "return": D(2027, 1, 1)}
    moved = dues(dates, RU)
    assert dues(dates, None)["invite-call"] == D(2027, 1, 3)
    assert moved["invite-call"] == D(2027, 1, 11)  # the first working day after the New Year holidays
    assert moved["office-visit"] == D(2027, 1, 11)  # 08.01, a holiday too


def test_a_call_never_moves_before_the_purchase():
    # Bought on 31.12.2026 (a day off, yet the client was in the office), flying on 02.01.2027:
    # no working day lies between the purchase and the reminder's own day.
    dates = {"purchase": D(2026, 12, 31), "departure": D(2027, 1, 2), "return": D(2027, 1, 9)}
    assert dues(dates, RU)["reminder"] == D(2026, 12, 31)


def test_without_a_calendar_the_schedule_is_as_before():
    dates = {"purchase": D(2026, 12, 1), "departure": D(2027, 1, 2), "return": D(2027, 1, 9)}
    assert dues(dates, None)["reminder"] == D(2027, 1, 1)
    assert all(item.moved_from is None for item in schedule.derive(TOUR, dates))


def test_moves_names_the_holiday_a_stored_step_left():
    dates = {"purchase": D(2026, 12, 1), "departure": D(2027, 1, 2), "return": D(2027, 1, 9)}
    stored = {item.step.no: item.due for item in schedule.derive(TOUR, dates, RU)}
    found = schedule.moves(TOUR, dates, stored, RU)
    reminder = next(s.no for s in TOUR.steps if s.id == "reminder")
    assert found[reminder] == schedule.Move(D(2027, 1, 1), "Новогодние каникулы", "New Year Holidays")
    # a step whose stored day is another (moved by hand, or scheduled without the calendar) is not explained
    stored[reminder] = D(2027, 1, 1)
    assert reminder not in schedule.moves(TOUR, dates, stored, RU)
    assert schedule.moves(TOUR, dates, stored, None) == {}


days = st.dates(min_value=D(2025, 1, 1), max_value=D(2028, 12, 31))
gaps = st.integers(min_value=0, max_value=40)


@st.composite
def trips(draw):
    purchase = draw(days)
    departure = purchase + dt.timedelta(days=draw(gaps))
    ret = departure + dt.timedelta(days=draw(gaps))
    return {"purchase": purchase, "departure": departure, "return": ret}


calendars = st.sampled_from([RU, RU_SAT, PLAIN])


@given(trips(), calendars)
def test_calls_and_visits_land_on_working_days_on_their_side_of_the_anchor(dates, calendar):
    plain = {item.step.id: item.due for item in schedule.derive(TOUR, dates)}
    for item in schedule.derive(TOUR, dates, calendar):
        own = plain[item.step.id]
        if item.step.channel not in schedule.WORKING_CHANNELS:
            assert item.due == own and item.moved_from is None
            continue
        assert item.due >= dates["purchase"]
        if item.due == own:
            assert item.moved_from is None
            continue
        assert item.moved_from == own and not calendar.is_working(own)
        if schedule.moves_earlier(item.step):
            assert item.due < own
            assert calendar.is_working(item.due) or item.due == dates["purchase"]
            # nothing skipped: every day between is a day off
            between = [own - dt.timedelta(days=n) for n in range(1, (own - item.due).days)]
            assert not any(calendar.is_working(day) for day in between)
        else:
            assert item.due > own and calendar.is_working(item.due)
            between = [own + dt.timedelta(days=n) for n in range(1, (item.due - own).days)]
            assert not any(calendar.is_working(day) for day in between)


@given(trips(), calendars)
def test_calls_and_visits_move_as_the_playbook_rules_say(dates, calendar):
    expected = schedule_oracle.schedule(TOUR, dates, calendar)
    assert [(item.due, item.moved_from) for item in schedule.derive(TOUR, dates, calendar)] == expected


@given(trips(), calendars)
def test_the_bulk_import_moves_the_same_days(dates, calendar):
    deriver = schedule.Deriver(TOUR, calendar)
    expected = tuple(due for due, _moved_from in schedule_oracle.schedule(TOUR, dates, calendar))
    assert deriver.dues([dates["purchase"], dates["departure"], dates["return"], None]) == expected


def shifted_day_by_day(calendar, day, earlier, floor):
    """What `shift` answers, walked a day at a time: the nearest working day on its side,
    never before the floor, the day itself when MAX_RUN days hold none."""
    step = dt.timedelta(days=-1 if earlier else 1)
    candidate = day
    for _i in range(MAX_RUN):
        if floor is not None and candidate < floor:
            return floor
        if calendar.is_working(candidate):
            return candidate
        candidate += step
    return day


@st.composite
def offices(draw):
    """A calendar of days off scattered over 2027 and, maybe, a run longer than any real one;
    with the days near that run's ends (where a shift finds nothing in MAX_RUN days)."""
    first = D(2027, 1, 1)
    off = draw(st.sets(st.integers(min_value=0, max_value=364), max_size=250))
    edges: list[dt.date] = []
    if draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=300))
        run = range(at, at + MAX_RUN + draw(st.integers(min_value=-2, max_value=10)))
        off |= set(run)
        edges = [first + dt.timedelta(days=n) for n in (*run[:3], *run[-3:])]
    days_off = {first + dt.timedelta(days=n): "закрыто" for n in off}
    return WorkCalendar(week=draw(st.sampled_from(["mon-fri", "mon-sun"])), days_off=days_off), edges


around_2027 = st.dates(min_value=D(2026, 11, 1), max_value=D(2028, 2, 28))


@given(offices(), st.data())
def test_a_shift_asked_again_under_another_floor_answers_as_the_walk_day_by_day(office, data):
    calendar, edges = office
    days = st.one_of(around_2027, st.sampled_from(edges)) if edges else around_2027
    back = st.none() | st.integers(min_value=-3, max_value=MAX_RUN + 3)  # the floor, days before
    for day, earlier, floor_back in data.draw(st.lists(st.tuples(days, st.booleans(), back), min_size=1, max_size=40)):
        floor = None if floor_back is None else day - dt.timedelta(days=floor_back)
        assert calendar.shift(day, earlier, floor) == shifted_day_by_day(calendar, day, earlier, floor)


def test_a_day_before_the_floor_is_the_floor_even_on_a_day_off():
    calendar = WorkCalendar()
    saturday, sunday = D(2027, 1, 2), D(2027, 1, 3)
    assert calendar.shift(saturday, False, sunday) == sunday
    assert calendar.shift(saturday, True, sunday) == sunday
