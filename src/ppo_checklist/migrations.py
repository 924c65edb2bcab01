"""The store's schema, as forward migrations; `PRAGMA user_version` says which ran."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: clients, trips and their steps with due dates and done marks.
    """
    CREATE TABLE clients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        phone TEXT,
        email TEXT,
        phone_key TEXT,
        email_key TEXT,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX clients_phone ON clients(phone_key) WHERE phone_key IS NOT NULL;
    CREATE UNIQUE INDEX clients_email ON clients(email_key) WHERE email_key IS NOT NULL;
    CREATE TABLE trips (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id),
        manager TEXT NOT NULL DEFAULT '',
        playbook TEXT NOT NULL,
        purchase TEXT,
        departure TEXT,
        return_on TEXT,
        declined TEXT,
        note TEXT,
        created_at TEXT NOT NULL,
        cancelled_on TEXT,
        cancel_reason TEXT
    );
    CREATE INDEX trips_client ON trips(client_id);
    CREATE TABLE steps (
        trip_id INTEGER NOT NULL REFERENCES trips(id),
        no INTEGER NOT NULL,
        step_id TEXT NOT NULL,
        title TEXT NOT NULL,
        channel TEXT NOT NULL,
        due TEXT NOT NULL,
        done_on TEXT,
        done_at TEXT,
        done_note TEXT,
        PRIMARY KEY (trip_id, no)
    ) WITHOUT ROWID;
    CREATE INDEX steps_open_due ON steps(due) WHERE done_on IS NULL;
    """,
]

LATEST = len(MIGRATIONS)
