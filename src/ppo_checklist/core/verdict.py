"""The client's verdict after a trip, and the complaint a dissatisfied one opens. Pure.

After the method's satisfaction survey (four levels per aspect, and how the answer was
collected): the tour and the agency's service, each 4 very satisfied, 3 satisfied,
2 dissatisfied, 1 very dissatisfied. A 1 or 2 on either aspect opens a complaint for the
service director, with deadlines in hours after the method's complaint process: taken within
2 h, answered within 4 h, resolved within 8 h (config `complaint_hours`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import N_, _

LEVELS = (1, 2, 3, 4)
LEVEL_NAMES = {
    4: N_("very satisfied"),
    3: N_("satisfied"),
    2: N_("dissatisfied"),
    1: N_("very dissatisfied"),
}
# What a person types for a level besides its number (Russian as the method says it, English).
_LEVEL_WORDS = {
    "очень доволен": 4,
    "очень довольна": 4,
    "очень довольны": 4,
    "полностью удовлетворен": 4,
    "доволен": 3,
    "довольна": 3,
    "довольны": 3,
    "удовлетворен": 3,
    "недоволен": 2,
    "недовольна": 2,
    "недовольны": 2,
    "не доволен": 2,
    "не довольна": 2,
    "не удовлетворен": 2,
    "очень недоволен": 1,
    "очень недовольна": 1,
    "очень недовольны": 1,
    "совсем не удовлетворен": 1,
    "very satisfied": 4,
    "satisfied": 3,
    "dissatisfied": 2,
    "very dissatisfied": 1,
}
SATISFIED = frozenset({3, 4})
VIA = ("call", "email", "visit", "messenger")
ASPECTS = ("tour", "service")

# A complaint's stages, in order, with the default hours after it was opened.
STAGES = ("taken", "answered", "resolved")
COMPLAINT_STEP = "complaint"  # what `ppo done TRIP complaint` names; `complaint-taken` a stage


class Feedback(NamedTuple):
    id: int
    trip_id: int
    tour: int
    service: int
    via: str
    note: str | None
    on: dt.date
    recorded_at: str

    @property
    def dissatisfied(self) -> bool:
        return self.tour not in SATISFIED or self.service not in SATISFIED


class Complaint(NamedTuple):
    """A complaint: when it was opened, its three deadlines and when each stage was done
    (UTC, ISO, to the second)."""

    id: int
    trip_id: int
    feedback_id: int
    opened_at: str
    deadlines: tuple[str, str, str]  # take by, answer by, resolve by
    done: tuple[str | None, str | None, str | None]  # taken at, answered at, resolved at

    @property
    def closed(self) -> bool:
        return self.done[2] is not None

    def next_stage(self) -> int | None:
        """The first stage not done (0 taken, 1 answered, 2 resolved), None when closed."""
        if self.closed:
            return None
        return next(n for n, at in enumerate(self.done) if at is None)

    def hours_late(self, now: dt.datetime) -> int:
        """Whole hours past the next stage's deadline (0 when not late or closed)."""
        stage = self.next_stage()
        if stage is None:
            return 0
        late = now - dt.datetime.fromisoformat(self.deadlines[stage])
        return max(int(late.total_seconds() // 3600), 0) if late > dt.timedelta(0) else 0

    def overdue(self, now: dt.datetime) -> bool:
        stage = self.next_stage()
        return stage is not None and now > dt.datetime.fromisoformat(self.deadlines[stage])


def parse_level(text: str, aspect: str) -> int:
    """A level typed as 1-4 or as words; BadInput naming the aspect otherwise."""
    value = " ".join(text.strip().casefold().replace("ё", "е").split())
    if value.isdigit() and int(value) in LEVELS:
        return int(value)
    if value in _LEVEL_WORDS:
        return _LEVEL_WORDS[value]
    raise BadInput(
        _("--{aspect}: '{v}' is not a level (1-4, 4 = very satisfied, or the words: {w})").format(
            aspect=aspect, v=text, w=", ".join(_(LEVEL_NAMES[n]) for n in sorted(LEVEL_NAMES, reverse=True))
        )
    )


def deadlines(opened: dt.datetime, hours: tuple[int, int, int]) -> tuple[str, str, str]:
    stamps = [(opened + dt.timedelta(hours=h)).isoformat(timespec="seconds") for h in hours]
    return stamps[0], stamps[1], stamps[2]


def latest(feedback: Iterable[Feedback]) -> dict[int, Feedback]:
    """Each trip's standing answer: a later one corrects an earlier (the history stays stored)."""
    result: dict[int, Feedback] = {}
    for item in sorted(feedback, key=lambda f: f.id):
        result[item.trip_id] = item
    return result


class Satisfaction(NamedTuple):
    """One manager's answers: per aspect, how many at each level, and the share satisfied."""

    answers: int
    tour: dict[int, int]
    service: dict[int, int]

    @classmethod
    def of(cls, answers: Iterable[Feedback]) -> Satisfaction:
        answers = list(answers)
        tour = Counter(f.tour for f in answers)
        service = Counter(f.service for f in answers)
        return cls(len(answers), {n: tour[n] for n in LEVELS}, {n: service[n] for n in LEVELS})

    def share(self, aspect: str) -> float | None:
        counts = self.tour if aspect == "tour" else self.service
        if not self.answers:
            return None
        return round(sum(counts[n] for n in SATISFIED) / self.answers, 4)

    def record(self) -> dict:
        return {
            "answers": self.answers,
            **{
                aspect: {
                    "levels": {str(n): (self.tour if aspect == "tour" else self.service)[n] for n in LEVELS},
                    "satisfied_share": self.share(aspect),
                }
                for aspect in ASPECTS
            },
        }
