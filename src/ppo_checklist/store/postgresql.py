"""A store on a PostgreSQL server, for an office whose managers work on several PCs.

Imported only when the location is a `postgresql://` URL (psycopg is not loaded for SQLite).
The password comes from the URL, `PGPASSWORD` or `~/.pgpass` by libpq's own rules and never
appears in a message. Writes are one transaction per command holding a transaction-level
advisory lock: writers take turns as they do on SQLite (BEGIN IMMEDIATE), so forty managers
adding and ticking at once lose nothing and never meet a serialization failure; readers are
never blocked. Every psycopg error leaves this module as a `StoreError` (or `BadInput`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from psycopg import IsolationLevel
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from ppo_checklist import reasons
from ppo_checklist.core.model import AgendaRow, opts_out
from ppo_checklist.errors import Busy, StoreError
from ppo_checklist.i18n import _
from ppo_checklist.store import Location, mask_urls
from ppo_checklist.store.migrations import POSTGRESQL
from ppo_checklist.store.sql import (
    AGENDA_JOINS,
    DATE_COLUMNS,
    FIRST_MESSAGE_STATE,
    IMPORT_CLIENT,
    NOT_CANCELLED,
    SqlStore,
    at_the_edge,
    day,
    manager_names,
)

LATEST = len(POSTGRESQL)
CONNECT_TIMEOUT_S = 10
WRITE_LOCK = 0x70706F  # "ppo": the key of the advisory lock writers take turns on
MIGRATE_LOCK = WRITE_LOCK + 1
SEND_LOCK = WRITE_LOCK + 2  # with the schema's hash: the one `ppo send` of this store

_edge = at_the_edge(psycopg.Error)  # psycopg's errors become the project's own here


class PostgresStore(SqlStore):
    backend = "postgresql"
    writes_aside = True  # a part's COPY waits on the server while the next part is decided
    ORDER = ' COLLATE "C"'  # text sorts by code point, as SQLite's does
    MONTH_DAY = "(EXTRACT(MONTH FROM {column}) * 100 + EXTRACT(DAY FROM {column}))"

    def __init__(self, connection: psycopg.Connection, location: Location):
        super().__init__(location)
        self.db = connection
        self._sql: dict[str, str] = {}

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, location: Location, wait: int = 30) -> PostgresStore:
        """Connect (within the connect timeout) and create or migrate the schema on first use."""
        secret = _password(location.target)
        try:
            # A writer that stalls (an import stopped mid-COPY) holds the write lock: the others
            # wait `wait` seconds for it, then give up with one line, as on SQLite. No JIT: it
            # compiles a query whose estimate passes jit_above_cost, and at 100 000 trips that
            # costs more than it saves (`upcoming`: 172 ms with it, 142 ms without; the month's
            # figures and the list of trips the same either way). Said in the connection's
            # options, not by a SET after it: one round trip less on every command.
            settings = _settings(location.target, {"lock_timeout": f"{int(wait)}s", "jit": "off"})
            connection = psycopg.connect(location.target, autocommit=True, **_timeout(location.target), **settings)
        except psycopg.Error as exc:
            raise StoreError(
                _("cannot connect to the store {url}: {e}").format(
                    url=location.shown, e=reasons.database_said(_clean(exc, secret))
                )
            ) from None
        store = cls(connection, location)
        store.wait = wait
        try:
            store._prepare()
        except BaseException:
            connection.close()
            raise
        return store

    @_edge
    def _prepare(self) -> None:
        version = self.schema_version()
        if version < LATEST:
            with self.db.transaction():
                # Two processes starting on an empty database at once: one migrates, the
                # other waits here and then finds the work done.
                self.db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
                self.db.execute("CREATE TABLE IF NOT EXISTS ppo_schema (version INTEGER NOT NULL)")
                row = self.db.execute("SELECT version FROM ppo_schema").fetchone()
                if row is None:
                    self.db.execute("INSERT INTO ppo_schema (version) VALUES (0)")
                version = row[0] if row else 0
                for number in range(version, LATEST):
                    for statement in POSTGRESQL[number].split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                    self.db.execute("UPDATE ppo_schema SET version = %s", (number + 1,))
                version = max(version, LATEST)
        if version > LATEST:
            raise StoreError(
                _("the store {path} has schema v{v}, newer than this ppo knows (v{k}): upgrade ppo").format(
                    path=self.location.shown, v=version, k=LATEST
                )
            )

    @_edge
    def schema_version(self) -> int:
        try:
            row = self.db.execute("SELECT version FROM ppo_schema").fetchone()
        except pg_errors.UndefinedTable:
            return 0
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.db.close()  # a session's advisory locks (the sender's) end with it

    # --- the sender's lock: a session advisory lock, per schema (one store each) ---------

    @_edge
    def _lock_sender(self) -> bool:
        row = self.db.execute("SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))", (SEND_LOCK,)).fetchone()
        return bool(row and row[0])

    def _unlock_sender(self) -> None:
        try:
            self.db.execute("SELECT pg_advisory_unlock(%s, hashtext(current_schema()))", (SEND_LOCK,))
        except psycopg.Error:
            pass  # the connection is gone, and the lock with it

    # --- transactions --------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[None]:
        """One transaction: everything inside is written, or nothing is."""
        try:
            with self.db.transaction():
                self.db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                yield
        except pg_errors.LockNotAvailable:
            raise Busy(
                _("the store {url} is busy: another command has been writing for {s} s; nothing written").format(
                    url=self.location.shown, s=self.wait
                )
            ) from None
        except psycopg.Error as exc:
            raise self._failure(exc) from None

    wait = 30

    def _failure(self, exc: psycopg.Error) -> StoreError:
        where = self.location.shown
        if isinstance(exc, psycopg.OperationalError) and self.db.closed:
            return StoreError(_("lost the connection to the store {url}").format(url=where))
        return StoreError(_("store {url}: {e}").format(url=where, e=_clean(exc, _password(self.location.target))))

    # --- the primitives the shared SQL runs on -------------------------------------------

    def _q(self, sql: str) -> str:
        """The shared SQL's `?` parameters as psycopg's `%s` (converted once per statement)."""
        text = self._sql.get(sql)
        if text is None:
            text = self._sql[sql] = sql.replace("%", "%%").replace("?", "%s")
        return text

    @_edge
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self.db.execute(self._q(sql), params)
        return cursor.fetchall() if cursor.description else []

    @_edge
    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with self.db.cursor() as cursor:
                cursor.executemany(self._q(sql), rows)

    @_edge
    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        row = self.db.execute(self._q(sql + " RETURNING id"), params).fetchone()
        return int(row[0])  # type: ignore[index]

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
        """Rows fetched in batches through a server-side cursor: a workbook of 100 000 trips
        is never held at once."""
        try:
            with self.db.transaction(), self.db.cursor(name="ppo_stream") as cursor:
                cursor.itersize = 5000
                cursor.execute(self._q(sql), params)
                yield from cursor
        except psycopg.Error as exc:
            raise self._failure(exc) from None

    @_edge
    def _next_ids(self, table: str, count: int) -> list[int]:
        """A block of `count` ids in one statement: the sequence moved on by `count`. Safe: it
        runs inside `write()`, under the store's write lock, which every writer of ppo holds
        while it takes ids (one nextval per id for 5 000 rows took ~8 ms; an import of 100 000
        trips asked 86 times). A writer outside ppo (psql, another program) inserting between
        the nextval and the setval would meet a duplicate key, never a silent overlap."""
        if count < 1:
            return []
        row = self.db.execute(
            "SELECT setval(s, nextval(s) + %s - 1) FROM pg_get_serial_sequence(%s, 'id') AS s", (count, table)
        ).fetchone()
        assert row is not None  # setval answers one row
        return list(range(row[0] - count + 1, row[0] + 1))

    def _clients_keyed(self, column: str, keys: Sequence[str]) -> Iterator[tuple]:
        """All the keys in one query (an array): a large import asks this of every part."""
        return iter(self._rows(f"{IMPORT_CLIENT} WHERE {column} = ANY(?)", [list(keys)]) if keys else ())

    @_edge
    def _bulk(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """COPY: the server takes a bulk import's 700 000 steps in one stream."""
        with self.db.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _update_unique(self, sql: str, params: Sequence[Any]) -> None:
        try:
            with self.db.transaction():  # a savepoint: the command's transaction stays usable
                self.db.execute(self._q(sql), params)
        except pg_errors.UniqueViolation as exc:
            raise self._integrity(exc) from None
        except psycopg.Error as exc:
            raise self._failure(exc) from None

    @_edge
    def _after_load(self) -> None:
        for table in ("clients", "trips", "outbox", "consents", "contact_problems", "feedback", "complaints"):
            self.db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            )

    @_edge
    def analyze(self) -> None:
        """ANALYZE: a store just loaded has no statistics until autovacuum passes (minutes later,
        at a moment of its choosing); until then the planner guesses, and at 100 000 trips it
        expected 150 753 open steps due by today where there were 902."""
        self.db.execute("ANALYZE")

    # --- the day's list ------------------------------------------------------------------

    def agenda(
        self,
        until: dt.date,
        since: dt.date | None = None,
        manager: str | Sequence[str] | None = None,
        as_of: dt.date | None = None,
    ) -> list[AgendaRow]:
        """What the shared query answers, read table by table. PostgreSQL's statistics see
        `due` and `done_on` apart, so its planner cannot know that open steps are nearly all in
        the future: at 100 000 trips it expects 150 000 open steps due by today where 900 are, and
        hash-joins the whole of trips and clients (~100 ms, two parallel workers). Here the
        open steps come from their partial index, then their trips and clients by key (each
        estimate exact), in one read-only snapshot, ordered as the shared query orders them.
        (One statement looking each step's trip and client up by key, LATERAL … OFFSET 0, was
        slower where it counts, in a new connection: ~7 ms to plan, ~15 ms to run, against ~10 ms
        for these three.) Days ahead (`since`, `ppo upcoming`) are nearly all open, so the
        estimate holds there and the shared query stays."""
        if since is not None:
            return self._agenda(until, since, manager, as_of, AGENDA_JOINS)
        sql = (
            "SELECT s.trip_id, s.no, s.step_id, s.title, s.channel, s.due, "
            + FIRST_MESSAGE_STATE
            + ", s.lapses_on FROM steps s WHERE s.done_on IS NULL AND s.due <= ? AND s.skipped_on IS NULL"
        )
        params: list[Any] = [until.isoformat()]
        if as_of is not None:
            sql += " AND (s.lapses_on IS NULL OR s.lapses_on >= ?)"
            params.append(as_of.isoformat())
        trip_sql = "SELECT t.id, t.client_id, t.manager, t.playbook, " + ", ".join(
            f"t.{c}" for c in DATE_COLUMNS.values()
        )
        names = manager_names(manager) if manager else []
        trip_sql += (
            " FROM trips t WHERE t.id = ANY(?) AND " + NOT_CANCELLED + (" AND t.manager = ANY(?)" if names else "")
        )
        with self._snapshot():
            steps = self._rows(sql, params)
            if not steps:
                return []
            trips = {
                row[0]: row
                for row in self._rows(trip_sql, [sorted({s[0] for s in steps}), *([names] if names else [])])
            }
            if not trips:
                return []
            clients = {
                row[0]: row
                for row in self._rows(
                    "SELECT id, name, phone, email, opted_out FROM clients WHERE id = ANY(?)",
                    [sorted({t[1] for t in trips.values()})],
                )
            }
        result = []
        for trip_id, no, step_id, title, channel, due, outbox, last in steps:
            trip = trips.get(trip_id)
            if trip is None:  # cancelled, or another manager's
                continue
            _id, name, phone, email, opted_out = clients[trip[1]]
            if opts_out(channel, opted_out is not None):
                continue
            dates = {anchor: day(value) for anchor, value in zip(DATE_COLUMNS, trip[4:8]) if value}
            row = (trip_id, name, phone, email, trip[2], trip[3], no, step_id, title, channel, day(due))
            result.append(AgendaRow(*row, dates, opted_out is not None, outbox, day(last)))  # type: ignore[arg-type]
        # ORDER BY s.due, t.manager COLLATE "C", s.trip_id, s.no: str order is code-point order
        result.sort(key=lambda row: (row.due, row.manager, row.trip_id, row.step_no))
        return result

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads that see one state of the store (inside a command's transaction, that one)."""
        if self.db.info.transaction_status != TransactionStatus.IDLE:
            yield
            return
        try:
            # Said in the BEGIN itself (psycopg writes it from these): no SET after it.
            self.db.isolation_level, self.db.read_only = IsolationLevel.REPEATABLE_READ, True
            with self.db.transaction():
                yield
        except psycopg.Error as exc:
            raise self._failure(exc) from None
        finally:
            self.db.isolation_level, self.db.read_only = None, None

    def trip_clients(self, trip_ids: Iterable[int]) -> dict[int, int]:
        """trip id -> its client's id, the ids as one array: today's ~700 trips as `IN (?, …)`
        took ~2 ms to send and parse, five times SQLite's."""
        ids = sorted(set(trip_ids))
        return {row[0]: row[1] for row in self._rows("SELECT id, client_id FROM trips WHERE id = ANY(?)", [ids])}

    # --- integrity -----------------------------------------------------------------------

    @_edge
    def check(self, quick: bool = False) -> list[str]:
        """What can be checked from a client: the schema, and steps or trips pointing nowhere.
        (The server guards its own pages; `amcheck` is the administrator's tool for those.)"""
        problems = []
        if self.schema_version() != LATEST:
            problems.append(_("schema v{v}, expected v{k}").format(v=self.schema_version(), k=LATEST))
        orphans = self._one(
            "SELECT (SELECT COUNT(*) FROM steps s LEFT JOIN trips t ON t.id = s.trip_id WHERE t.id IS NULL),"
            " (SELECT COUNT(*) FROM trips t LEFT JOIN clients c ON c.id = t.client_id WHERE c.id IS NULL)"
        )
        if orphans and orphans[0]:
            problems.append(_("{n} steps of no trip").format(n=orphans[0]))
        if orphans and orphans[1]:
            problems.append(_("{n} trips of no client").format(n=orphans[1]))
        return problems


def _password(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.password:
        return unquote(parts.password)
    values = parse_qs(parts.query).get("password")
    return values[0] if values else None


def _settings(url: str, settings: dict[str, str]) -> dict[str, Any]:
    """libpq's `options` with the server settings added (`-c name=value`), after any the URL
    gives (its search_path, say), which stay."""
    try:
        given = conninfo_to_dict(url).get("options") or ""
    except psycopg.ProgrammingError:  # not a URL libpq reads: psycopg.connect says why
        return {}
    added = " ".join(f"-c {name}={value}" for name, value in settings.items())
    return {"options": f"{given} {added}".strip()}


def _timeout(url: str) -> dict[str, Any]:
    """A server that is down is an answer within seconds, not a hang (unless the URL says)."""
    try:
        given = "connect_timeout" in parse_qs(urlsplit(url).query)
    except ValueError:
        given = False
    return {} if given else {"connect_timeout": CONNECT_TIMEOUT_S}


def _clean(exc: BaseException, secret: str | None) -> str:
    """The server's message on one line, without the password even if it quoted it."""
    text = mask_urls(" ".join(str(exc).split()))
    if secret:
        text = text.replace(secret, "***")
    return text
