"""The SQL both backends share: written once with `?` parameters and ISO dates, run through a
backend's few primitives (`_rows`, `_one`, `_many`, `_insert`, `_stream`).

A backend supplies the connection, its transactions, its schema and its errors; everything a
command asks of the store is answered here, as `model` types.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from ppo_checklist.core.model import (
    ANCHORS,
    AgendaRow,
    Client,
    DoneMarks,
    Message,
    NewStep,
    PlaybookUse,
    SendStep,
    StepMarks,
    StepTally,
    StoreInfo,
    Trip,
    TripDates,
    TripStep,
    email_key,
    phone_key,
    uses_of,
    utc_stamp,
)
from ppo_checklist.errors import BadInput, Busy, NotFound, PpoError
from ppo_checklist.i18n import _
from ppo_checklist.store import Location
from ppo_checklist.store.word import WordStore

# The column of each anchor date in `trips` ("return" is a reserved word in SQL).
DATE_COLUMNS = {"purchase": "purchase", "departure": "departure", "return": "return_on", "declined": "declined"}
assert tuple(DATE_COLUMNS) == ANCHORS

# "The trip is open": not cancelled and a step neither done nor skipped. Written once.
NOT_CANCELLED = "t.cancelled_on IS NULL"
OPEN_TRIP = (
    NOT_CANCELLED
    + " AND EXISTS (SELECT 1 FROM steps o WHERE o.trip_id = t.id AND o.done_on IS NULL AND o.skipped_on IS NULL)"
)
# A letter or SMS step of a client who opted out (`model.opts_out`, in SQL).
OPTED_OUT_STEP = "(c.opted_out IS NOT NULL AND s.channel IN ('email', 'sms'))"
# The client's ads consent on the step's channel stands: the newest ledger record (by day, then
# as written: `consent.newest`) says given. 1 or 0. `WordStore.ads_consents` is the same for the
# whole ledger: tests/test_ads_consent_rule.py holds the three equal.
ADS_CONSENT_STEP = (
    "COALESCE((SELECT k.given FROM consents k WHERE k.client_id = t.client_id AND k.channel = s.channel"
    " AND k.purpose = 'ads' ORDER BY k.given_on DESC, k.id DESC LIMIT 1), 0)"
)

# Every table's columns in the order `ppo store copy` moves them.
TABLES: dict[str, tuple[str, ...]] = {
    "clients": (
        "id",
        "name",
        "phone",
        "email",
        "phone_key",
        "email_key",
        "created_at",
        "opted_out",
        "birthday",
        "passport_expires",
    ),
    "trips": (
        "id",
        "client_id",
        "manager",
        "playbook",
        "purchase",
        "departure",
        "return_on",
        "declined",
        "note",
        "created_at",
        "cancelled_on",
        "cancel_reason",
    ),
    "steps": (
        "trip_id",
        "no",
        "step_id",
        "title",
        "channel",
        "due",
        "done_on",
        "done_at",
        "done_note",
        "lapses_on",
        "skipped_on",
        "skip_reason",
    ),
    "outbox": (
        "id",
        "trip_id",
        "step_no",
        "letter",
        "channel",
        "address",
        "subject",
        "body",
        "due",
        "state",
        "created_at",
        "handed_at",
        "sent_at",
        "gateway_id",
        "error",
        "attempts",
        "series_end",
    ),
    "consents": (
        "id",
        "client_id",
        "channel",
        "purpose",
        "given",
        "given_on",
        "via",
        "text_version",
        "recorded_at",
    ),
    "contact_problems": ("id", "client_id", "channel", "address", "kind", "found_on", "detail", "cleared_on"),
    "inbox": ("mail_id", "kind", "sender", "taken_at"),
    "deliveries": ("message_id", "state", "detail", "checked_at"),
    "feedback": ("id", "trip_id", "tour", "service", "via", "note", "given_on", "recorded_at"),
    "complaints": (
        "id",
        "trip_id",
        "feedback_id",
        "opened_at",
        "take_by",
        "answer_by",
        "resolve_by",
        "taken_at",
        "answered_at",
        "resolved_at",
    ),
    "ppo_store": ("id",),  # a copy is the same store: its workbooks sync with it
}
_MESSAGE_COLUMNS = ", ".join(TABLES["outbox"])
_OUTBOX_COLUMNS = ", ".join("o." + column for column in TABLES["outbox"])
DATE_FIELDS = {
    "purchase",
    "departure",
    "return_on",
    "declined",
    "cancelled_on",
    "due",
    "done_on",
    "series_end",
    "birthday",
    "passport_expires",
    "given_on",
    "found_on",
    "cleared_on",
    "lapses_on",
    "skipped_on",
}

# The state of a step's first message in the outbox (None: ppo recorded none).
FIRST_MESSAGE_STATE = (
    "(SELECT o.state FROM outbox o WHERE o.trip_id = s.trip_id AND o.step_no = s.no ORDER BY o.id LIMIT 1)"
)

# The day's list: each step with its trip and its client (`SqlStore.agenda`).
AGENDA_JOINS = " FROM steps s JOIN trips t ON t.id = s.trip_id JOIN clients c ON c.id = t.client_id"

_TRIP_SELECT = (
    "SELECT t.id, c.id, c.name, c.phone, c.email, t.manager, t.playbook,"
    " t.purchase, t.departure, t.return_on, t.declined, t.note, t.created_at, t.cancelled_on, t.cancel_reason,"
    " c.opted_out, c.birthday, c.passport_expires"
    " FROM trips t JOIN clients c ON c.id = t.client_id"
)
TRIP_WIDTH = 18  # the columns of _TRIP_SELECT
_STEP_COLUMNS = (
    "s.no, s.step_id, s.title, s.channel, s.due, s.done_on, s.done_at, s.done_note, s.lapses_on, s.skipped_on,"
    " s.skip_reason"
)


F = TypeVar("F", bound=Callable[..., Any])


def at_the_edge(backend_error: type[Exception]) -> Callable[[F], F]:
    """A decorator for a backend's methods: its library's `backend_error` leaves the store as
    the store's own failure (`self._failure(exc)`, a `StoreError`), never as the library's."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except backend_error as exc:
                raise self._failure(exc) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def day(value: Any) -> dt.date | None:
    """A stored day: ISO text from SQLite, a `date` from PostgreSQL."""
    if value is None or value.__class__ is dt.date:
        return value
    return dt.date.fromisoformat(value) if value else None


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


now = utc_stamp  # when a row was written or a step marked done


def manager_names(manager: str | Sequence[str]) -> list[str]:
    """A manager filter: one name, or the several spellings one manager is stored under."""
    return [manager] if isinstance(manager, str) else list(manager)


def chunks(values: Sequence, size: int = 500) -> Iterator[Sequence]:
    """Pieces small enough for one `IN (...)` (SQLite limits the number of parameters)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class IsoDays(dict):
    """Dates as ISO text, each day formatted once: a bulk import writes a few thousand
    distinct days 800 000 times."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, day: dt.date) -> str:
        text = self[day] = day.isoformat()
        return text


IMPORT_CLIENT = (
    "SELECT id, name, phone, email, phone_key, email_key FROM clients"  # a client as import_context gives it
)


class SqlStore(WordStore):
    """Everything a command asks of a store, over a backend's primitives."""

    backend = ""
    writes_aside = False  # an import writes its parts in its own thread (`Store.writes_aside`)
    ORDER = ""  # the collation that sorts text by code point (SQLite's default)
    # a date column's month * 100 + day (1205 for 5 December), as the index of migration 3 has it
    MONTH_DAY = "(CAST(substr({column}, 6, 2) AS INTEGER) * 100 + CAST(substr({column}, 9, 2) AS INTEGER))"

    def __init__(self, location: Location):
        self.location = location

    # --- what a backend provides ---------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    def _snapshot(self) -> AbstractContextManager[None]:
        """The reads inside see one state of the store."""
        raise NotImplementedError

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT of one row and return its new id."""
        raise NotImplementedError

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
        yield from self._rows(sql, params)

    def _next_ids(self, table: str, count: int) -> list[int]:
        """Ids for `count` new rows of `table` (inside `write()`)."""
        raise NotImplementedError

    def write(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def schema_version(self) -> int:
        raise NotImplementedError

    def check(self, quick: bool = False) -> list[str]:
        raise NotImplementedError

    def _integrity(self, exc: Exception) -> BadInput:
        return BadInput(_("that phone or e-mail already belongs to another client"))

    # --- about the store -----------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        return {table: self._one(f"SELECT COUNT(*) FROM {table}")[0] for table in TABLES}  # type: ignore[index]

    def info(self) -> StoreInfo:
        counts = self.counts()
        return StoreInfo(
            self.backend,
            self.location.shown,
            self.schema_version(),
            counts["clients"],
            counts["trips"],
            counts["steps"],
        )

    def identity(self) -> str:
        """The store's own id, made when its schema was: a workbook written from it carries it."""
        row = self._one("SELECT id FROM ppo_store")
        return str(row[0]) if row else ""

    def has_manager(self, name: str) -> bool:
        """A trip names this manager, spelled exactly so (a quick look: it stops at the first)."""
        return self._one("SELECT 1 FROM trips WHERE manager = ? LIMIT 1", (name,)) is not None

    def managers(self) -> list[str]:
        """Every manager named on a trip (the empty name aside), sorted."""
        sql = f"SELECT manager FROM trips WHERE manager <> '' GROUP BY manager ORDER BY manager{self.ORDER}"
        return [row[0] for row in self._rows(sql)]

    # --- clients -------------------------------------------------------------------------

    def add_client(self, name: str, phone: str | None, email: str | None) -> Client:
        new_id = self._insert(
            "INSERT INTO clients (name, phone, email, phone_key, email_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, phone or None, email or None, phone_key(phone), email_key(email), now()),
        )
        return Client(new_id, name, phone or None, email or None)

    def update_client(
        self,
        client_id: int,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        birthday: dt.date | None = None,
        passport_expires: dt.date | None = None,
    ) -> Client:
        changes: dict[str, str | None] = {}
        if birthday is not None:
            changes["birthday"] = birthday.isoformat()
        if passport_expires is not None:
            changes["passport_expires"] = passport_expires.isoformat()
        if name is not None:
            changes["name"] = name
        if phone is not None:
            changes.update(phone=phone or None, phone_key=phone_key(phone))
        if email is not None:
            changes.update(email=email or None, email_key=email_key(email))
        for column in ("phone_key", "email_key"):
            key = changes.get(column)
            if key and self._one(f"SELECT 1 FROM clients WHERE {column} = ? AND id <> ? LIMIT 1", (key, client_id)):
                raise self._integrity(None)  # type: ignore[arg-type]
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            self._update_unique(f"UPDATE clients SET {assignments} WHERE id = ?", (*changes.values(), client_id))
        row = self._one(
            "SELECT id, name, phone, email, opted_out, birthday, passport_expires FROM clients WHERE id = ?",
            (client_id,),
        )
        assert row is not None
        return _client(row)

    def birthdays(self, month_days: Sequence[int]) -> list[tuple[Client, int, str]]:
        """The clients born on these days (month * 100 + day), each with their latest trip and its manager
        (the trip a greeting is filed under)."""
        if not month_days:
            return []
        marks = ", ".join("?" * len(month_days))
        sql = (
            "SELECT c.id, c.name, c.phone, c.email, c.opted_out, c.birthday, c.passport_expires, t.id, t.manager"
            " FROM (SELECT * FROM clients"
            f" WHERE birthday IS NOT NULL AND {self.MONTH_DAY.format(column='birthday')} IN ({marks})) c"
            " JOIN trips t ON t.id = (SELECT MAX(l.id) FROM trips l WHERE l.client_id = c.id)"
            " ORDER BY c.id"
        )
        return [(_client(row), row[7], row[8]) for row in self._rows(sql, list(month_days))]

    def client_messages(self, client_ids: Iterable[int], letter: str) -> dict[int, list[Message]]:
        """The messages named `letter` in the outbox for any trip of these clients, by client."""
        result: dict[int, list[Message]] = {}
        for part in chunks(sorted(set(client_ids))):
            sql = (
                f"SELECT t.client_id, {_OUTBOX_COLUMNS} FROM outbox o JOIN trips t ON t.id = o.trip_id"
                f" WHERE o.letter = ? AND t.client_id IN ({', '.join('?' * len(part))}) ORDER BY o.id"
            )
            for client_id, *rest in self._rows(sql, (letter, *part)):
                result.setdefault(client_id, []).append(_message(rest))
        return result

    def add_steps(self, trip_id: int, steps: Sequence[NewStep]) -> None:
        """Steps added to a trip after it was scheduled (the passport check)."""
        self._many(
            "INSERT INTO steps (trip_id, no, step_id, title, channel, due) VALUES (?, ?, ?, ?, ?, ?)",
            [(trip_id, s.no, s.id, s.title, s.channel, s.due.isoformat()) for s in steps],
        )

    def client_trip_ids(self, client_id: int) -> list[int]:
        """The client's trips not cancelled, oldest first."""
        sql = f"SELECT t.id FROM trips t WHERE t.client_id = ? AND {NOT_CANCELLED} ORDER BY t.id"
        return [row[0] for row in self._rows(sql, (client_id,))]

    def _update_unique(self, sql: str, params: Sequence[Any]) -> None:
        """An UPDATE that may hit a unique key: that is the user's mistake, not a store failure."""
        self._rows(sql, params)

    # --- trips ---------------------------------------------------------------------------

    def add_trip(
        self,
        client: Client,
        manager: str,
        playbook: str,
        dates: Mapping[str, dt.date | None],
        steps: Sequence[NewStep],
        note: str | None = None,
    ) -> int:
        columns = ", ".join(DATE_COLUMNS.values())
        values = [iso(dates.get(name)) for name in DATE_COLUMNS]
        trip_id = self._insert(
            f"INSERT INTO trips (client_id, manager, playbook, {columns}, note, created_at)"
            f" VALUES (?, ?, ?, {', '.join('?' * len(DATE_COLUMNS))}, ?, ?)",
            (client.id, manager, playbook, *values, note or None, now()),
        )
        self._many(
            "INSERT INTO steps (trip_id, no, step_id, title, channel, due, lapses_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(trip_id, s.no, s.id, s.title, s.channel, s.due.isoformat(), iso(s.lapses_on)) for s in steps],
        )
        return trip_id

    def trips_on(self, playbook: str, dates: Mapping[str, dt.date | None]) -> list[tuple[int, int, str]]:
        """(trip id, client id, client name) of every trip with this playbook and these dates:
        a sale typed twice is one of them. Each date is `= ?` or `IS NULL`, which the index on
        the starting days (`trips_start`) answers on both backends (PostgreSQL's null-safe
        `IS NOT DISTINCT FROM` uses no index: `ppo add` read all 100 000 trips, ~10 ms)."""
        given = {column: iso(dates.get(name)) for name, column in DATE_COLUMNS.items()}
        conditions = [f"t.{column} = ?" if value else f"t.{column} IS NULL" for column, value in given.items()]
        return [
            (row[0], row[1], row[2])
            for row in self._rows(
                "SELECT t.id, c.id, c.name FROM trips t JOIN clients c ON c.id = t.client_id"
                f" WHERE t.playbook = ? AND {' AND '.join(conditions)} ORDER BY t.id",
                (playbook, *(value for value in given.values() if value)),
            )
        ]

    def trip(self, trip_id: int) -> Trip:
        if not 0 < trip_id < 2**63:
            raise NotFound(_("no trip {id}").format(id=trip_id))
        row = self._one(_TRIP_SELECT + " WHERE t.id = ?", (trip_id,))
        if row is None:
            raise NotFound(_("no trip {id}").format(id=trip_id))
        steps = tuple(
            _step(values)
            for values in self._rows(
                f"SELECT {_STEP_COLUMNS} FROM steps s WHERE s.trip_id = ? ORDER BY s.no", (trip_id,)
            )
        )
        return _trip_from_row(row, steps)

    def trips(self, include_all: bool = False, manager: str | Sequence[str] | None = None) -> list[Trip]:
        """Trips with their steps, oldest first; open ones only unless `include_all`."""
        where: list[str] = []
        params: list[Any] = []
        if manager:
            names = manager_names(manager)
            where.append(f"t.manager IN ({', '.join('?' * len(names))})")
            params.extend(names)
        if not include_all:
            where.append(OPEN_TRIP)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self._rows(_TRIP_SELECT + clause + " ORDER BY t.id", params)
        by_trip: dict[int, list[TripStep]] = {row[0]: [] for row in rows}
        if by_trip:
            step_sql = (
                f"SELECT s.trip_id, {_STEP_COLUMNS} FROM steps s JOIN trips t ON t.id = s.trip_id"
                + clause
                + " ORDER BY s.trip_id, s.no"
            )
            for trip_id, *rest in self._rows(step_sql, params):
                by_trip[trip_id].append(_step(rest))
        return [_trip_from_row(row, tuple(by_trip[row[0]])) for row in rows]

    def client_keys(self) -> Iterator[tuple[int, str, str | None, str | None]]:
        """Every client's (id, name, phone_key, email_key), streamed: `ppo find` compares names
        in Python (SQLite's lower() knows only ASCII; ё = е is no collation's)."""
        for row in self._stream("SELECT id, name, phone_key, email_key FROM clients ORDER BY id"):
            yield row[0], row[1], row[2], row[3]

    def trips_of(self, client_ids: Sequence[int]) -> list[Trip]:
        """Every trip of these clients (finished and cancelled too), with its steps, by id."""
        found: list[Trip] = []
        for chunk in chunks(sorted(set(client_ids))):
            clause = f" WHERE t.client_id IN ({', '.join('?' * len(chunk))})"
            rows = self._rows(_TRIP_SELECT + clause + " ORDER BY t.id", chunk)
            by_trip: dict[int, list[TripStep]] = {row[0]: [] for row in rows}
            step_sql = f"SELECT s.trip_id, {_STEP_COLUMNS} FROM steps s JOIN trips t ON t.id = s.trip_id" + clause
            for trip_id, *rest in self._rows(step_sql + " ORDER BY s.trip_id, s.no", chunk):
                by_trip[trip_id].append(_step(rest))
            found += [_trip_from_row(row, tuple(by_trip[row[0]])) for row in rows]
        return sorted(found, key=lambda trip: trip.id)

    def iter_trips(self, include_all: bool = False) -> Iterator[Trip]:
        """Trips with their steps in trip-id order, streamed: one query, grouped here, so
        the workbook of 100 000 trips never holds them all. Open ones only unless `include_all`."""
        where = "" if include_all else " WHERE " + OPEN_TRIP
        sql = (
            _TRIP_SELECT.replace(" FROM trips t", ", " + _STEP_COLUMNS + " FROM trips t", 1)
            + " LEFT JOIN steps s ON s.trip_id = t.id"
            + where
            + " ORDER BY t.id, s.no"
        )
        current: Sequence | None = None
        steps: list[TripStep] = []
        for row in self._stream(sql):
            if current is None or row[0] != current[0]:
                if current is not None:
                    yield _trip_from_row(current, tuple(steps))
                current, steps = row, []
            if row[TRIP_WIDTH] is not None:
                steps.append(_step(row[TRIP_WIDTH:]))
        if current is not None:
            yield _trip_from_row(current, tuple(steps))

    def agenda(
        self,
        until: dt.date,
        since: dt.date | None = None,
        manager: str | Sequence[str] | None = None,
        as_of: dt.date | None = None,
    ) -> list[AgendaRow]:
        """Steps of trips not cancelled for someone to do, due on or before `until` (and from
        `since`): neither done nor skipped, not a letter or SMS of a client who opted out, and
        (`as_of` given) not lapsed by that day."""
        return self._agenda(until, since, manager, as_of, AGENDA_JOINS)

    def _agenda(
        self,
        until: dt.date,
        since: dt.date | None,
        manager: str | Sequence[str] | None,
        as_of: dt.date | None,
        joins: str,
    ) -> list[AgendaRow]:
        """The shared query, its steps joined to their trips and clients by `joins`."""
        sql = [
            "SELECT s.trip_id, c.name, c.phone, c.email, t.manager, t.playbook, s.no, s.step_id,",
            " s.title, s.channel, s.due, t.purchase, t.departure, t.return_on, t.declined, c.opted_out,",
            " " + FIRST_MESSAGE_STATE + ", s.lapses_on",
            joins,
            " WHERE s.done_on IS NULL AND s.due <= ? AND s.skipped_on IS NULL AND " + NOT_CANCELLED,
            " AND NOT " + OPTED_OUT_STEP,
        ]
        params: list[Any] = [until.isoformat()]
        if as_of is not None:
            sql.append(" AND (s.lapses_on IS NULL OR s.lapses_on >= ?)")
            params.append(as_of.isoformat())
        if since is not None:
            sql.append(" AND s.due >= ?")
            params.append(since.isoformat())
        if manager:
            names = manager_names(manager)
            sql.append(f" AND t.manager IN ({', '.join('?' * len(names))})")
            params.extend(names)
        sql.append(f" ORDER BY s.due, t.manager{self.ORDER}, s.trip_id, s.no")
        result = []
        for row in self._rows("".join(sql), params):
            dates = {name: day(value) for name, value in zip(DATE_COLUMNS, row[11:15]) if value}
            row_ = (*row[:10], day(row[10]), dates, row[15] is not None, row[16], day(row[17]))
            result.append(AgendaRow(*row_))
        return result

    # --- done marks, edits, cancelling ---------------------------------------------------

    def mark_done(self, trip_id: int, no: int, day: dt.date, note: str | None) -> None:
        self.mark_done_bulk([(trip_id, no, day, note)])

    def mark_done_bulk(self, marks: Sequence[tuple[int, int, dt.date, str | None]]) -> None:
        """Many done marks at once, (trip id, step no, day, note) each: an import's history."""
        stamp = now()
        self._many(
            "UPDATE steps SET done_on = ?, done_at = ?, done_note = ? WHERE trip_id = ? AND no = ? AND done_on IS NULL",
            [(day.isoformat(), stamp, note or None, trip_id, no) for trip_id, no, day, note in marks],
        )

    def unmark_done(self, trip_id: int, no: int) -> None:
        self._rows(
            "UPDATE steps SET done_on = NULL, done_at = NULL, done_note = NULL WHERE trip_id = ? AND no = ?",
            (trip_id, no),
        )

    def skip(self, trip_id: int, no: int, day: dt.date, reason: str | None) -> None:
        """A person's word: the step is not to be done (never sent, outside the on-time rate)."""
        self._rows(
            "UPDATE steps SET skipped_on = ?, skip_reason = ? WHERE trip_id = ? AND no = ? AND done_on IS NULL",
            (day.isoformat(), reason or None, trip_id, no),
        )

    def unskip(self, trip_id: int, no: int) -> None:
        self._rows("UPDATE steps SET skipped_on = NULL, skip_reason = NULL WHERE trip_id = ? AND no = ?", (trip_id, no))

    def set_trip(
        self, trip_id: int, manager: str | None = None, dates: Mapping[str, dt.date | None] | None = None
    ) -> None:
        changes: dict[str, str | None] = {}
        if manager is not None:
            changes["manager"] = manager
        for name, value in (dates or {}).items():
            changes[DATE_COLUMNS[name]] = iso(value)
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            self._rows(f"UPDATE trips SET {assignments} WHERE id = ?", (*changes.values(), trip_id))

    def set_note(self, trip_id: int, note: str) -> str | None:
        """The trip's note as typed in a workbook; returns the note it replaced ("" for none),
        or None when the trip is unknown or its note is the same."""
        row = self._one("SELECT note FROM trips WHERE id = ?", (trip_id,))
        if row is None or (row[0] or "") == note:
            return None
        self._rows("UPDATE trips SET note = ? WHERE id = ?", (note or None, trip_id))
        return row[0] or ""

    def move_pending(self, trip_id: int, dues: Mapping[int, tuple[dt.date, dt.date | None]]) -> None:
        """New (due date, last day) for the steps not done yet; done steps keep theirs."""
        self._many(
            "UPDATE steps SET due = ?, lapses_on = ? WHERE trip_id = ? AND no = ? AND done_on IS NULL",
            [(due.isoformat(), iso(last), trip_id, no) for no, (due, last) in dues.items()],
        )

    def cancel(self, trip_id: int, day: dt.date, reason: str | None) -> None:
        self._rows(
            "UPDATE trips SET cancelled_on = ?, cancel_reason = ? WHERE id = ? AND cancelled_on IS NULL",
            (day.isoformat(), reason or None, trip_id),
        )

    # --- consent and the outbox (ppo send) -------------------------------------------------

    def set_opted_out(self, client_ids: Sequence[int], stamp: str | None) -> None:
        """Clients who want no letters or SMS (a time), or want them again (None)."""
        self._many("UPDATE clients SET opted_out = ? WHERE id = ?", [(stamp, cid) for cid in client_ids])

    def clients_by_contact(self, phone: str | None, email: str | None) -> list[Client]:
        """The clients with this phone or e-mail (by key: any spelling), with their opt-out."""
        found: dict[int, Client] = {}
        for column, key in (("phone_key", phone_key(phone)), ("email_key", email_key(email))):
            if key:
                for row in self._rows(
                    f"SELECT id, name, phone, email, opted_out FROM clients WHERE {column} = ?", (key,)
                ):
                    found[row[0]] = Client(*row)
        return list(found.values())

    def send_steps(
        self,
        open_since: dt.date,
        series_since: dt.date,
        until: dt.date,
        managers: Sequence[str] | None = None,
        channels: Sequence[str] = ("email", "sms"),
    ) -> list[SendStep]:
        """E-mail and SMS steps of trips not cancelled that may have a message to send by `until`:
        those not done and due from `open_since`, and those whose series of letters in the
        outbox runs until `series_since` or later (a series under way, a message to try again)."""
        sql = (
            "SELECT s.trip_id, c.id, c.name, c.phone, c.email, c.opted_out, t.manager, t.playbook, s.no,"
            " s.step_id, s.channel, s.due, s.done_on, t.purchase, t.departure, t.return_on, t.declined,"
            " s.lapses_on, s.skipped_on"
            " FROM (SELECT k.trip_id, k.no FROM steps k WHERE k.done_on IS NULL AND k.due BETWEEN ? AND ?"
            "  UNION SELECT o.trip_id, o.step_no FROM outbox o WHERE o.series_end >= ? AND o.due <= ?) w"
            " JOIN steps s ON s.trip_id = w.trip_id AND s.no = w.no"
            " JOIN trips t ON t.id = s.trip_id JOIN clients c ON c.id = t.client_id"
            f" WHERE s.channel IN ({', '.join('?' * len(channels))}) AND " + NOT_CANCELLED
        )
        params: list[Any] = [open_since.isoformat(), until.isoformat(), series_since.isoformat(), until.isoformat()]
        params += list(channels)
        if managers is not None:  # the stored spellings of the managers asked for
            sql += f" AND t.manager IN ({', '.join('?' * len(managers)) or 'NULL'})"
            params.extend(managers)
        sql += " ORDER BY s.due, s.trip_id, s.no"
        result = []
        for row in self._rows(sql, params):
            dates = {name: day(value) for name, value in zip(DATE_COLUMNS, row[13:17]) if value}
            client = Client(row[1], row[2], row[3], row[4], row[5])
            fields = (*row[6:11], day(row[11]), day(row[12]), dates, day(row[17]), row[18] is not None)
            result.append(SendStep(row[0], client, *fields))
        return result

    def messages(self, trip_ids: Iterable[int]) -> dict[int, list[Message]]:
        """The outbox messages of these trips, oldest first, per trip."""
        result: dict[int, list[Message]] = {}
        for chunk in chunks(sorted(set(trip_ids))):
            marks = ", ".join("?" * len(chunk))
            for row in self._rows(
                f"SELECT {_MESSAGE_COLUMNS} FROM outbox WHERE trip_id IN ({marks}) ORDER BY id", chunk
            ):
                result.setdefault(row[1], []).append(_message(row))
        return result

    def message(self, message_id: int) -> Message:
        row = (
            self._one(f"SELECT {_MESSAGE_COLUMNS} FROM outbox WHERE id = ?", (message_id,))
            if 0 < message_id < 2**63
            else None
        )
        if row is None:
            raise NotFound(_("no message {id}").format(id=message_id))
        return _message(row)

    def messages_in(self, states: Sequence[str]) -> list[Message]:
        marks = ", ".join("?" * len(states))
        return [
            _message(row)
            for row in self._rows(f"SELECT {_MESSAGE_COLUMNS} FROM outbox WHERE state IN ({marks}) ORDER BY id", states)
        ]

    def record_message(self, message: Message) -> int | None:
        """The message in the outbox as pending (inside `write()`); None if that letter of that
        step is there already (another run recorded it first)."""
        if self._one(
            "SELECT id FROM outbox WHERE trip_id = ? AND step_no = ? AND letter = ?",
            (message.trip_id, message.step_no, message.letter),
        ):
            return None
        return self._insert(
            "INSERT INTO outbox (trip_id, step_no, letter, channel, address, subject, body, due, state, created_at,"
            " error, attempts, series_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            (
                message.trip_id,
                message.step_no,
                message.letter,
                message.channel,
                message.address,
                message.subject,
                message.body,
                message.due.isoformat(),
                message.state,
                now(),
                message.error,
                iso(message.series_end),
            ),
        )

    def set_message(
        self,
        message_id: int,
        expected: str | Sequence[str],
        state: str,
        error: str | None = None,
        gateway_id: str | None = None,
        handed: bool = False,
    ) -> bool:
        """Compare and set (inside `write()`): the message moves to `state` only if it is in the
        `expected` state now; False (nothing changed) if another run moved it first. Handed over:
        one more attempt; sent: when, and the server's id; pending / failed / unknown: the reason."""
        expected = (expected,) if isinstance(expected, str) else tuple(expected)
        marks = ", ".join("?" * len(expected))
        stamp = now()
        if handed:
            rows = self._rows(
                "UPDATE outbox SET state = ?, handed_at = ?, attempts = attempts + 1, error = NULL"
                f" WHERE id = ? AND state IN ({marks}) RETURNING id",
                (state, stamp, message_id, *expected),
            )
        else:
            rows = self._rows(
                "UPDATE outbox SET state = ?, error = ?, gateway_id = COALESCE(?, gateway_id),"
                " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
                f" WHERE id = ? AND state IN ({marks}) RETURNING id",
                (state, error, gateway_id, state, stamp, message_id, *expected),
            )
        return bool(rows)

    # --- the one sender: a lease ----------------------------------------------------------

    @contextmanager
    def send_lease(self, host: str, pid: int) -> Iterator[int]:
        """Hold the lease of the one run that hands messages over, for the block: `Busy`
        (naming the holder: host, pid, since) when another run holds it. What a run whose lease
        died left "sending" becomes "unknown" first; the block gets how many."""
        if not self._lock_sender():
            row = self._one("SELECT host, pid, started_at FROM send_lease")
            if row is None:
                raise Busy(_("another ppo send is running on this store; nothing done"))
            line = _("another ppo send is running on this store (host {host}, pid {pid}, since {since}); nothing done")
            raise Busy(line.format(host=row[0], pid=row[1], since=row[2]))
        try:
            with self.write():
                self._rows("DELETE FROM send_lease")
                self._rows("INSERT INTO send_lease (id, host, pid, started_at) VALUES (1, ?, ?, ?)", (host, pid, now()))
                settled = len(self._rows("UPDATE outbox SET state = 'unknown' WHERE state = 'sending' RETURNING id"))
            yield settled
        finally:
            try:
                with self.write():
                    self._rows("DELETE FROM send_lease")
            except PpoError:  # the store is gone: the lock goes with the connection or process
                pass
            finally:
                self._unlock_sender()

    def _lock_sender(self) -> bool:
        """Take the sender's lock without waiting (held until `_unlock_sender` or the end of
        the connection or process); False if another holds it."""
        raise NotImplementedError

    def _unlock_sender(self) -> None:
        raise NotImplementedError

    # --- the director's figures (stats) --------------------------------------------------

    def step_tallies(self, start: dt.date, end: dt.date, managers: Sequence[str] | None = None) -> list[StepTally]:
        """Steps of trips not cancelled due from `start` through `end`, counted by
        (manager, playbook, step no, step id, due, done_on): what `stats` classifies."""
        skipped = "CASE WHEN s.skipped_on IS NULL THEN 0 ELSE 1 END"
        opted = f"CASE WHEN {OPTED_OUT_STEP} THEN 1 ELSE 0 END"
        inner = (
            "SELECT t.manager AS m, t.playbook AS pb, s.no AS n, s.step_id AS sid, s.due AS d, s.done_on AS dn,"
            f" s.lapses_on AS l, {skipped} AS sk, {opted} AS op, {ADS_CONSENT_STEP} AS ads"
            " FROM steps s JOIN trips t ON t.id = s.trip_id JOIN clients c ON c.id = t.client_id"
            " WHERE s.due BETWEEN ? AND ? AND " + NOT_CANCELLED
        )
        params: list[Any] = [start.isoformat(), end.isoformat()]
        if managers:
            inner += f" AND t.manager IN ({', '.join('?' * len(managers))})"
            params.extend(managers)
        # Grouped outside: the consent's subquery reads the client, which is not grouped.
        sql = (
            f"SELECT m, pb, n, sid, d, dn, COUNT(*), l, sk, op, ads FROM ({inner}) x"
            " GROUP BY m, pb, n, sid, d, dn, l, sk, op, ads"
        )
        days: dict[Any, dt.date | None] = {None: None}  # few distinct days: parse each once
        result = []
        for manager, playbook, no, step_id, due, done_on, count, last, skip, opt, ads in self._rows(sql, params):
            for value in (due, done_on, last):
                if value not in days:
                    days[value] = day(value)
            tally = (
                *(manager, playbook, no, step_id, days[due], days[done_on], count, days[last]),
                *(bool(skip), bool(opt), bool(ads)),
            )
            result.append(StepTally(*tally))  # type: ignore[arg-type]
        return result

    def outcome_trips(self, start: dt.date, end: dt.date) -> list[TripDates]:
        """Every trip not cancelled of the clients who bought a tour or declined from `start`
        through `end`: their whole history."""
        sql = (
            "SELECT t.client_id, t.manager, t.purchase, t.declined FROM trips t"
            f" WHERE {NOT_CANCELLED} AND t.client_id IN ("
            f"  SELECT t.client_id FROM trips t WHERE {NOT_CANCELLED}"
            "  AND (t.purchase BETWEEN ? AND ? OR t.declined BETWEEN ? AND ?))"
        )
        period = (start.isoformat(), end.isoformat())
        return [
            TripDates(client_id, manager, day(purchase), day(declined))
            for client_id, manager, purchase, declined in self._rows(sql, period * 2)
        ]

    # --- the director's workbook ---------------------------------------------------------

    def playbook_uses(self, include_all: bool = False) -> dict[str, PlaybookUse]:
        """Per playbook of the trips a workbook shows: its stored steps, the dates its trips
        have, how many trips (its two halves as of one state of the store)."""
        with self._snapshot():
            return uses_of(self.playbook_trips(include_all), self.playbook_steps(include_all))

    def playbook_trips(self, include_all: bool = False) -> dict[str, tuple[set[str], int]]:
        """Per playbook of the trips a workbook shows: the dates its trips have, how many trips."""
        where = "" if include_all else " WHERE " + OPEN_TRIP
        used = ", ".join(f"MAX(CASE WHEN t.{column} IS NULL THEN 0 ELSE 1 END)" for column in DATE_COLUMNS.values())
        result: dict[str, tuple[set[str], int]] = {}
        for playbook, count, *flags in self._rows(
            f"SELECT t.playbook, COUNT(*), {used} FROM trips t{where} GROUP BY t.playbook"
        ):
            result[playbook] = ({name for name, flag in zip(DATE_COLUMNS, flags) if flag}, count)
        return result

    def playbook_steps(self, include_all: bool = False) -> dict[str, list[tuple[int, str, str, str]]]:
        """Per playbook of the trips a workbook shows: its stored steps (no, id, title, channel),
        the least of each among the trips (~1 s at 100 000 trips: every step of the open trips)."""
        where = "" if include_all else " WHERE " + OPEN_TRIP
        result: dict[str, list[tuple[int, str, str, str]]] = {}
        for playbook, no, sid, title, channel in self._rows(
            "SELECT t.playbook, s.no, MIN(s.step_id), MIN(s.title), MIN(s.channel)"
            " FROM steps s JOIN trips t ON t.id = s.trip_id"
            + where
            + f" GROUP BY t.playbook, s.no ORDER BY t.playbook{self.ORDER}, s.no"
        ):
            result.setdefault(playbook, []).append((no, sid, title, channel))
        return result

    def closed_among(self, trip_ids: Iterable[int]) -> list[int]:
        """Those of `trip_ids` that are not open (cancelled, or no step left to do)."""
        closed: list[int] = []
        for chunk in chunks(sorted(set(trip_ids))):
            marks = ", ".join("?" * len(chunk))
            closed += [
                row[0]
                for row in self._rows(f"SELECT t.id FROM trips t WHERE t.id IN ({marks}) AND NOT ({OPEN_TRIP})", chunk)
            ]
        return closed

    def steps_shared(self, trip_ids: Iterable[int]) -> bool:
        """Whether every step of `trip_ids` is also a step (number, id, title, channel) of an open
        trip of the same playbook: then `playbook_steps` is the same with them or without them."""
        steps: set[tuple] = set()
        for chunk in chunks(sorted(set(trip_ids))):
            marks = ", ".join("?" * len(chunk))
            steps.update(
                tuple(row)
                for row in self._rows(
                    "SELECT t.playbook, s.no, s.step_id, s.title, s.channel"
                    f" FROM steps s JOIN trips t ON t.id = s.trip_id WHERE t.id IN ({marks})",
                    chunk,
                )
            )
        # The newest trips first: the open ones are among them.
        return all(
            self._rows(
                "SELECT 1 FROM trips t JOIN steps s ON s.trip_id = t.id AND s.no = ? WHERE t.playbook = ?"
                f" AND s.step_id = ? AND s.title = ? AND s.channel = ? AND {OPEN_TRIP} ORDER BY t.id DESC LIMIT 1",
                [no, playbook, sid, title, channel],
            )
            for playbook, no, sid, title, channel in sorted(steps)
        )

    def done_marks(self, trip_ids: Iterable[int]) -> dict[int, DoneMarks]:
        """The known trips among `trip_ids`: each one's note and its steps done (numbers)."""
        notes: dict[int, str | None] = {}
        done: dict[int, list[int]] = {}
        for chunk in chunks(sorted(set(trip_ids))):
            marks = ", ".join("?" * len(chunk))
            notes.update(self._rows(f"SELECT id, note FROM trips WHERE id IN ({marks})", chunk))
            for trip_id, no in self._rows(
                f"SELECT trip_id, no FROM steps WHERE trip_id IN ({marks}) AND done_on IS NOT NULL", chunk
            ):
                numbers = done.get(trip_id)
                if numbers is None:
                    done[trip_id] = [no]
                else:
                    numbers.append(no)
        none: frozenset[int] = frozenset()
        return {trip_id: DoneMarks(note, frozenset(done.get(trip_id, none))) for trip_id, note in notes.items()}

    def step_marks(self, trip_ids: Iterable[int]) -> dict[int, StepMarks]:
        """The known trips among `trip_ids`: cancel day, input dates, note and, per step
        number, (step id, done on) and the step's title."""
        result: dict[int, StepMarks] = {}
        dates = ", ".join(DATE_COLUMNS.values())
        made: dict[Any, dt.date | None] = {None: None}  # a stored day -> its date, each made once

        def date_of(value: Any) -> dt.date | None:
            found = made.get(value)
            if found is None and value is not None:
                found = made[value] = day(value)
            return found

        for chunk in chunks(sorted(set(trip_ids))):
            marks = ", ".join("?" * len(chunk))
            for trip_id, cancelled_on, note, *days in self._rows(
                f"SELECT id, cancelled_on, note, {dates} FROM trips WHERE id IN ({marks})", chunk
            ):
                anchors = {anchor: date_of(value) for anchor, value in zip(DATE_COLUMNS, days)}
                result[trip_id] = StepMarks(date_of(cancelled_on), {}, anchors, {}, note)
            for trip_id, no, sid, done_on, title in self._rows(
                f"SELECT trip_id, no, step_id, done_on, title FROM steps WHERE trip_id IN ({marks})", chunk
            ):
                found = result[trip_id]
                found.steps[no] = (sid, date_of(done_on))
                found.titles[no] = title
        return result

    # --- bulk import (one transaction, set-based lookups, batched inserts) -----------------

    def import_context(
        self,
        phone_keys: Iterable[str],
        email_keys: Iterable[str],
        start_days: Iterable[dt.date],
        trips_below: int | None = None,
    ) -> tuple[list[tuple], list[tuple]]:
        """What an import must know: the clients with these phones or e-mails (the same client
        is among them), and the sales that start on these days (a sale typed again is among them),
        only of the trips whose id is below `trips_below` when it is given (those the store had
        before an import that is writing its own).

        Clients as (id, name, phone, email, phone_key, email_key), by id; sales as (client name,
        playbook, purchase, departure, return_on, declined), dates as ISO text.
        """
        found: dict[int, tuple] = {}
        for column, keys in (("phone_key", phone_keys), ("email_key", email_keys)):
            for row in self._clients_keyed(column, sorted(set(keys))):
                found[row[0]] = tuple(row)
        dates = ", ".join(f"t.{column}" for column in DATE_COLUMNS.values())
        sales: list[tuple] = []
        for column in ("purchase", "declined"):  # the start of a sale (a tour) or of a decline
            for chunk in chunks(sorted({iso(d) for d in start_days})):
                marks = ", ".join("?" * len(chunk))
                below = "" if trips_below is None else " AND t.id < ?"
                for name, playbook, *days in self._rows(
                    f"SELECT c.name, t.playbook, {dates} FROM trips t JOIN clients c ON c.id = t.client_id"
                    f" WHERE t.{column} IN ({marks}){below}",
                    [*chunk] if trips_below is None else [*chunk, trips_below],
                ):
                    sales.append((name, playbook, *(iso(day(d)) for d in days)))
        return [found[client_id] for client_id in sorted(found)], sales

    def _clients_keyed(self, column: str, keys: Sequence[str]) -> Iterator[tuple]:
        """The clients whose `column` (phone_key, email_key) is one of `keys`, as import_context
        gives them: a few hundred keys a query (SQLite's limit on parameters)."""
        for chunk in chunks(keys):
            marks = ", ".join("?" * len(chunk))
            yield from self._rows(f"{IMPORT_CLIENT} WHERE {column} IN ({marks})", chunk)

    def add_clients_bulk(
        self, clients: Sequence[tuple[str, str | None, str | None, str | None, str | None]]
    ) -> list[int]:
        """New clients from (name, phone, email, phone_key(phone), email_key(email)), the keys
        as an import has already made them; their ids in the same order. Inside `write()`."""
        ids = self._next_ids("clients", len(clients))
        stamp = now()
        self._bulk(
            "clients",
            ("id", "name", "phone", "email", "phone_key", "email_key", "created_at"),
            [
                (n, name, phone or None, email or None, p_key, e_key, stamp)
                for n, (name, phone, email, p_key, e_key) in zip(ids, clients)
            ],
        )
        return ids

    def complete_clients_bulk(self, clients: Sequence[tuple[int, str | None, str | None]]) -> None:
        """Known clients gain the phone or e-mail they lacked; what they had stays."""
        self._many(
            "UPDATE clients SET phone = COALESCE(phone, ?), phone_key = COALESCE(phone_key, ?),"
            " email = COALESCE(email, ?), email_key = COALESCE(email_key, ?) WHERE id = ?",
            [(phone or None, phone_key(phone), email or None, email_key(email), cid) for cid, phone, email in clients],
        )

    def add_trips_bulk(
        self,
        trips: Sequence[tuple[int, str, str, Sequence[dt.date | None], str | None, Sequence[dt.date]]],
        steps: Mapping[str, Sequence[tuple[int, str, str, str, tuple[int, int] | None]]],
    ) -> list[int]:
        """New trips from (client_id, manager, playbook, dates, note, dues), steps included.

        `dates` are in DATE_COLUMNS order; `steps[playbook]` gives the (no, id, title,
        channel, moment) of the playbook's steps, whose due dates are the trip's `dues`, in
        order; a moment (index of its date in DATE_COLUMNS order, days after it) or None.
        """
        ids = self._next_ids("trips", len(trips))
        stamp = now()
        days = IsoDays()
        self._bulk(
            "trips",
            ("id", "client_id", "manager", "playbook", *DATE_COLUMNS.values(), "note", "created_at"),
            [
                (trip_id, client, manager, playbook, *[days[d] for d in dates], note or None, stamp)
                for trip_id, (client, manager, playbook, dates, note, _dues) in zip(ids, trips)
            ],
        )
        step_rows = (
            (trip_id, no, step_id, title, channel, days[due], days[_last_day(moment, dates)])
            for trip_id, (_c, _m, playbook, dates, _n, dues) in zip(ids, trips)
            for (no, step_id, title, channel, moment), due in zip(steps[playbook], dues)
        )  # streamed: 7 rows per trip are never all held
        self._bulk("steps", ("trip_id", "no", "step_id", "title", "channel", "due", "lapses_on"), step_rows)
        return ids

    def _bulk(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Insert many rows at once (a backend may do it faster than one INSERT a row)."""
        marks = ", ".join("?" * len(columns))
        self._many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    # --- a whole store, for `ppo store copy` ---------------------------------------------

    def dump(self) -> Iterator[tuple[str, Iterator[tuple]]]:
        """Every table's rows, streamed, dates as ISO text, in an order a new store can take them."""
        for table, columns in TABLES.items():
            yield table, self._dump_rows(table, columns)

    def _dump_rows(self, table: str, columns: Sequence[str]) -> Iterator[tuple]:
        dated = [i for i, column in enumerate(columns) if column in DATE_FIELDS]
        order = "1, 2" if len(columns) > 1 else "1"
        for row in self._stream(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"):
            if dated:
                values = list(row)
                for i in dated:
                    values[i] = iso(day(values[i]))
                row = tuple(values)
            yield row

    def load(self, tables: Iterable[tuple[str, Iterable[tuple]]]) -> dict[str, int]:
        """Take a dump into this (empty) store, inside `write()`; the rows taken per table."""
        taken: dict[str, int] = {}
        for table, rows in tables:
            taken[table] = 0
            if table == "ppo_store":
                self._rows("DELETE FROM ppo_store")  # the copy keeps the identity of its source

            def counted(rows: Iterable[tuple] = rows, table: str = table) -> Iterator[tuple]:
                for row in rows:
                    taken[table] += 1
                    yield row

            self._bulk(table, TABLES[table], counted())
        self._after_load()
        return taken

    def _after_load(self) -> None:
        """What a backend must do once rows came in with their own ids (sequences)."""

    def analyze(self) -> None:
        """After a bulk load (`store copy`, a large import), outside its transaction: statistics
        for the server's planner. SQLite's plans here come from its partial indexes, not from
        statistics: nothing to do."""


def _last_day(moment: tuple[int, int] | None, dates: Sequence[dt.date | None]) -> dt.date | None:
    anchor = dates[moment[0]] if moment is not None else None
    return anchor + dt.timedelta(days=moment[1]) if anchor is not None and moment is not None else None


def _step(values: Sequence[Any]) -> TripStep:
    no, sid, title, channel, due, done_on, done_at, note, last, skipped_on, reason = values
    return TripStep(no, sid, title, channel, day(due), day(done_on), done_at, note, day(last), day(skipped_on), reason)  # type: ignore[arg-type]


def _message(row: Sequence[Any]) -> Message:
    values = list(row)
    values[8] = day(values[8])
    values[16] = day(values[16])
    return Message(*values)


def _client(row: Sequence[Any]) -> Client:
    """A client from id, name, phone, email, opted_out, birthday, passport_expires."""
    return Client(row[0], row[1], row[2], row[3], row[4], day(row[5]), day(row[6]))


def _trip_from_row(row: Sequence, steps: tuple[TripStep, ...]) -> Trip:
    dates = {name: day(value) for name, value in zip(DATE_COLUMNS, row[7:11]) if value}
    return Trip(
        id=row[0],
        client=Client(row[1], row[2], row[3], row[4], row[15], day(row[16]), day(row[17])),
        manager=row[5],
        playbook=row[6],
        dates=dates,  # type: ignore[arg-type]
        note=row[11],
        created_at=row[12],
        cancelled_on=day(row[13]),
        cancel_reason=row[14],
        steps=steps,
    )
