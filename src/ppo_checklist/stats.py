"""The director's figures: is the algorithm followed, by whom, and does it bring clients back.

Pure computation over plain records read by the store; a step's status comes from
`schedule.step_status`, so these figures never disagree with `today`, `show` or the workbook.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.core import schedule
from ppo_checklist.core.consent import ads_steps
from ppo_checklist.core.model import LAPSED, NO_CONSENT, OPTED_OUT, OVERDUE, PENDING, SKIPPED, StepTally, TripDates
from ppo_checklist.core.playbooks import Playbook
from ppo_checklist.core.verdict import Feedback, Satisfaction, latest
from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import _

# A step's kind in the figures: a done step on time or late; else its status by the one rule
# (core/model), a step due today still pending (not late yet). Lapsed: missed, as overdue is,
# for good; skipped, opted out, no consent (a person's or the client's word): outside the rate.
ON_TIME, LATE = "on_time", "late"
KINDS = (ON_TIME, LATE, OVERDUE, LAPSED, PENDING, SKIPPED, OPTED_OUT, NO_CONSENT)
RATE_PLACES = 4


@dataclass(frozen=True)
class Period:
    """Both ends included."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def period(as_of: dt.date, start: dt.date | None = None, end: dt.date | None = None) -> Period:
    """The period asked for; a missing end is the last day of as_of's month, a missing start
    the first day of the end's month when only the end is given, else of as_of's month."""
    if end is None:
        end = as_of.replace(day=calendar.monthrange(as_of.year, as_of.month)[1])
        if start is None:
            start = as_of.replace(day=1)
    elif start is None:
        start = end.replace(day=1)
    if start > end:
        raise BadInput(
            _("--from ({a}) is after --to ({b})").format(a=start.strftime(DAY_FORMAT), b=end.strftime(DAY_FORMAT))
        )
    return Period(start, end)


@dataclass(frozen=True)
class Figures:
    """Steps due in the period: due = on_time + late + overdue + lapsed + pending; missed =
    overdue + lapsed. Skipped steps, the letters and SMS of clients who opted out and the
    advertising ones without the client's consent (`no_consent`) are counted beside, outside
    `due` and the on-time rate.

    The on-time rate is over the steps whose day has come (`came_due`: done, on time or late,
    or missed: overdue or lapsed); the steps ahead (`pending`: not done, due on as_of or later)
    are counted apart, since nobody could have done them late yet. A day when most steps are
    ahead must not read as a failing team.
    """

    on_time: int = 0
    late: int = 0
    overdue: int = 0
    lapsed: int = 0
    pending: int = 0
    skipped: int = 0
    opted_out: int = 0
    no_consent: int = 0

    @classmethod
    def of(cls, counts: Counter) -> Figures:
        return cls(*(counts[kind] for kind in KINDS))

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.overdue + self.lapsed + self.pending

    @property
    def missed(self) -> int:
        return self.overdue + self.lapsed

    @property
    def came_due(self) -> int:
        """The steps the rate is over: done (on time or late) or missed (overdue or lapsed)."""
        return self.on_time + self.late + self.overdue + self.lapsed

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.came_due)

    def record(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "on_time": self.on_time,
            "late": self.late,
            "overdue": self.overdue,
            "lapsed": self.lapsed,
            "missed": self.missed,
            "pending": self.pending,
            "skipped": self.skipped,
            "opted_out": self.opted_out,
            "on_time_rate": self.on_time_rate,
            "came_due": self.came_due,
            "no_consent": self.no_consent,
        }


@dataclass(frozen=True)
class StepFigures:
    playbook: str
    step_no: int
    step_id: str
    figures: Figures
    title: str = ""  # as people read it (the playbook's); the step id when unknown
    playbook_title: str = ""  # the playbook's short name; its id when unknown


@dataclass(frozen=True)
class Outcomes:
    trips_sold: int = 0
    returning_clients: int = 0
    declined: int = 0
    declined_came_back: int = 0

    @property
    def came_back_rate(self) -> float | None:
        return _rate(self.declined_came_back, self.declined)

    def record(self) -> dict[str, Any]:
        return {
            "trips_sold": self.trips_sold,
            "returning_clients": self.returning_clients,
            "declined": self.declined,
            "declined_came_back": self.declined_came_back,
            "came_back_rate": self.came_back_rate,
        }


@dataclass(frozen=True)
class KpiReport:
    period: Period
    as_of: dt.date
    managers: tuple[tuple[str, Figures], ...]
    total: Figures
    steps: tuple[StepFigures, ...]
    outcomes: Outcomes
    # The clients' verdict on trips answered in the period, per manager (their trips), and all.
    satisfaction: tuple[tuple[str, Satisfaction], ...] = ()
    satisfaction_total: Satisfaction = field(default_factory=lambda: Satisfaction.of(()))

    def satisfaction_of(self, manager: str) -> Satisfaction:
        return dict(self.satisfaction).get(manager) or Satisfaction.of(())

    def record(self) -> dict[str, Any]:
        """The stable json shape (README: "Director's figures")."""
        return {
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "as_of": self.as_of.isoformat(),
            "managers": [
                {"manager": name, **figures.record(), "satisfaction": self.satisfaction_of(name).record()}
                for name, figures in self.managers
            ],
            "total": {**self.total.record(), "satisfaction": self.satisfaction_total.record()},
            "steps": [
                {
                    "playbook": s.playbook,
                    "step_no": s.step_no,
                    "step_id": s.step_id,
                    **s.figures.record(),
                    "title": s.title or s.step_id,
                    "playbook_name": s.playbook_title or s.playbook,
                }
                for s in self.steps
            ],
            "outcomes": self.outcomes.record(),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, RATE_PLACES) if whole else None


def classify(
    due: dt.date,
    done_on: dt.date | None,
    as_of: dt.date,
    lapses_on: dt.date | None = None,
    skipped: bool = False,
    opted_out: bool = False,
    no_consent: bool = False,
) -> str:
    """on_time, late, overdue, lapsed or pending (a step due on as_of and not done is pending,
    not late yet), or skipped / opted_out / no_consent (outside the rate): by the one status
    rule."""
    status = schedule.step_status(due, done_on, as_of, False, lapses_on, skipped, opted_out, no_consent)
    if status == schedule.DONE:
        assert done_on is not None
        return LATE if done_on > due else ON_TIME
    if status in (OVERDUE, LAPSED, SKIPPED, OPTED_OUT, NO_CONSENT):
        return status
    return PENDING


def summarise(
    tallies: Iterable[StepTally],
    trips: Iterable[TripDates],
    within: Period,
    as_of: dt.date,
    managers: Collection[str] | None = None,
    names: Names | None = None,
    ads: Collection[tuple[str, str]] = (),
) -> KpiReport:
    """Every figure of the report from plain records (steps and trips of cancelled trips left out
    by the caller). With `managers`, only theirs, and each of them listed even with nothing due.
    `names`: how people read the playbooks and steps (`names_of`); `ads`: the (playbook, step
    id) whose message is advertising (`consent.ads_steps`), `no_consent` without the client's
    consent on record."""
    wanted = set(managers) if managers else None
    by_manager: dict[str, Counter] = defaultdict(Counter)
    by_step: dict[tuple[str, int, str], Counter] = defaultdict(Counter)
    for name in wanted or ():
        by_manager[name] = Counter()  # listed even with nothing due
    for tally in tallies:
        if tally.due not in within or (wanted is not None and tally.manager not in wanted):
            continue
        unconsented = not tally.ads_consent and (tally.playbook, tally.step_id) in ads
        kind = classify(tally.due, tally.done_on, as_of, tally.lapses_on, tally.skipped, tally.opted_out, unconsented)
        by_manager[tally.manager][kind] += tally.steps
        by_step[(tally.playbook, tally.step_no, tally.step_id)][kind] += tally.steps
    total: Counter = Counter()
    for counts in by_manager.values():
        total.update(counts)
    return KpiReport(
        period=within,
        as_of=as_of,
        managers=tuple((name, Figures.of(by_manager[name])) for name in sorted(by_manager, key=_manager_order)),
        total=Figures.of(total),
        steps=tuple(
            StepFigures(pb, no, sid, Figures.of(by_step[(pb, no, sid)]), *(names or {}).get((pb, no), ("", "")))
            for pb, no, sid in sorted(by_step)
        ),
        outcomes=outcomes(trips, within, as_of, wanted),
    )


def _manager_order(name: str) -> tuple[str, str]:
    return (name.casefold(), name)


def outcomes(
    trips: Iterable[TripDates],
    within: Period,
    as_of: dt.date,
    managers: Collection[str] | None = None,
) -> Outcomes:
    """What the method is for, in the period (trips of cancelled trips left out by the caller):
    - trips_sold: tours purchased in the period;
    - returning_clients: clients who bought a tour in the period and, counting it, have bought
      at least two tours by the period's end;
    - declined: clients whose decline became known in the period;
    - declined_came_back: of those, clients who bought a tour after their (first) decline in the
      period, by as_of, from any manager.
    With `managers`, the sales and the declines are theirs."""
    purchases: dict[int, list[dt.date]] = defaultdict(list)
    sold: list[TripDates] = []
    declined: dict[int, dt.date] = {}
    for trip in trips:
        mine = managers is None or trip.manager in managers
        if trip.purchase is not None:
            purchases[trip.client_id].append(trip.purchase)
            if mine and trip.purchase in within:
                sold.append(trip)
        if mine and trip.declined in within:
            assert trip.declined is not None
            first = declined.get(trip.client_id)
            declined[trip.client_id] = trip.declined if first is None else min(first, trip.declined)
    returning = {trip.client_id for trip in sold if sum(day <= within.end for day in purchases[trip.client_id]) >= 2}
    came_back = sum(
        any(day > declined_on and day <= as_of for day in purchases[client]) for client, declined_on in declined.items()
    )
    return Outcomes(len(sold), len(returning), len(declined), came_back)


def satisfaction(
    answers: Iterable[tuple[str, Feedback]], managers: Iterable[str]
) -> tuple[tuple[tuple[str, Satisfaction], ...], Satisfaction]:
    """Per manager (each of `managers` listed, and any other with answers), each trip's standing
    answer (a correction replaces the answer it corrects), and the total."""
    answers = list(answers)
    manager_of = {f.trip_id: name for name, f in answers}
    standing = latest(f for _name, f in answers)
    by_manager: dict[str, list[Feedback]] = {name: [] for name in managers}
    for trip_id, answer in standing.items():
        by_manager.setdefault(manager_of[trip_id], []).append(answer)
    per = tuple((name, Satisfaction.of(by_manager[name])) for name in sorted(by_manager, key=_manager_order))
    return per, Satisfaction.of(standing.values())


# (playbook id, step no) -> (the step's title, the playbook's short name)
Names = Mapping[tuple[str, int], tuple[str, str]]


def names_of(playbooks: Mapping[str, Playbook]) -> dict[tuple[str, int], tuple[str, str]]:
    """How people read each step of the installed playbooks: its title, its playbook's name."""
    return {(pb.id, step.no): (step.title, pb.name) for pb in playbooks.values() for step in pb.steps}


def compute(
    store,
    within: Period,
    as_of: dt.date,
    managers: Collection[str] | None = None,
    playbooks: Mapping[str, Playbook] | None = None,
) -> KpiReport:
    """The report for a period, as of a day, read from the store (the one entry point for the
    `stats` command and the workbook's Summary sheet); `playbooks` name the steps."""
    wanted = sorted(set(managers)) if managers else None
    tallies = store.step_tallies(within.start, within.end, wanted)
    trips = store.outcome_trips(within.start, within.end)
    names, ads = (names_of(playbooks), ads_steps(playbooks)) if playbooks else (None, frozenset())
    report = summarise(tallies, trips, within, as_of, wanted, names, ads)
    answers = store.feedback_by_manager(within.start, within.end, wanted)
    per, total = satisfaction(answers, [name for name, _f in report.managers])
    return replace(report, satisfaction=per, satisfaction_total=total)
