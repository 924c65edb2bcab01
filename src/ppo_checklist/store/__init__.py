"""The store: where clients, trips, steps and done marks live.

`Store` is the interface every command uses; `open_store` picks the backend from the
location: a path is an SQLite file (the embedded default, no server), a
`postgresql://user@host:port/db?…` URL is a PostgreSQL server an office shares. Each backend
turns its own errors into `StoreError` (or `BadInput`) at its edge and returns `model` types.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol
from urllib.parse import urlsplit, urlunsplit

from ppo_checklist.core.consent import ConsentEntry, ContactProblem
from ppo_checklist.core.model import (
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
)
from ppo_checklist.core.verdict import Complaint, Feedback
from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import _

if TYPE_CHECKING:
    from ppo_checklist.store.word import PersonTask, SmsToCheck

POSTGRESQL_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class Location(NamedTuple):
    """Where a store is: an SQLite file or a PostgreSQL URL (as given, password included)."""

    backend: str  # "sqlite" or "postgresql"
    target: str

    @property
    def shown(self) -> str:
        """The location as it may be printed: never with its password."""
        return redact(self.target) if self.backend == "postgresql" else self.target


def parse_location(text: str | Path) -> Location:
    """A path, or a PostgreSQL URL; any other `scheme://` is bad input, never a file name."""
    value = str(text).strip()
    if not value:
        raise BadInput(_("the store location is empty"))
    match = _SCHEME.match(value)
    if match:
        scheme = match.group(1).lower()
        if scheme in POSTGRESQL_SCHEMES:
            return Location("postgresql", value)
        raise BadInput(
            _("unknown store scheme '{s}://' (a file path, or postgresql://user@host:port/db)").format(s=scheme)
        )
    return Location("sqlite", str(Path(value).expanduser()))


_USER_PART = re.compile(r"://[^\s\"'/]*@")


def mask_urls(text: str) -> str:
    """Any `scheme://user:password@` in a text (a URL we could not parse, quoted in a server's
    message) with what lies between `://` and `@` masked."""
    return _USER_PART.sub("://***@", text)


def redact(url: str) -> str:
    """The URL with any password (in the user part or the query) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = re.sub(r"(?i)(^|&)(password)=[^&]*", r"\1\2=***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class Store(Protocol):
    """What commands ask of a store. One transaction per command: `with store.write(): …`."""

    location: Location
    # an import may write one part while it decides the next, in a second thread: worth it
    # where a write waits on a server (PostgreSQL), not where it is the process's own work
    writes_aside: bool

    def close(self) -> None: ...
    def write(self) -> AbstractContextManager[None]: ...
    def info(self) -> StoreInfo: ...
    def identity(self) -> str: ...

    # clients
    def add_client(self, name: str, phone: str | None, email: str | None) -> Client: ...
    def update_client(
        self,
        client_id: int,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        birthday: dt.date | None = None,
        passport_expires: dt.date | None = None,
    ) -> Client: ...
    def birthdays(self, month_days: Sequence[int]) -> list[tuple[Client, int, str]]: ...
    def client_messages(self, client_ids: Iterable[int], letter: str) -> dict[int, list[Message]]: ...
    def add_steps(self, trip_id: int, steps: Sequence[NewStep]) -> None: ...
    def client_trip_ids(self, client_id: int) -> list[int]: ...

    # trips
    def add_trip(
        self,
        client: Client,
        manager: str,
        playbook: str,
        dates: Mapping[str, dt.date | None],
        steps: Sequence[NewStep],
        note: str | None = None,
    ) -> int: ...
    def trips_on(self, playbook: str, dates: Mapping[str, dt.date | None]) -> list[tuple[int, int, str]]: ...
    def trip(self, trip_id: int) -> Trip: ...
    def trips(self, include_all: bool = False, manager: str | Sequence[str] | None = None) -> list[Trip]: ...
    def iter_trips(self, include_all: bool = False) -> Iterator[Trip]: ...
    def client_keys(self) -> Iterator[tuple[int, str, str | None, str | None]]: ...
    def trips_of(self, client_ids: Sequence[int]) -> list[Trip]: ...
    def agenda(
        self,
        until: dt.date,
        since: dt.date | None = None,
        manager: str | Sequence[str] | None = None,
        as_of: dt.date | None = None,
    ) -> list[AgendaRow]: ...
    def mark_done_bulk(self, marks: Sequence[tuple[int, int, dt.date, str | None]]) -> None: ...
    def managers(self) -> list[str]: ...
    def has_manager(self, name: str) -> bool: ...

    # done marks, edits, cancelling
    def mark_done(self, trip_id: int, no: int, day: dt.date, note: str | None) -> None: ...
    def unmark_done(self, trip_id: int, no: int) -> None: ...
    def set_trip(
        self, trip_id: int, manager: str | None = None, dates: Mapping[str, dt.date | None] | None = None
    ) -> None: ...
    def set_note(self, trip_id: int, note: str) -> str | None: ...
    def move_pending(self, trip_id: int, dues: Mapping[int, tuple[dt.date, dt.date | None]]) -> None: ...
    def skip(self, trip_id: int, no: int, day: dt.date, reason: str | None) -> None: ...
    def unskip(self, trip_id: int, no: int) -> None: ...
    def cancel(self, trip_id: int, day: dt.date, reason: str | None) -> None: ...

    # consent and the outbox (ppo send)
    def set_opted_out(self, client_ids: Sequence[int], stamp: str | None) -> None: ...
    def clients_by_contact(self, phone: str | None, email: str | None) -> list[Client]: ...
    def send_steps(
        self,
        open_since: dt.date,
        series_since: dt.date,
        until: dt.date,
        managers: Sequence[str] | None = None,
        channels: Sequence[str] = ("email", "sms"),
    ) -> list[SendStep]: ...
    def messages(self, trip_ids: Iterable[int]) -> dict[int, list[Message]]: ...
    def message(self, message_id: int) -> Message: ...
    def messages_in(self, states: Sequence[str]) -> list[Message]: ...
    def record_message(self, message: Message) -> int | None: ...
    def set_message(
        self,
        message_id: int,
        expected: str | Sequence[str],
        state: str,
        error: str | None = None,
        gateway_id: str | None = None,
        handed: bool = False,
    ) -> bool: ...
    def send_lease(self, host: str, pid: int) -> AbstractContextManager[int]: ...

    # the client's word (store/word.py): consent ledger, contact problems, inbox, delivery, verdict
    def add_consents(self, entries: Sequence[ConsentEntry]) -> None: ...
    def consents(self, client_ids: Iterable[int]) -> dict[int, list[ConsentEntry]]: ...
    def ads_consents(self) -> set[tuple[int, str]]: ...
    def trip_clients(self, trip_ids: Iterable[int]) -> dict[int, int]: ...
    def add_contact_problem(
        self, client_id: int, channel: str, address: str, kind: str, on: dt.date, detail: str | None
    ) -> bool: ...
    def contact_problems(self, client_ids: Iterable[int]) -> dict[int, list[ContactProblem]]: ...
    def clear_contact_problems(self, client_id: int, channel: str, on: dt.date) -> int: ...
    def problem_tasks(self, managers: Sequence[str] | None = None) -> list[PersonTask]: ...
    def inbox_known(self, mail_ids: Iterable[str]) -> set[str]: ...
    def record_mail(self, mail_id: str, kind: str, sender: str | None) -> bool: ...
    def sms_to_check(self, since: dt.date) -> list[SmsToCheck]: ...
    def set_delivery(self, message_id: int, state: str, detail: str | None) -> None: ...
    def add_feedback(self, trip_id: int, tour: int, service: int, via: str, note: str | None, on: dt.date) -> int: ...
    def feedback(self, trip_ids: Iterable[int]) -> list[Feedback]: ...
    def feedback_by_manager(
        self, start: dt.date, end: dt.date, managers: Sequence[str] | None = None
    ) -> list[tuple[str, Feedback]]: ...
    def add_complaint(self, trip_id: int, feedback_id: int, opened_at: str, deadlines: tuple[str, str, str]) -> int: ...
    def complaints(self, trip_ids: Iterable[int]) -> list[Complaint]: ...
    def complaint_tasks(self, managers: Sequence[str] | None = None) -> list[PersonTask]: ...
    def set_complaint_stage(self, complaint_id: int, stage: int, at: str) -> None: ...

    # the director's figures and workbook
    def step_tallies(self, start: dt.date, end: dt.date, managers: Sequence[str] | None = None) -> list[StepTally]: ...
    def outcome_trips(self, start: dt.date, end: dt.date) -> list[TripDates]: ...
    def playbook_uses(self, include_all: bool = False) -> dict[str, PlaybookUse]: ...
    def playbook_trips(self, include_all: bool = False) -> dict[str, tuple[set[str], int]]: ...
    def closed_among(self, trip_ids: Iterable[int]) -> list[int]: ...
    def steps_shared(self, trip_ids: Iterable[int]) -> bool: ...
    def done_marks(self, trip_ids: Iterable[int]) -> dict[int, DoneMarks]: ...
    def step_marks(self, trip_ids: Iterable[int]) -> dict[int, StepMarks]: ...

    # bulk import
    def import_context(
        self,
        phone_keys: Iterable[str],
        email_keys: Iterable[str],
        start_days: Iterable[dt.date],
        trips_below: int | None = None,
    ) -> tuple[list[tuple], list[tuple]]: ...
    def add_clients_bulk(
        self, clients: Sequence[tuple[str, str | None, str | None, str | None, str | None]]
    ) -> list[int]: ...
    def complete_clients_bulk(self, clients: Sequence[tuple[int, str | None, str | None]]) -> None: ...
    def add_trips_bulk(
        self,
        trips: Sequence[tuple[int, str, str, Sequence[dt.date | None], str | None, Sequence[dt.date]]],
        steps: Mapping[str, Sequence[tuple[int, str, str, str, tuple[int, int] | None]]],
    ) -> list[int]: ...

    # moving a whole store (ppo store copy)
    def dump(self) -> Iterator[tuple[str, Iterator[tuple]]]: ...
    def load(self, tables: Iterable[tuple[str, Iterable[tuple]]]) -> dict[str, int]: ...
    def counts(self) -> dict[str, int]: ...
    def check(self, quick: bool = False) -> list[str]: ...
    def analyze(self) -> None: ...


WRITE_WAIT_S = 30  # how long a writer waits for another's write to end (config `store_wait`)


def open_store(location: str | Path | Location, create_folder: bool = False, wait: int = WRITE_WAIT_S) -> Store:
    """Open the store at `location`, creating and migrating its schema on first use. A new
    SQLite file's folder is made only with `create_folder` (the default location): a path
    typed with a mistake in its folder must not become a new, empty store. A writer waits
    for another's write at most `wait` seconds, then gives up with one line."""
    where = location if isinstance(location, Location) else parse_location(location)
    if where.backend == "postgresql":
        from ppo_checklist.store.postgresql import PostgresStore  # psycopg only when asked for

        return PostgresStore.open(where, wait)
    from ppo_checklist.store.sqlite import SQLiteStore  # each backend only when a store of its kind opens

    return SQLiteStore.open(where, create_folder, wait)
