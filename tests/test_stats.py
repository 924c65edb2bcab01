"""The director's figures as pure functions over plain records (no store, no CLI)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ppo_checklist import stats
from ppo_checklist.core import schedule
from ppo_checklist.errors import BadInput
from ppo_checklist.stats import Period, StepTally, TripDates

D = dt.date
NOV = Period(D(2026, 11, 1), D(2026, 11, 30))
AS_OF = D(2026, 11, 20)


def tally(due, done_on=None, manager="Olga", step_no=0, step_id="ppo-do", playbook="tour", count=1):
    return StepTally(manager, playbook, step_no, step_id, due, done_on, count)


def tour(client, purchase, manager="Olga"):
    return TripDates(client, manager, purchase, None)


def declined(client, day, manager="Olga"):
    return TripDates(client, manager, None, day)


# --- a step's place in the figures -------------------------------------------------------------


def test_done_on_the_due_day_is_on_time_and_the_day_after_is_late():
    assert stats.classify(D(2026, 11, 10), D(2026, 11, 10), AS_OF) == stats.ON_TIME
    assert stats.classify(D(2026, 11, 10), D(2026, 11, 9), AS_OF) == stats.ON_TIME
    assert stats.classify(D(2026, 11, 10), D(2026, 11, 11), AS_OF) == stats.LATE


def test_open_step_due_today_is_pending_not_overdue():
    assert stats.classify(AS_OF, None, AS_OF) == stats.PENDING
    assert stats.classify(AS_OF - dt.timedelta(days=1), None, AS_OF) == stats.OVERDUE
    assert stats.classify(AS_OF + dt.timedelta(days=1), None, AS_OF) == stats.PENDING


days = st.dates(min_value=D(2026, 1, 1), max_value=D(2027, 12, 31))


@given(due=days, done_on=st.none() | days, as_of=days)
def test_classification_agrees_with_step_status(due, done_on, as_of):
    kind = stats.classify(due, done_on, as_of)
    status = schedule.step_status(due, done_on, as_of)
    expected = {
        schedule.DONE: {stats.ON_TIME, stats.LATE},
        schedule.OVERDUE: {stats.OVERDUE},
        schedule.DUE: {stats.PENDING},
        schedule.PENDING: {stats.PENDING},
    }
    assert kind in expected[status]


# --- periods ------------------------------------------------------------------------------


def test_default_period_is_the_month_of_as_of():
    assert stats.period(D(2028, 2, 10)) == Period(D(2028, 2, 1), D(2028, 2, 29))


def test_only_to_given_starts_at_the_first_of_its_month():
    assert stats.period(AS_OF, end=D(2026, 9, 15)) == Period(D(2026, 9, 1), D(2026, 9, 15))


def test_only_from_given_runs_to_the_end_of_as_of_month():
    assert stats.period(AS_OF, start=D(2026, 6, 1)) == Period(D(2026, 6, 1), D(2026, 11, 30))


def test_from_after_to_is_refused():
    with pytest.raises(BadInput, match="after"):
        stats.period(AS_OF, D(2026, 11, 2), D(2026, 11, 1))


def test_a_one_day_period_is_allowed():
    assert D(2026, 11, 5) in stats.period(AS_OF, D(2026, 11, 5), D(2026, 11, 5))


# --- step figures ---------------------------------------------------------------------------


def test_due_is_the_sum_of_on_time_late_overdue_and_pending():
    tallies = [
        tally(D(2026, 11, 2), D(2026, 11, 2), count=3),
        tally(D(2026, 11, 3), D(2026, 11, 5)),
        tally(D(2026, 11, 4)),
        tally(AS_OF),
        tally(D(2026, 11, 25), count=2),
    ]
    report = stats.summarise(tallies, [], NOV, AS_OF)
    olga = dict(report.managers)["Olga"]
    assert (olga.on_time, olga.late, olga.overdue, olga.pending) == (3, 1, 1, 3)
    assert olga.due == 8
    assert olga.came_due == 5  # the steps ahead (due today or later, not done) apart
    assert olga.on_time_rate == 0.6


def test_steps_due_outside_the_period_do_not_count():
    tallies = [tally(D(2026, 10, 31), D(2026, 10, 31)), tally(D(2026, 12, 1))]
    report = stats.summarise(tallies, [], NOV, AS_OF)
    assert report.managers == ()
    assert report.total.due == 0


def test_nothing_due_gives_no_rate_instead_of_dividing_by_zero():
    report = stats.summarise([], [], NOV, AS_OF)
    assert report.total.on_time_rate is None
    assert report.outcomes.came_back_rate is None
    assert report.record()["total"]["on_time_rate"] is None


def test_a_named_manager_without_steps_is_listed_with_zeros():
    report = stats.summarise([tally(D(2026, 11, 2))], [], NOV, AS_OF, managers=["Zoya"])
    assert report.managers == (("Zoya", stats.Figures()),)
    assert report.total == stats.Figures()


def test_managers_are_listed_alphabetically_whatever_the_case():
    tallies = [tally(D(2026, 11, 2), manager=name) for name in ("olga", "Boris", "anna")]
    report = stats.summarise(tallies, [], NOV, AS_OF)
    assert [name for name, _ in report.managers] == ["anna", "Boris", "olga"]


def test_rates_are_rounded_to_four_places():
    tallies = [tally(D(2026, 11, 2), D(2026, 11, 2)), tally(D(2026, 11, 3), count=2), tally(D(2026, 11, 25))]
    assert stats.summarise(tallies, [], NOV, AS_OF).total.on_time_rate == 0.3333


def test_steps_are_figured_per_playbook_step_across_managers():
    tallies = [
        tally(D(2026, 11, 2), D(2026, 11, 9), manager="Olga", step_no=1, step_id="reminder"),
        tally(D(2026, 11, 2), None, manager="Ivan", step_no=1, step_id="reminder"),
        tally(
            D(2026, 11, 2),
            D(2026, 11, 2),
            manager="Ivan",
            playbook="declined",
            step_id="decline-chain",
        ),
    ]
    steps = stats.summarise(tallies, [], NOV, AS_OF).record()["steps"]
    assert [(s["playbook"], s["step_no"], s["late"], s["overdue"], s["on_time"]) for s in steps] == [
        ("declined", 0, 0, 0, 1),
        ("tour", 1, 1, 1, 0),
    ]


# --- outcomes -----------------------------------------------------------------------------


def test_trips_sold_counts_tours_purchased_in_the_period():
    trips = [
        tour(1, D(2026, 10, 31)),
        tour(2, D(2026, 11, 1)),
        tour(3, D(2026, 11, 30)),
        declined(4, D(2026, 11, 5)),
    ]
    assert stats.outcomes(trips, NOV, AS_OF).trips_sold == 2


def test_a_returning_client_bought_in_the_period_and_had_bought_before():
    trips = [
        tour(1, D(2026, 6, 1)), tour(1, D(2026, 11, 3)),  # returning
        tour(2, D(2026, 11, 3)), tour(2, D(2026, 11, 20)),  # twice in the period: counted once
        tour(3, D(2026, 11, 3)), tour(3, D(2027, 1, 10)),  # the second tour is after the period
        tour(4, D(2026, 5, 1)), tour(4, D(2026, 6, 1)),  # no tour in the period
        declined(5, D(2026, 10, 1)), tour(5, D(2026, 11, 3)),  # a decline is not a tour
    ]  # fmt: skip
    result = stats.outcomes(trips, NOV, AS_OF)
    assert (result.trips_sold, result.returning_clients) == (5, 2)


def test_came_back_means_a_tour_bought_after_the_decline_by_as_of():
    trips = [
        declined(1, D(2026, 11, 5)), tour(1, D(2026, 11, 6)),  # came back
        declined(2, D(2026, 11, 5)), tour(2, D(2026, 11, 5)),  # same day: not after
        declined(3, D(2026, 11, 5)), tour(3, D(2026, 11, 25)),  # after as_of: not yet
        declined(4, D(2026, 11, 5)), tour(4, D(2026, 1, 5)),  # bought before declining
        declined(5, D(2026, 10, 5)), tour(5, D(2026, 11, 6)),  # declined before the period
    ]  # fmt: skip
    result = stats.outcomes(trips, NOV, AS_OF)
    assert (result.declined, result.declined_came_back, result.came_back_rate) == (4, 1, 0.25)


def test_a_client_declining_twice_counts_once_from_the_first_decline():
    trips = [declined(1, D(2026, 11, 2)), declined(1, D(2026, 11, 10)), tour(1, D(2026, 11, 5))]
    result = stats.outcomes(trips, NOV, AS_OF)
    assert (result.declined, result.declined_came_back) == (1, 1)


def test_manager_filter_takes_their_sales_and_declines_but_any_comeback():
    trips = [
        tour(1, D(2026, 11, 2), "Olga"),
        tour(2, D(2026, 11, 2), "Ivan"),
        declined(3, D(2026, 11, 2), "Olga"),
        tour(3, D(2026, 11, 9), "Ivan"),  # Olga's decline, won back by Ivan
    ]
    result = stats.outcomes(trips, NOV, AS_OF, managers={"Olga"})
    assert (result.trips_sold, result.declined, result.declined_came_back) == (1, 1, 1)


def test_record_has_the_documented_shape():
    report = stats.summarise([tally(D(2026, 11, 2), D(2026, 11, 2))], [tour(1, D(2026, 11, 2))], NOV, AS_OF)
    record = report.record()
    assert list(record) == ["period", "as_of", "managers", "total", "steps", "outcomes"]
    assert record["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert record["as_of"] == "2026-11-20"
    figures = ["due", "on_time", "late", "overdue", "lapsed", "missed", "pending", "skipped", "opted_out"]
    figures += ["on_time_rate", "came_due", "no_consent"]
    assert list(record["managers"][0]) == ["manager", *figures, "satisfaction"]
    assert list(record["total"]) == [*figures, "satisfaction"]
    assert list(record["total"]["satisfaction"]) == ["answers", "tour", "service"]
    assert list(record["steps"][0]) == ["playbook", "step_no", "step_id", *figures, "title", "playbook_name"]
    assert list(record["outcomes"]) == [
        "trips_sold", "returning_clients", "declined", "declined_came_back", "came_back_rate",
    ]  # fmt: skip
