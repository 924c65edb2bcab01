import datetime as dt

import pytest
import schedule_oracle
from hypothesis import assume, given
from hypothesis import strategies as st

from ppo_checklist.core import playbooks, schedule
from ppo_checklist.core.workdays import WorkCalendar
from ppo_checklist.errors import DateError

PLAYBOOKS = playbooks.load_all()
TOUR = PLAYBOOKS["tour"]
DECLINED = PLAYBOOKS["declined"]

days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))
gaps = st.integers(min_value=0, max_value=60)


@st.composite
def trips(draw):
    purchase = draw(days)
    departure = purchase + dt.timedelta(days=draw(gaps))
    ret = departure + dt.timedelta(days=draw(gaps))
    return {"purchase": purchase, "departure": departure, "return": ret}


def dues(playbook, dates):
    return {item.step.id: item.due for item in schedule.derive(playbook, dates)}


def test_tour_steps_fall_on_the_days_the_method_gives():
    dates = {"purchase": dt.date(2026, 11, 20), "departure": dt.date(2026, 12, 1), "return": dt.date(2026, 12, 10)}
    assert dues(TOUR, dates) == {
        "ppo-do": dt.date(2026, 11, 20),
        "reminder": dt.date(2026, 11, 30),
        "sms-departure": dt.date(2026, 12, 1),
        "sms-return": dt.date(2026, 12, 10),
        "ppo-posle": dt.date(2026, 12, 11),
        "invite-call": dt.date(2026, 12, 12),
        "office-visit": dt.date(2026, 12, 17),
    }


def test_reminder_of_a_same_day_purchase_and_departure_is_not_before_the_purchase():
    day = dt.date(2026, 12, 1)
    assert dues(TOUR, {"purchase": day, "departure": day, "return": day})["reminder"] == day


def test_declined_chain_asks_for_feedback_a_week_later():
    assert dues(DECLINED, {"declined": dt.date(2026, 11, 25)}) == {
        "decline-chain": dt.date(2026, 11, 25),
        "decline-feedback": dt.date(2026, 12, 2),
        "decline-why": dt.date(2026, 11, 28),  # «Чем мы вас обидели?», three days on
    }


def test_departure_before_purchase_is_refused():
    with pytest.raises(DateError, match="purchase"):
        schedule.derive(
            TOUR, {"purchase": dt.date(2026, 12, 2), "departure": dt.date(2026, 12, 1), "return": dt.date(2026, 12, 3)}
        )


def test_missing_date_is_refused():
    with pytest.raises(DateError, match="--return"):
        schedule.derive(TOUR, {"purchase": dt.date(2026, 12, 1), "departure": dt.date(2026, 12, 1)})


@given(trips())
def test_every_step_is_derived_and_none_falls_before_the_purchase(dates):
    result = schedule.derive(TOUR, dates)
    assert [item.step.no for item in result] == [step.no for step in TOUR.steps]
    assert all(item.due >= dates["purchase"] for item in result)


@given(trips(), st.sampled_from(["departure", "return"]), st.integers(min_value=1, max_value=30))
def test_moving_one_date_moves_exactly_the_steps_tied_to_it(dates, anchor, shift):
    moved = dict(dates)
    moved[anchor] = dates[anchor] + dt.timedelta(days=shift)
    if anchor == "departure":
        assume(moved["departure"] <= moved["return"])
    before, after = dues(TOUR, dates), dues(TOUR, moved)
    for step in TOUR.steps:
        if step.anchor != anchor:
            assert after[step.id] == before[step.id]
        elif (
            step.offset.apply(moved[anchor]) >= dates["purchase"]
            and step.offset.apply(dates[anchor]) >= dates["purchase"]
        ):
            assert (after[step.id] - before[step.id]).days == shift


def test_statuses_of_a_tour_on_its_departure_day():
    dates = {"purchase": dt.date(2026, 11, 20), "departure": dt.date(2026, 12, 1), "return": dt.date(2026, 12, 10)}
    today = dt.date(2026, 12, 1)
    statuses = {item.step.id: schedule.step_status(item.due, None, today) for item in schedule.derive(TOUR, dates)}
    assert statuses == {
        "ppo-do": "overdue",  # 20.11
        "reminder": "overdue",  # 30.11
        "sms-departure": "due",  # 01.12
        "sms-return": "pending",  # 10.12
        "ppo-posle": "pending",
        "invite-call": "pending",
        "office-visit": "pending",
    }


@pytest.mark.parametrize(
    "due, done_on, today, expected",
    [
        (dt.date(2026, 11, 30), None, dt.date(2026, 12, 1), "overdue"),
        (dt.date(2025, 12, 31), None, dt.date(2026, 1, 1), "overdue"),
        (dt.date(2026, 2, 28), None, dt.date(2026, 3, 1), "overdue"),
        (dt.date(2026, 12, 1), None, dt.date(2026, 12, 1), "due"),
        (dt.date(2026, 12, 2), None, dt.date(2026, 12, 1), "pending"),
        (dt.date(2027, 1, 1), None, dt.date(2026, 12, 31), "pending"),
        (dt.date(2026, 11, 30), dt.date(2026, 12, 5), dt.date(2026, 12, 1), "done"),  # late, done
        (dt.date(2026, 12, 1), dt.date(2026, 12, 1), dt.date(2026, 12, 1), "done"),
        (dt.date(2026, 12, 9), dt.date(2026, 11, 1), dt.date(2026, 12, 1), "done"),  # done early
    ],
)
def test_step_status_on_hand_picked_days(due, done_on, today, expected):
    assert schedule.step_status(due, done_on, today) == expected


@given(trips(), days)
def test_a_step_is_pending_until_its_day_due_on_it_overdue_after_and_done_once_marked(dates, done_on):
    one_day = dt.timedelta(days=1)
    for item in schedule.derive(TOUR, dates):
        assert schedule.step_status(item.due, None, item.due - one_day) == "pending"
        assert schedule.step_status(item.due, None, item.due) == "due"
        assert schedule.step_status(item.due, None, item.due + one_day) == "overdue"
        for today in (item.due - one_day, item.due, item.due + one_day):
            assert schedule.step_status(item.due, done_on, today) == "done"


@pytest.mark.parametrize(
    "offset, anchor, expected",
    [
        ("+11m", dt.date(2026, 1, 31), dt.date(2026, 12, 31)),
        ("+1m", dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
        ("-1d", dt.date(2026, 3, 1), dt.date(2026, 2, 28)),
        ("+1w", dt.date(2026, 12, 28), dt.date(2027, 1, 4)),
        ("+1y", dt.date(2028, 2, 29), dt.date(2029, 2, 28)),
        ("0d", dt.date(2026, 5, 5), dt.date(2026, 5, 5)),
    ],
)
def test_offsets_in_days_weeks_months_and_years(offset, anchor, expected):
    assert playbooks.Offset.parse(offset).apply(anchor) == expected


# --- the derivation held to the playbook rules, written out apart (tests/schedule_oracle.py) ---

MIXED = playbooks.parse_playbook(
    {
        "id": "mixed",
        "dates": ["departure", "return"],
        "optional_dates": ["purchase"],
        "start": "departure",
        "steps": [
            {"no": 0, "id": "a", "title": "A", "channel": "call", "anchor": "departure", "offset": "-3d", "text": ""},
            {"no": 1, "id": "b", "title": "B", "channel": "sms", "anchor": "return", "offset": "+1m2w", "text": ""},
            {"no": 2, "id": "c", "title": "C", "channel": "email", "anchor": "return", "offset": "-1y", "text": ""},
            {"no": 3, "id": "d", "title": "D", "channel": "visit", "anchor": "return", "offset": "+1m", "text": ""},
        ],
    },
    "test",
)
ALL = [*PLAYBOOKS.values(), MIXED]
maybe_days = st.none() | days
month_ends = st.builds(
    lambda year, month, back: dt.date(year, month, 1) - dt.timedelta(days=back),
    st.integers(2020, 2035),
    st.integers(1, 12),
    st.integers(1, 3),
)
any_dates = st.tuples(maybe_days | month_ends, maybe_days | month_ends, maybe_days | month_ends, maybe_days)


def outcome(playbook, dates, calendar=None):
    try:
        return [schedule_oracle.Due(item.due, item.moved_from) for item in schedule.derive(playbook, dates, calendar)]
    except DateError as exc:
        return exc


def test_store_date_columns_are_in_the_deriver_s_anchor_order():
    from ppo_checklist.store.sql import DATE_COLUMNS

    assert tuple(DATE_COLUMNS) == playbooks.ANCHORS


@given(
    st.sampled_from(ALL), any_dates, st.sampled_from([None, WorkCalendar("RU", "mon-fri"), WorkCalendar("", "mon-sat")])
)
def test_due_dates_and_refusals_follow_the_playbook_rules(playbook, dates, calendar):
    by_name = dict(zip(playbooks.ANCHORS, dates))
    expected = schedule_oracle.schedule(playbook, by_name, calendar)
    got = outcome(playbook, by_name, calendar)
    if isinstance(expected, schedule_oracle.Refused):
        assert isinstance(got, DateError) and expected.names in str(got)
    else:
        assert got == expected


@given(st.sampled_from(ALL), any_dates)
def test_the_bulk_import_s_dues_are_the_schedule_s(playbook, dates):
    by_name = dict(zip(playbooks.ANCHORS, dates))
    try:
        bulk = list(schedule.Deriver(playbook).dues(dates))
    except DateError as exc:
        bulk = exc
    got = outcome(playbook, by_name)
    if isinstance(got, DateError):
        assert isinstance(bulk, DateError) and str(bulk) == str(got)
    else:
        assert bulk == [item.due for item in got]


def test_a_month_after_the_31st_is_the_month_s_last_day():
    dates = {"departure": dt.date(2027, 1, 31), "return": dt.date(2027, 1, 31)}
    dues = {item.step.id: item.due for item in schedule.derive(MIXED, dates)}
    assert dues["b"] == dt.date(2027, 3, 14)  # 28.02 + two weeks
    assert dues["c"] == dt.date(2027, 1, 31)  # a year before the return: pulled onto the departure
