"""The store: clients, trips, steps and done marks in SQLite. All SQL lives here.

One connection per command, one transaction per command (`with store.write():`), WAL
and a busy timeout so that two managers' commands at the same moment both succeed.
A later PostgreSQL store for agency networks implements the same methods.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ppo_checklist.errors import BadInput, NotFound, StoreError
from ppo_checklist.i18n import _
from ppo_checklist.migrations import LATEST, MIGRATIONS

BUSY_TIMEOUT_MS = 30_000
DATE_COLUMNS = {"purchase": "purchase", "departure": "departure", "return": "return_on", "declined": "declined"}


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class TripStep:
    no: int
    id: str
    title: str
    channel: str
    due: dt.date
    done_on: dt.date | None = None
    done_at: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Trip:
    id: int
    client: Client
    manager: str
    playbook: str
    dates: dict[str, dt.date]
    note: str | None
    created_at: str
    cancelled_on: dt.date | None
    cancel_reason: str | None
    steps: tuple[TripStep, ...] = field(default=())

    @property
    def status(self) -> str:
        if self.cancelled_on is not None:
            return "cancelled"
        if self.steps and all(s.done_on is not None for s in self.steps):
            return "finished"
        return "active"


@dataclass(frozen=True)
class AgendaRow:
    """One open step of an active trip, with what a manager needs to act on it."""

    trip_id: int
    client: str
    phone: str | None
    email: str | None
    manager: str
    playbook: str
    step_no: int
    step_id: str
    title: str
    channel: str
    due: dt.date
    dates: dict[str, dt.date]


class NewStep(NamedTuple):  # a tuple: a bulk import makes 700 000 of them
    no: int
    id: str
    title: str
    channel: str
    due: dt.date


_NON_DIGITS = re.compile(r"\D")


def phone_key(phone: str | None) -> str | None:
    """Digits only; a Russian 8XXXXXXXXXX is the same number as +7XXXXXXXXXX."""
    if not phone:
        return None
    digits = _NON_DIGITS.sub("", phone)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits.startswith("9"):
        digits = "7" + digits
    return digits or None


def email_key(email: str | None) -> str | None:
    return email.strip().lower() or None if email else None


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class _IsoDays(dict):
    """Dates as ISO text, each day formatted once: a bulk import writes a few thousand
    distinct days 800 000 times."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, day: dt.date) -> str:
        text = self[day] = day.isoformat()
        return text


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Store:
    def __init__(self, connection: sqlite3.Connection, path: Path):
        self.db = connection
        self.path = path

    # --- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating it owner-only on first use) and bring the schema up to date."""
        path = path.expanduser()
        try:
            _create_private(path)
            connection = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            store = cls(connection, path)
            store._prepare()
        except sqlite3.DatabaseError as exc:
            raise StoreError(_("cannot open the store {path}: {e}").format(path=path, e=exc)) from None
        return store

    def _prepare(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > LATEST:
            raise StoreError(
                _("the store {path} has schema v{v}, newer than this ppo knows (v{k}): upgrade ppo").format(
                    path=self.path, v=version, k=LATEST
                )
            )
        if version == 0:  # a new store, perhaps in a file made by someone else: owner only
            _make_private(self.path)
        if version < LATEST:
            self._migrate()
        if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA foreign_keys = ON")

    def _migrate(self) -> None:
        with self.write():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, LATEST):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        """One transaction: everything inside is written, or nothing is."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(_("the store {path} is locked: {e}").format(path=self.path, e=exc)) from None
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise StoreError(_("cannot write the store {path}: {e}").format(path=self.path, e=exc)) from None

    def _rollback(self) -> None:
        """Undo the transaction, unless SQLite already has (a full disk, an I/O error)."""
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    # --- clients -----------------------------------------------------------------------

    def find_client(self, phone: str | None, email: str | None) -> Client | None:
        """The known client with this phone or e-mail; both pointing at different clients is an error."""
        found: dict[int, Client] = {}
        for column, key in (("phone_key", phone_key(phone)), ("email_key", email_key(email))):
            if key:
                row = self.db.execute(
                    f"SELECT id, name, phone, email FROM clients WHERE {column} = ?", (key,)
                ).fetchone()
                if row:
                    found[row[0]] = Client(*row)
        if len(found) > 1:
            raise BadInput(_("the phone and the e-mail belong to two different clients"))
        return next(iter(found.values()), None)

    def add_client(self, name: str, phone: str | None, email: str | None) -> Client:
        cursor = self.db.execute(
            "INSERT INTO clients (name, phone, email, phone_key, email_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, phone or None, email or None, phone_key(phone), email_key(email), _now()),
        )
        return Client(int(cursor.lastrowid or 0), name, phone or None, email or None)

    def client_for(self, name: str, phone: str | None, email: str | None) -> Client:
        """The known client with this phone or e-mail (filling in what it lacked), or a new one."""
        client = self.find_client(phone, email)
        if client is None:
            return self.add_client(name, phone, email)
        if (phone and not client.phone) or (email and not client.email):
            missing_phone = phone if not client.phone else None
            return self.update_client(client.id, phone=missing_phone, email=email if not client.email else None)
        return client

    def update_client(
        self, client_id: int, name: str | None = None, phone: str | None = None, email: str | None = None
    ) -> Client:
        changes: dict[str, str | None] = {}
        if name is not None:
            changes["name"] = name
        if phone is not None:
            changes.update(phone=phone or None, phone_key=phone_key(phone))
        if email is not None:
            changes.update(email=email or None, email_key=email_key(email))
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            try:
                self.db.execute(f"UPDATE clients SET {assignments} WHERE id = ?", (*changes.values(), client_id))
            except sqlite3.IntegrityError:
                raise BadInput(_("that phone or e-mail already belongs to another client")) from None
        row = self.db.execute("SELECT id, name, phone, email FROM clients WHERE id = ?", (client_id,)).fetchone()
        return Client(*row)

    # --- trips -------------------------------------------------------------------------

    def add_trip(
        self,
        client: Client,
        manager: str,
        playbook: str,
        dates: dict[str, dt.date | None],
        steps: Sequence[NewStep],
        note: str | None = None,
    ) -> int:
        columns = [DATE_COLUMNS[name] for name in DATE_COLUMNS]
        values = [dates[name].isoformat() if dates.get(name) else None for name in DATE_COLUMNS]  # type: ignore[union-attr]
        cursor = self.db.execute(
            f"INSERT INTO trips (client_id, manager, playbook, {', '.join(columns)}, note, created_at)"
            f" VALUES (?, ?, ?, {', '.join('?' * len(columns))}, ?, ?)",
            (client.id, manager, playbook, *values, note or None, _now()),
        )
        trip_id = int(cursor.lastrowid or 0)
        self._insert_steps(trip_id, steps)
        return trip_id

    def _insert_steps(self, trip_id: int, steps: Iterable[NewStep]) -> None:
        self.db.executemany(
            "INSERT INTO steps (trip_id, no, step_id, title, channel, due) VALUES (?, ?, ?, ?, ?, ?)",
            [(trip_id, s.no, s.id, s.title, s.channel, s.due.isoformat()) for s in steps],
        )

    def find_trip(self, client_id: int, playbook: str, dates: dict[str, dt.date | None]) -> int | None:
        """A trip of this client with the same playbook and dates (the same trip, imported again)."""
        conditions = " AND ".join(f"{column} IS ?" for column in DATE_COLUMNS.values())
        values = [dates[name].isoformat() if dates.get(name) else None for name in DATE_COLUMNS]  # type: ignore[union-attr]
        row = self.db.execute(
            f"SELECT id FROM trips WHERE client_id = ? AND playbook = ? AND {conditions}",
            (client_id, playbook, *values),
        ).fetchone()
        return row[0] if row else None

    def trip(self, trip_id: int) -> Trip:
        if not 0 < trip_id < 2**63:
            raise NotFound(_("no trip {id}").format(id=trip_id))
        row = self.db.execute(_TRIP_SELECT + " WHERE t.id = ?", (trip_id,)).fetchone()
        if row is None:
            raise NotFound(_("no trip {id}").format(id=trip_id))
        steps = tuple(
            TripStep(no, sid, title, channel, _day(due), _day(done_on), done_at, note)  # type: ignore[arg-type]
            for no, sid, title, channel, due, done_on, done_at, note in self.db.execute(
                "SELECT no, step_id, title, channel, due, done_on, done_at, done_note"
                " FROM steps WHERE trip_id = ? ORDER BY no",
                (trip_id,),
            )
        )
        return _trip_from_row(row, steps)

    def trips(self, include_all: bool = False, manager: str | None = None) -> list[Trip]:
        """Trips with their steps, oldest first; active only unless `include_all`."""
        where, params = [], []
        if manager:
            where.append("t.manager = ?")
            params.append(manager)
        if not include_all:
            where.append("t.cancelled_on IS NULL")
            where.append("EXISTS (SELECT 1 FROM steps o WHERE o.trip_id = t.id AND o.done_on IS NULL)")
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self.db.execute(_TRIP_SELECT + clause + " ORDER BY t.id", params).fetchall()
        by_trip: dict[int, list[TripStep]] = {row[0]: [] for row in rows}
        if by_trip:
            step_sql = (
                "SELECT s.trip_id, s.no, s.step_id, s.title, s.channel, s.due, s.done_on, s.done_at, s.done_note"
                " FROM steps s JOIN trips t ON t.id = s.trip_id" + clause + " ORDER BY s.trip_id, s.no"
            )
            for trip_id, *rest in self.db.execute(step_sql, params):
                no, sid, title, channel, due, done_on, done_at, note = rest
                by_trip[trip_id].append(TripStep(no, sid, title, channel, _day(due), _day(done_on), done_at, note))  # type: ignore[arg-type]
        return [_trip_from_row(row, tuple(by_trip[row[0]])) for row in rows]

    def agenda(self, until: dt.date, since: dt.date | None = None, manager: str | None = None) -> list[AgendaRow]:
        """Open steps of trips not cancelled, due on or before `until` (and from `since`)."""
        sql = [
            "SELECT s.trip_id, c.name, c.phone, c.email, t.manager, t.playbook, s.no, s.step_id,",
            " s.title, s.channel, s.due, t.purchase, t.departure, t.return_on, t.declined",
            " FROM steps s JOIN trips t ON t.id = s.trip_id JOIN clients c ON c.id = t.client_id",
            " WHERE s.done_on IS NULL AND s.due <= ? AND t.cancelled_on IS NULL",
        ]
        params: list[object] = [until.isoformat()]
        if since is not None:
            sql.append(" AND s.due >= ?")
            params.append(since.isoformat())
        if manager:
            sql.append(" AND t.manager = ?")
            params.append(manager)
        sql.append(" ORDER BY s.due, t.manager, s.trip_id, s.no")
        result = []
        for row in self.db.execute("".join(sql), params):
            dates = {name: _day(value) for name, value in zip(DATE_COLUMNS, row[11:15]) if value}
            result.append(AgendaRow(*row[:10], _day(row[10]), dates))  # type: ignore[arg-type]
        return result

    # --- done marks, edits, cancelling -------------------------------------------------

    def mark_done(self, trip_id: int, no: int, day: dt.date, note: str | None) -> None:
        self.db.execute(
            "UPDATE steps SET done_on = ?, done_at = ?, done_note = ? WHERE trip_id = ? AND no = ? AND done_on IS NULL",
            (day.isoformat(), _now(), note or None, trip_id, no),
        )

    def unmark_done(self, trip_id: int, no: int) -> None:
        self.db.execute(
            "UPDATE steps SET done_on = NULL, done_at = NULL, done_note = NULL WHERE trip_id = ? AND no = ?",
            (trip_id, no),
        )

    def set_trip(
        self, trip_id: int, manager: str | None = None, dates: dict[str, dt.date | None] | None = None
    ) -> None:
        changes: dict[str, str | None] = {}
        if manager is not None:
            changes["manager"] = manager
        for name, day in (dates or {}).items():
            changes[DATE_COLUMNS[name]] = day.isoformat() if day else None
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            self.db.execute(f"UPDATE trips SET {assignments} WHERE id = ?", (*changes.values(), trip_id))

    def move_pending(self, trip_id: int, dues: dict[int, dt.date]) -> None:
        """New due dates for the steps not done yet; done steps keep theirs."""
        self.db.executemany(
            "UPDATE steps SET due = ? WHERE trip_id = ? AND no = ? AND done_on IS NULL",
            [(day.isoformat(), trip_id, no) for no, day in dues.items()],
        )

    def cancel(self, trip_id: int, day: dt.date, reason: str | None) -> None:
        self.db.execute(
            "UPDATE trips SET cancelled_on = ?, cancel_reason = ? WHERE id = ? AND cancelled_on IS NULL",
            (day.isoformat(), reason or None, trip_id),
        )

    # --- the director's figures (stats) ------------------------------------------------

    def step_tallies(
        self, start: dt.date, end: dt.date, managers: Sequence[str] | None = None
    ) -> list[tuple[str, str, int, str, dt.date, dt.date | None, int]]:
        """Steps of trips not cancelled due from `start` through `end`, counted by
        (manager, playbook, step no, step id, due, done_on): what `stats` classifies."""
        sql = (
            "SELECT t.manager, t.playbook, s.no, s.step_id, s.due, s.done_on, COUNT(*)"
            " FROM steps s JOIN trips t ON t.id = s.trip_id"
            " WHERE s.due BETWEEN ? AND ? AND t.cancelled_on IS NULL"
        )
        params: list[object] = [start.isoformat(), end.isoformat()]
        if managers:
            sql += f" AND t.manager IN ({', '.join('?' * len(managers))})"
            params.extend(managers)
        sql += " GROUP BY t.manager, t.playbook, s.no, s.step_id, s.due, s.done_on"
        days: dict[str | None, dt.date | None] = {None: None}  # few distinct days: parse each once
        result = []
        for manager, playbook, no, step_id, due, done_on, count in self.db.execute(sql, params):
            for text in (due, done_on):
                if text not in days:
                    days[text] = dt.date.fromisoformat(text)
            result.append((manager, playbook, no, step_id, days[due], days[done_on], count))
        return result  # type: ignore[return-value]

    def outcome_trips(self, start: dt.date, end: dt.date) -> list[tuple[int, str, dt.date | None, dt.date | None]]:
        """(client id, manager, purchase, declined) of every trip not cancelled of the clients
        who bought a tour or declined from `start` through `end`: their whole history."""
        sql = (
            "SELECT client_id, manager, purchase, declined FROM trips"
            " WHERE cancelled_on IS NULL AND client_id IN ("
            "  SELECT client_id FROM trips WHERE cancelled_on IS NULL"
            "  AND (purchase BETWEEN ? AND ? OR declined BETWEEN ? AND ?))"
        )
        period = (start.isoformat(), end.isoformat())
        return [
            (client_id, manager, _day(purchase), _day(declined))
            for client_id, manager, purchase, declined in self.db.execute(sql, period * 2)
        ]

    # --- bulk import (one transaction, set-based lookups, executemany) ---------------------

    def import_context(self, phone_keys: Iterable[str], email_keys: Iterable[str]) -> tuple[list[tuple], list[tuple]]:
        """What an import must know: the clients with these phones or e-mails, every client
        with neither (recognised by name), and the trips of all of them.

        Clients as (id, name, phone, email, phone_key, email_key); trips as
        (client_id, playbook, purchase, departure, return_on, declined).
        """
        select = "SELECT id, name, phone, email, phone_key, email_key FROM clients"
        found: dict[int, tuple] = {}
        for column, keys in (("phone_key", phone_keys), ("email_key", email_keys)):
            for chunk in self._chunks(sorted(set(keys))):
                marks = ", ".join("?" * len(chunk))
                for row in self.db.execute(f"{select} WHERE {column} IN ({marks})", chunk):
                    found[row[0]] = row
        for row in self.db.execute(f"{select} WHERE phone_key IS NULL AND email_key IS NULL"):
            found[row[0]] = row
        dates = ", ".join(DATE_COLUMNS.values())
        trips: list[tuple] = []
        for chunk in self._chunks(sorted(found)):
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT client_id, playbook, {dates} FROM trips WHERE client_id IN ({marks})"
            trips.extend(self.db.execute(sql, chunk))
        return list(found.values()), trips

    def add_clients_bulk(
        self, clients: Sequence[tuple[str, str | None, str | None, str | None, str | None]]
    ) -> list[int]:
        """New clients from (name, phone, email, phone_key(phone), email_key(email)), the keys
        as an import has already made them; their ids in the same order. Inside `write()`."""
        first = self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM clients").fetchone()[0]
        now = _now()
        self.db.executemany(
            "INSERT INTO clients (id, name, phone, email, phone_key, email_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (n, name, phone or None, email or None, p_key, e_key, now)
                for n, (name, phone, email, p_key, e_key) in enumerate(clients, start=first)
            ],
        )
        return list(range(first, first + len(clients)))

    def complete_clients_bulk(self, clients: Sequence[tuple[int, str | None, str | None]]) -> None:
        """Known clients gain the phone or e-mail they lacked; what they had stays."""
        self.db.executemany(
            "UPDATE clients SET phone = COALESCE(phone, ?), phone_key = COALESCE(phone_key, ?),"
            " email = COALESCE(email, ?), email_key = COALESCE(email_key, ?) WHERE id = ?",
            [(phone or None, phone_key(phone), email or None, email_key(email), cid) for cid, phone, email in clients],
        )

    def add_trips_bulk(
        self,
        trips: Sequence[tuple[int, str, str, Sequence[dt.date | None], str | None, Sequence[dt.date]]],
        steps: Mapping[str, Sequence[tuple[int, str, str, str]]],
    ) -> list[int]:
        """New trips from (client_id, manager, playbook, dates, note, dues), steps included.

        `dates` are in DATE_COLUMNS order; `steps[playbook]` gives the (no, id, title,
        channel) of the playbook's steps, whose due dates are the trip's `dues`, in order.
        """
        # A bigger page cache for this connection: 7 step rows per trip go into two B-trees.
        # 16 MB holds the due index of 100 000 trips; 64 MB was no faster even at 300 000
        # and cost 40 MB of memory.
        self.db.execute("PRAGMA cache_size = -16384")
        first = self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM trips").fetchone()[0]
        now = _now()
        iso = _IsoDays()
        columns = ", ".join(DATE_COLUMNS.values())
        self.db.executemany(
            f"INSERT INTO trips (id, client_id, manager, playbook, {columns}, note, created_at)"
            f" VALUES (?, ?, ?, ?, {', '.join('?' * len(DATE_COLUMNS))}, ?, ?)",
            [
                (trip_id, client, manager, playbook, *[iso[day] for day in dates], note or None, now)
                for trip_id, (client, manager, playbook, dates, note, _dues) in enumerate(trips, first)
            ],
        )
        step_rows = (
            (trip_id, no, step_id, title, channel, iso[due])
            for trip_id, (_c, _m, playbook, _d, _n, dues) in enumerate(trips, first)
            for (no, step_id, title, channel), due in zip(steps[playbook], dues)
        )  # streamed: 7 rows per trip are never all held
        self.db.executemany(
            "INSERT INTO steps (trip_id, no, step_id, title, channel, due) VALUES (?, ?, ?, ?, ?, ?)",
            step_rows,
        )
        return list(range(first, first + len(trips)))

    @staticmethod
    def _chunks(values: Sequence, size: int = 500) -> Iterator[Sequence]:
        """Pieces small enough for one `IN (...)` (SQLite limits the number of parameters)."""
        for start in range(0, len(values), size):
            yield values[start : start + size]

    # --- the director's workbook -------------------------------------------------------

    def iter_trips(self, include_all: bool = False) -> Iterator[Trip]:
        """Trips with their steps in trip-id order, streamed: one query, grouped here, so
        the workbook of 100 000 trips never holds them all. Active only unless `include_all`."""
        where = (
            ""
            if include_all
            else (
                " WHERE t.cancelled_on IS NULL"
                " AND EXISTS (SELECT 1 FROM steps o WHERE o.trip_id = t.id AND o.done_on IS NULL)"
            )
        )
        step_columns = ", s.no, s.step_id, s.title, s.channel, s.due, s.done_on, s.done_at, s.done_note"
        sql = (
            _TRIP_SELECT.replace(" FROM trips t", step_columns + " FROM trips t")
            + " LEFT JOIN steps s ON s.trip_id = t.id"
            + where
            + " ORDER BY t.id, s.no"
        )
        current: Sequence | None = None
        steps: list[TripStep] = []
        for row in self.db.execute(sql):
            if current is None or row[0] != current[0]:
                if current is not None:
                    yield _trip_from_row(current, tuple(steps))
                current, steps = row, []
            no, sid, title, channel, due, done_on, done_at, note = row[15:]
            if no is not None:
                steps.append(
                    TripStep(no, sid, title, channel, _day(due), _day(done_on), done_at, note)  # type: ignore[arg-type]
                )
        if current is not None:
            yield _trip_from_row(current, tuple(steps))

    def playbook_uses(self, include_all: bool = False) -> dict[str, PlaybookUse]:
        """Per playbook in use: its stored steps, the dates its trips have, how many trips."""
        where = "" if include_all else " WHERE t.cancelled_on IS NULL"
        result: dict[str, PlaybookUse] = {}
        used = ", ".join(f"MAX({column} IS NOT NULL)" for column in DATE_COLUMNS.values())
        for playbook, count, *flags in self.db.execute(
            f"SELECT t.playbook, COUNT(*), {used} FROM trips t{where} GROUP BY t.playbook"
        ):
            dates = {name for name, flag in zip(DATE_COLUMNS, flags) if flag}
            result[playbook] = PlaybookUse([], dates, count)
        for playbook, no, sid, title, channel in self.db.execute(
            "SELECT t.playbook, s.no, MIN(s.step_id), MIN(s.title), MIN(s.channel)"
            " FROM steps s JOIN trips t ON t.id = s.trip_id"
            + where
            + " GROUP BY t.playbook, s.no ORDER BY t.playbook, s.no"
        ):
            result[playbook].steps.append((no, sid, title, channel))
        return result

    def step_marks(self, trip_ids: Iterable[int]) -> dict[int, StepMarks]:
        """The known trips among `trip_ids`: cancel day, input dates and, per step number,
        (step id, done on)."""
        ids = sorted(set(trip_ids))
        result: dict[int, StepMarks] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for trip_id, cancelled_on, no, sid, done_on, *days in self.db.execute(
                "SELECT t.id, t.cancelled_on, s.no, s.step_id, s.done_on,"
                " t.purchase, t.departure, t.return_on, t.declined FROM trips t"
                f" LEFT JOIN steps s ON s.trip_id = t.id WHERE t.id IN ({marks})",
                chunk,
            ):
                if trip_id not in result:
                    dates = {anchor: _day(day) for anchor, day in zip(DATE_COLUMNS, days)}
                    result[trip_id] = StepMarks(_day(cancelled_on), {}, dates)
                entry = result[trip_id]
                if no is not None:
                    entry.steps[no] = (sid, _day(done_on))
        return result

    def set_note(self, trip_id: int, note: str) -> str | None:
        """The trip's note as typed in a workbook; returns the note it replaced, or None when
        the trip is unknown or its note is the same."""
        row = self.db.execute("SELECT note FROM trips WHERE id = ?", (trip_id,)).fetchone()
        if row is None or (row[0] or "") == note:
            return None
        self.db.execute("UPDATE trips SET note = ? WHERE id = ?", (note or None, trip_id))
        return row[0] or ""


@dataclass(frozen=True)
class PlaybookUse:
    """How the stored trips use a playbook: what the workbook needs to lay out its sheet."""

    steps: list[tuple[int, str, str, str]]  # no, step id, title, channel
    dates: set[str]
    trips: int


@dataclass(frozen=True)
class StepMarks:
    """A trip's done marks, as `ppo sync` compares them with a workbook's ticks."""

    cancelled_on: dt.date | None
    steps: dict[int, tuple[str, dt.date | None]]  # no -> (step id, done on)
    dates: dict[str, dt.date | None] = field(default_factory=dict)  # anchor -> input date


_TRIP_SELECT = (
    "SELECT t.id, c.id, c.name, c.phone, c.email, t.manager, t.playbook,"
    " t.purchase, t.departure, t.return_on, t.declined, t.note, t.created_at, t.cancelled_on, t.cancel_reason"
    " FROM trips t JOIN clients c ON c.id = t.client_id"
)


def _trip_from_row(row: Sequence, steps: tuple[TripStep, ...]) -> Trip:
    dates = {name: _day(value) for name, value in zip(DATE_COLUMNS, row[7:11]) if value}
    return Trip(
        id=row[0],
        client=Client(row[1], row[2], row[3], row[4]),
        manager=row[5],
        playbook=row[6],
        dates=dates,  # type: ignore[arg-type]
        note=row[11],
        created_at=row[12],
        cancelled_on=_day(row[13]),
        cancel_reason=row[14],
        steps=steps,
    )


def _make_private(path: Path) -> None:
    try:
        os.chmod(path, 0o600)
    except OSError as exc:
        raise StoreError(_("cannot make the store {path} private: {e}").format(path=path, e=exc.strerror)) from None


def _create_private(path: Path) -> None:
    """Create the store file (and its folder) readable by the owner only."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(_("cannot create the store {path}: {e}").format(path=path, e=exc.strerror)) from None
    os.close(fd)
