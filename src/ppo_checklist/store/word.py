"""The client's word in the store, for both backends: the consent ledger, addresses that do not
deliver, the mail taken from the inbox, SMS delivery, the verdict and its complaints.

A mixin of `SqlStore`: written once over the backend's primitives, as `model` types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from ppo_checklist.core.consent import ConsentEntry, ContactProblem
from ppo_checklist.core.model import email_key, phone_key, utc_stamp
from ppo_checklist.core.verdict import Complaint, Feedback

_CONSENT = "SELECT client_id, channel, purpose, given, given_on, via, text_version, recorded_at, id FROM consents"
_PROBLEM = "SELECT id, client_id, channel, address, kind, found_on, detail FROM contact_problems"
_FEEDBACK = "SELECT id, trip_id, tour, service, via, note, given_on, recorded_at FROM feedback"
_COMPLAINT = (
    "SELECT id, trip_id, feedback_id, opened_at, take_by, answer_by, resolve_by, taken_at, answered_at, resolved_at"
    " FROM complaints"
)
# The trip a client's contact problem is shown on: their newest trip not cancelled (else newest).
_CLIENT_TRIP = (
    "(SELECT t.id FROM trips t WHERE t.client_id = p.client_id"
    " ORDER BY CASE WHEN t.cancelled_on IS NULL THEN 0 ELSE 1 END, t.id DESC LIMIT 1)"
)


class SmsToCheck(NamedTuple):
    message_id: int
    trip_id: int
    address: str
    gateway_id: str


class PersonTask(NamedTuple):
    """A contact problem or a complaint as `today` shows it: on a trip, for a manager."""

    trip_id: int
    client: str
    phone: str | None
    email: str | None
    manager: str
    playbook: str
    dates: dict[str, dt.date]
    problem: ContactProblem | None = None
    complaint: Complaint | None = None


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


class WordStore:
    """The client's word: what `SqlStore` adds over its primitives."""

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        raise NotImplementedError

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    # --- the consent ledger ----------------------------------------------------------------

    def add_consents(self, entries: Sequence[ConsentEntry]) -> None:
        """New lines of the ledger (inside `write()`); the ledger is never rewritten."""
        stamp = utc_stamp()
        self._many(
            "INSERT INTO consents (client_id, channel, purpose, given, given_on, via, text_version, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (e.client_id, e.channel, e.purpose, 1 if e.given else 0, e.on.isoformat(), e.via, e.text_version, stamp)
                for e in entries
            ],
        )

    def consents(self, client_ids: Iterable[int]) -> dict[int, list[ConsentEntry]]:
        """Each client's ledger, oldest first."""
        result: dict[int, list[ConsentEntry]] = {}
        ids = sorted(set(client_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in self._rows(f"{_CONSENT} WHERE client_id IN ({_marks(chunk)}) ORDER BY given_on, id", chunk):
                entry = ConsentEntry(row[0], row[1], row[2], bool(row[3]), _day(row[4]), *row[5:])
                result.setdefault(entry.client_id, []).append(entry)
        return result

    def ads_consents(self) -> set[tuple[int, str]]:
        """(client id, channel) whose ads consent stands: the newest record (by day, then as
        written: `consent.newest`, and sql.ADS_CONSENT_STEP; tests/test_ads_consent_rule.py holds
        the three equal) says given. The workbook's no_consent reads it."""
        standing: dict[tuple[int, str], bool] = {}
        for client_id, channel, given in self._rows(
            "SELECT client_id, channel, given FROM consents WHERE purpose = 'ads' ORDER BY given_on, id"
        ):
            standing[(client_id, channel)] = bool(given)
        return {key for key, given in standing.items() if given}

    def trip_clients(self, trip_ids: Iterable[int]) -> dict[int, int]:
        """trip id -> its client's id."""
        ids = sorted(set(trip_ids))
        result: dict[int, int] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            result.update(
                (row[0], row[1])
                for row in self._rows(f"SELECT id, client_id FROM trips WHERE id IN ({_marks(chunk)})", chunk)
            )
        return result

    # --- addresses that do not deliver -----------------------------------------------------

    def add_contact_problem(
        self, client_id: int, channel: str, address: str, kind: str, on: dt.date, detail: str | None
    ) -> bool:
        """Record that this client's address does not work (inside `write()`); False when that
        problem is already open."""
        key = email_key(address) if channel == "email" else phone_key(address)
        if self._rows(
            "SELECT 1 FROM contact_problems WHERE client_id = ? AND channel = ? AND address = ? AND kind = ?"
            " AND cleared_on IS NULL",
            (client_id, channel, key, kind),
        ):
            return False
        self._insert(
            "INSERT INTO contact_problems (client_id, channel, address, kind, found_on, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (client_id, channel, key, kind, on.isoformat(), detail),
        )
        return True

    def contact_problems(self, client_ids: Iterable[int]) -> dict[int, list[ContactProblem]]:
        """The open problems of these clients' addresses, oldest first."""
        result: dict[int, list[ContactProblem]] = {}
        ids = sorted(set(client_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = f"{_PROBLEM} WHERE cleared_on IS NULL AND client_id IN ({_marks(chunk)}) ORDER BY id"
            for row in self._rows(sql, chunk):
                problem = ContactProblem(row[0], row[1], row[2], row[3], row[4], _day(row[5]), row[6])
                result.setdefault(problem.client_id, []).append(problem)
        return result

    def clear_contact_problems(self, client_id: int, channel: str, on: dt.date) -> int:
        """A person checked the address (or changed it): its problems are closed; how many."""
        rows = self._rows(
            "SELECT id FROM contact_problems WHERE client_id = ? AND channel = ? AND cleared_on IS NULL",
            (client_id, channel),
        )
        self._rows(
            "UPDATE contact_problems SET cleared_on = ? WHERE client_id = ? AND channel = ? AND cleared_on IS NULL",
            (on.isoformat(), client_id, channel),
        )
        return len(rows)

    def problem_tasks(self, managers: Sequence[str] | None = None) -> list[PersonTask]:
        """Open contact problems as tasks on each client's newest trip."""
        sql = (
            f"SELECT p.id, p.client_id, p.channel, p.address, p.kind, p.found_on, p.detail,"
            f" t.id, c.name, c.phone, c.email, t.manager, t.playbook, t.purchase, t.departure, t.return_on, t.declined"
            f" FROM contact_problems p JOIN clients c ON c.id = p.client_id JOIN trips t ON t.id = {_CLIENT_TRIP}"
            " WHERE p.cleared_on IS NULL"
        )
        params: list[Any] = []
        if managers:
            sql += f" AND t.manager IN ({_marks(managers)})"
            params.extend(managers)
        result = []
        for row in self._rows(sql + " ORDER BY p.found_on, p.id", params):
            problem = ContactProblem(row[0], row[1], row[2], row[3], row[4], _day(row[5]), row[6])
            result.append(PersonTask(row[7], row[8], row[9], row[10], row[11], row[12], _dates(row[13:17]), problem))
        return result

    # --- the inbox -------------------------------------------------------------------------

    def inbox_known(self, mail_ids: Iterable[str]) -> set[str]:
        """Which of these mails ppo has already taken."""
        ids = sorted(set(mail_ids))
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            known.update(
                row[0] for row in self._rows(f"SELECT mail_id FROM inbox WHERE mail_id IN ({_marks(chunk)})", chunk)
            )
        return known

    def record_mail(self, mail_id: str, kind: str, sender: str | None) -> bool:
        """A mail taken (inside `write()`); False when another run took it first."""
        if self._rows("SELECT 1 FROM inbox WHERE mail_id = ?", (mail_id,)):
            return False
        self._rows(
            "INSERT INTO inbox (mail_id, kind, sender, taken_at) VALUES (?, ?, ?, ?)",
            (mail_id, kind, sender, utc_stamp()),
        )
        return True

    # --- SMS delivery ----------------------------------------------------------------------

    def sms_to_check(self, since: dt.date) -> list[SmsToCheck]:
        """SMS sent since `since` with the gateway's id whose delivery is not known yet."""
        return [
            SmsToCheck(*row)
            for row in self._rows(
                "SELECT o.id, o.trip_id, o.address, o.gateway_id FROM outbox o"
                " LEFT JOIN deliveries d ON d.message_id = o.id"
                " WHERE o.channel = 'sms' AND o.state = 'sent' AND o.gateway_id IS NOT NULL AND o.gateway_id <> ''"
                " AND o.due >= ? AND (d.message_id IS NULL OR d.state = 'waiting') ORDER BY o.id",
                (since.isoformat(),),
            )
        ]

    def set_delivery(self, message_id: int, state: str, detail: str | None) -> None:
        self._rows("DELETE FROM deliveries WHERE message_id = ?", (message_id,))
        self._rows(
            "INSERT INTO deliveries (message_id, state, detail, checked_at) VALUES (?, ?, ?, ?)",
            (message_id, state, detail, utc_stamp()),
        )

    # --- the verdict and complaints --------------------------------------------------------

    def add_feedback(self, trip_id: int, tour: int, service: int, via: str, note: str | None, on: dt.date) -> int:
        return self._insert(
            "INSERT INTO feedback (trip_id, tour, service, via, note, given_on, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (trip_id, tour, service, via, note, on.isoformat(), utc_stamp()),
        )

    def feedback(self, trip_ids: Iterable[int]) -> list[Feedback]:
        ids = sorted(set(trip_ids))
        result: list[Feedback] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            result.extend(
                _feedback(row)
                for row in self._rows(f"{_FEEDBACK} WHERE trip_id IN ({_marks(chunk)}) ORDER BY id", chunk)
            )
        return result

    def feedback_by_manager(
        self, start: dt.date, end: dt.date, managers: Sequence[str] | None = None
    ) -> list[tuple[str, Feedback]]:
        """Every answer given from `start` through `end` on trips not cancelled, with the trip's manager."""
        sql = (
            "SELECT t.manager, f.id, f.trip_id, f.tour, f.service, f.via, f.note, f.given_on, f.recorded_at"
            " FROM feedback f JOIN trips t ON t.id = f.trip_id"
            " WHERE t.cancelled_on IS NULL AND f.given_on BETWEEN ? AND ?"
        )
        params: list[Any] = [start.isoformat(), end.isoformat()]
        if managers:
            sql += f" AND t.manager IN ({_marks(managers)})"
            params.extend(managers)
        return [(row[0], _feedback(row[1:])) for row in self._rows(sql + " ORDER BY f.id", params)]

    def add_complaint(self, trip_id: int, feedback_id: int, opened_at: str, deadlines: tuple[str, str, str]) -> int:
        return self._insert(
            "INSERT INTO complaints (trip_id, feedback_id, opened_at, take_by, answer_by, resolve_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (trip_id, feedback_id, opened_at, *deadlines),
        )

    def complaints(self, trip_ids: Iterable[int]) -> list[Complaint]:
        ids = sorted(set(trip_ids))
        result: list[Complaint] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            result.extend(
                _complaint(row)
                for row in self._rows(f"{_COMPLAINT} WHERE trip_id IN ({_marks(chunk)}) ORDER BY id", chunk)
            )
        return result

    def complaint_tasks(self, managers: Sequence[str] | None = None) -> list[PersonTask]:
        """Open complaints, with their trips (the manager filter is the trip's manager)."""
        sql = (
            "SELECT k.id, k.trip_id, k.feedback_id, k.opened_at, k.take_by, k.answer_by, k.resolve_by,"
            " k.taken_at, k.answered_at, k.resolved_at,"
            " c.name, c.phone, c.email, t.manager, t.playbook, t.purchase, t.departure, t.return_on, t.declined"
            " FROM complaints k JOIN trips t ON t.id = k.trip_id JOIN clients c ON c.id = t.client_id"
            " WHERE k.resolved_at IS NULL"
        )
        params: list[Any] = []
        if managers:
            sql += f" AND t.manager IN ({_marks(managers)})"
            params.extend(managers)
        return [
            PersonTask(
                row[1], row[10], row[11], row[12], row[13], row[14], _dates(row[15:19]), None, _complaint(row[:10])
            )
            for row in self._rows(sql + " ORDER BY k.opened_at, k.id", params)
        ]

    def set_complaint_stage(self, complaint_id: int, stage: int, at: str) -> None:
        """Stage `stage` (0 taken, 1 answered, 2 resolved) done at `at`, and the earlier ones with it."""
        columns = ("taken_at", "answered_at", "resolved_at")[: stage + 1]
        assignments = ", ".join(f"{c} = COALESCE({c}, ?)" for c in columns)
        self._rows(f"UPDATE complaints SET {assignments} WHERE id = ?", (*[at] * len(columns), complaint_id))


def _dates(values: Sequence[Any]) -> dict[str, dt.date]:
    names = ("purchase", "departure", "return", "declined")
    return {name: _day(value) for name, value in zip(names, values) if value}


def _feedback(row: Sequence[Any]) -> Feedback:
    return Feedback(row[0], row[1], row[2], row[3], row[4], row[5], _day(row[6]), row[7])


def _complaint(row: Sequence[Any]) -> Complaint:
    return Complaint(row[0], row[1], row[2], row[3], (row[4], row[5], row[6]), (row[7], row[8], row[9]))
