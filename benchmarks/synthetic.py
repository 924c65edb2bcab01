"""Synthetic trips for the benchmark: a CSV in `ppo import`'s columns, and the history
(done marks, cancellations) that a real store of that size would carry.

How the data is made realistic (deterministic for a given seed and day):
- Dates. The departures of the N trips are spread evenly over three years, from about
  10 months before the run's day to about 26 months after it (a network's forward
  bookings). Purchases come 5-180 days before departure (most within two months),
  never after the run's day: a trip departing later was sold some day of the past
  year (an early booking); a tour lasts 5-16 nights.
  So only about 40 % of step dates are in the past: "about a third of steps done" and
  "a small overdue backlog" can both hold (with dates mostly in the past they cannot),
  and `ppo export` writes nearly every trip (it writes active trips): cron's worst case. An older history would
  only add done steps, which the open-steps index never visits.
- Playbooks: 85 % tours (7 steps), 15 % declined clients (2 steps).
- 20 managers, each with a share of the trips; one client in ten comes back for a
  second trip (same phone: the same client, a new trip); 60 % give an e-mail.
- Done marks: every step dated before the run's day is done, 0-2 days after its date,
  except a backlog of recent ones (the last 30 days; 300 per 100 000 trips, `BACKLOG`),
  so `ppo today` prints what a network's morning looks like: a few hundred overdue rows
  plus the day's steps (~90 trips depart each day at 100 000 trips over three years).
  About 40 % of all steps end up done (40 % measured at 100 000 trips: the issue asks
  for a third; early bookings' purchase steps add the rest). 2 % of trips are cancelled.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

SEED = 20261
MANAGERS = [
    "Ольга",
    "Игорь",
    "Марина",
    "Сергей",
    "Анна",
    "Дмитрий",
    "Елена",
    "Алексей",
    "Наталья",
    "Павел",
    "Татьяна",
    "Андрей",
    "Светлана",
    "Михаил",
    "Юлия",
    "Николай",
    "Ирина",
    "Владимир",
    "Ксения",
    "Роман",
]
FIRST = [
    "Анна",
    "Борис",
    "Вера",
    "Глеб",
    "Дарья",
    "Егор",
    "Жанна",
    "Захар",
    "Инна",
    "Кирилл",
    "Лидия",
    "Максим",
    "Нина",
    "Олег",
    "Полина",
    "Руслан",
    "София",
    "Тимур",
    "Ульяна",
    "Фёдор",
    "Яна",
    "Пётр",
]
LAST = [
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Волков",
    "Алексеев",
    "Орлов",
    "Зайцев",
    "Павлов",
    "Семёнов",
    "Голубев",
    "Виноградов",
]
COLUMNS = ["name", "phone", "email", "manager", "purchase", "departure", "return", "playbook", "declined", "note"]
DECLINED_SHARE = 0.15
REPEAT_CLIENT_SHARE = 0.10
CANCELLED_SHARE = 0.02
BACKLOG = 300  # per 100 000 trips
SPAN_BEFORE, SPAN_AFTER = 300, 795  # days of departures around the run's day: three years


def rows(n: int, today: dt.date, seed: int = SEED) -> Iterator[dict[str, str]]:
    """N trips as `ppo import` rows (ISO dates, as an export from a CRM would give)."""
    rnd = random.Random(seed)
    clients: list[tuple[str, str, str]] = []
    for i in range(n):
        if clients and rnd.random() < REPEAT_CLIENT_SHARE:
            name, phone, email = rnd.choice(clients)
        else:
            name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)} {i}"
            phone = f"+7 9{i // 10_000_000 % 100:02d} {i // 10_000 % 1000:03d}-{i // 100 % 100:02d}-{i % 100:02d}"
            email = f"client{i}@example.ru" if rnd.random() < 0.6 else ""
            clients.append((name, phone, email))
        manager = MANAGERS[int(rnd.triangular(0, len(MANAGERS), 0)) % len(MANAGERS)]
        departure = today + dt.timedelta(days=-SPAN_BEFORE + (SPAN_BEFORE + SPAN_AFTER) * i // max(n, 1))
        row = {
            "name": name,
            "phone": phone,
            "email": email,
            "manager": manager,
            "purchase": "",
            "departure": "",
            "return": "",
            "playbook": "tour",
            "declined": "",
            "note": "",
        }
        if rnd.random() < DECLINED_SHARE:
            declined = departure - dt.timedelta(days=rnd.randint(3, 60))
            if declined > today:
                declined = today - dt.timedelta(days=rnd.randint(1, 365))
            row.update(
                playbook="declined",
                declined=declined.isoformat(),
                departure=departure.isoformat() if rnd.random() < 0.5 else "",
            )
        else:
            lead = int(rnd.choice((rnd.uniform(5, 60), rnd.uniform(5, 60), rnd.uniform(30, 180))))
            purchase = departure - dt.timedelta(days=lead)
            if purchase > today:  # an early booking: sold some day in the last year
                purchase = today - dt.timedelta(days=rnd.randint(1, 365))
            back = departure + dt.timedelta(days=rnd.randint(5, 16))
            row.update(purchase=purchase.isoformat(), departure=departure.isoformat(), **{"return": back.isoformat()})
        if rnd.random() < 0.05:
            row["note"] = rnd.choice(("VIP", "с детьми", "второй раз с нами", "=просил не звонить до 12"))
        yield row


def write_csv(path: Path, n: int, today: dt.date, seed: int = SEED) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows(n, today, seed))


def history(steps: list[tuple[int, int, dt.date]], trip_ids: list[int], today: dt.date, seed: int = SEED):
    """Which steps are done (and when) and which trips are cancelled, as a real store would have them.

    `steps` are (trip id, step no, due) of every step. Returns (done: [(trip, no, day)], cancelled: [trip]).
    """
    rnd = random.Random(seed + 1)
    past = [s for s in steps if s[2] < today]
    recent = [s for s in past if (today - s[2]).days <= 30]
    backlog = set(rnd.sample(recent, min(max(1, BACKLOG * len(trip_ids) // 100_000), len(recent))))
    done = []
    for trip_id, no, due in past:
        if (trip_id, no, due) not in backlog:
            done.append((trip_id, no, min(due + dt.timedelta(days=rnd.choice((0, 0, 0, 1, 2))), today)))
    cancelled = [t for t in trip_ids if rnd.random() < CANCELLED_SHARE]
    return done, cancelled
