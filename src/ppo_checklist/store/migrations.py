"""The store's schema, as forward migrations per backend: migration N brings a store from
version N to N+1. SQLite keeps the version in `PRAGMA user_version`, PostgreSQL in the
`ppo_schema` table. Both lists grow together: the same version means the same tables.
"""

from __future__ import annotations

# The moments (`lapses`) of the shipped playbooks' steps, for the steps stored before steps had
# them (migration 6): playbook, step id, date column, days after it.
SHIPPED_MOMENTS = (
    ("tour", "ppo-do", "departure", 0),
    ("tour", "reminder", "departure", 0),
    ("tour", "sms-departure", "departure", 1),
    ("tour", "sms-return", "return_on", 2),
    ("tour", "ppo-posle", "return_on", 5),
    ("declined", "decline-chain", "departure", 0),
    ("declined", "decline-feedback", "declined", 30),
)


def _moments_sqlite() -> str:
    return "".join(
        f"UPDATE steps SET lapses_on = (SELECT date(t.{column}, '+{days} day') FROM trips t"
        f" WHERE t.id = steps.trip_id) WHERE step_id = '{step}' AND done_on IS NULL"
        f" AND trip_id IN (SELECT id FROM trips WHERE playbook = '{playbook}');\n"
        for playbook, step, column, days in SHIPPED_MOMENTS
    )


def _moments_postgresql() -> str:
    return "".join(
        f"UPDATE steps s SET lapses_on = t.{column} + {days} FROM trips t WHERE t.id = s.trip_id"
        f" AND t.playbook = '{playbook}' AND s.step_id = '{step}' AND s.done_on IS NULL;\n"
        for playbook, step, column, days in SHIPPED_MOMENTS
    )


SQLITE: list[str] = [
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
    # 2: the outbox of letters and SMS ppo sends (each once), and a client's opt-out.
    """
    ALTER TABLE clients ADD COLUMN opted_out TEXT;
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        trip_id INTEGER NOT NULL REFERENCES trips(id),
        step_no INTEGER NOT NULL,
        letter TEXT NOT NULL,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL,
        due TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        handed_at TEXT,
        sent_at TEXT,
        gateway_id TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        series_end TEXT,
        UNIQUE (trip_id, step_no, letter)
    );
    CREATE INDEX outbox_open ON outbox(state) WHERE state <> 'sent';
    CREATE INDEX outbox_series ON outbox(series_end);
    """,
    # 3: the lease of the one `ppo send` running (who holds it: host, pid, since when).
    """
    CREATE TABLE send_lease (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL
    );
    """,
    # 4: the client's word: a consent ledger, addresses found not to deliver, the mail ppo
    # took from the inbox, what the SMS gateway said of delivery, the verdict after a trip and
    # the complaints a dissatisfied one opens.
    """
    CREATE TABLE consents (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id),
        channel TEXT NOT NULL,
        purpose TEXT NOT NULL,
        given INTEGER NOT NULL,
        given_on TEXT NOT NULL,
        via TEXT NOT NULL,
        text_version TEXT,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX consents_client ON consents(client_id, channel, purpose);
    CREATE TABLE contact_problems (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id),
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        kind TEXT NOT NULL,
        found_on TEXT NOT NULL,
        detail TEXT,
        cleared_on TEXT
    );
    CREATE INDEX contact_problems_client ON contact_problems(client_id);
    CREATE TABLE inbox (
        mail_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        sender TEXT,
        taken_at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        message_id INTEGER PRIMARY KEY REFERENCES outbox(id),
        state TEXT NOT NULL,
        detail TEXT,
        checked_at TEXT NOT NULL
    );
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        trip_id INTEGER NOT NULL REFERENCES trips(id),
        tour INTEGER NOT NULL,
        service INTEGER NOT NULL,
        via TEXT NOT NULL,
        note TEXT,
        given_on TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX feedback_trip ON feedback(trip_id);
    CREATE TABLE complaints (
        id INTEGER PRIMARY KEY,
        trip_id INTEGER NOT NULL REFERENCES trips(id),
        feedback_id INTEGER NOT NULL REFERENCES feedback(id),
        opened_at TEXT NOT NULL,
        take_by TEXT NOT NULL,
        answer_by TEXT NOT NULL,
        resolve_by TEXT NOT NULL,
        taken_at TEXT,
        answered_at TEXT,
        resolved_at TEXT
    );
    CREATE INDEX complaints_open ON complaints(resolved_at);
    """,
    # 5: a client's birthday (a yearly greeting) and the day their passport expires.
    """
    ALTER TABLE clients ADD COLUMN birthday TEXT;
    ALTER TABLE clients ADD COLUMN passport_expires TEXT;
    CREATE INDEX clients_birthday
        ON clients((CAST(substr(birthday, 6, 2) AS INTEGER) * 100 + CAST(substr(birthday, 9, 2) AS INTEGER)))
        WHERE birthday IS NOT NULL;
    """,
    # 6: a step's moment (the last day it makes sense) and a person's skip; a phone or e-mail
    # shared by several clients (a family); the store's identity, written into its workbooks.
    """
    ALTER TABLE steps ADD COLUMN lapses_on TEXT;
    ALTER TABLE steps ADD COLUMN skipped_on TEXT;
    ALTER TABLE steps ADD COLUMN skip_reason TEXT;
    DROP INDEX clients_phone;
    DROP INDEX clients_email;
    CREATE INDEX clients_phone ON clients(phone_key) WHERE phone_key IS NOT NULL;
    CREATE INDEX clients_email ON clients(email_key) WHERE email_key IS NOT NULL;
    CREATE TABLE ppo_store (id TEXT NOT NULL);
    INSERT INTO ppo_store (id) VALUES (lower(hex(randomblob(16))));
    """
    + _moments_sqlite(),
    # 7: the starting days of a trip, which the check for a sale typed twice looks up.
    """
    CREATE INDEX trips_start ON trips(purchase, declined);
    """,
]

POSTGRESQL: list[str] = [
    # 1: the same tables, with identity columns and `date` columns.
    """
    CREATE TABLE clients (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
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
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        client_id BIGINT NOT NULL REFERENCES clients(id),
        manager TEXT NOT NULL DEFAULT '',
        playbook TEXT NOT NULL,
        purchase DATE,
        departure DATE,
        return_on DATE,
        declined DATE,
        note TEXT,
        created_at TEXT NOT NULL,
        cancelled_on DATE,
        cancel_reason TEXT
    );
    CREATE INDEX trips_client ON trips(client_id);
    CREATE TABLE steps (
        trip_id BIGINT NOT NULL REFERENCES trips(id),
        no INTEGER NOT NULL,
        step_id TEXT NOT NULL,
        title TEXT NOT NULL,
        channel TEXT NOT NULL,
        due DATE NOT NULL,
        done_on DATE,
        done_at TEXT,
        done_note TEXT,
        PRIMARY KEY (trip_id, no)
    );
    CREATE INDEX steps_open_due ON steps(due) WHERE done_on IS NULL;
    """,
    # 2: the outbox of letters and SMS ppo sends (each once), and a client's opt-out.
    """
    ALTER TABLE clients ADD COLUMN opted_out TEXT;
    CREATE TABLE outbox (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        trip_id BIGINT NOT NULL REFERENCES trips(id),
        step_no INTEGER NOT NULL,
        letter TEXT NOT NULL,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL,
        due DATE NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        handed_at TEXT,
        sent_at TEXT,
        gateway_id TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        series_end DATE,
        UNIQUE (trip_id, step_no, letter)
    );
    CREATE INDEX outbox_open ON outbox(state) WHERE state <> 'sent';
    CREATE INDEX outbox_series ON outbox(series_end);
    """,
    # 3: the lease of the one `ppo send` running (who holds it: host, pid, since when).
    """
    CREATE TABLE send_lease (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL
    );
    """,
    # 4: the client's word: a consent ledger, addresses found not to deliver, the mail ppo
    # took from the inbox, what the SMS gateway said of delivery, the verdict after a trip and
    # the complaints a dissatisfied one opens.
    """
    CREATE TABLE consents (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        client_id BIGINT NOT NULL REFERENCES clients(id),
        channel TEXT NOT NULL,
        purpose TEXT NOT NULL,
        given INTEGER NOT NULL,
        given_on DATE NOT NULL,
        via TEXT NOT NULL,
        text_version TEXT,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX consents_client ON consents(client_id, channel, purpose);
    CREATE TABLE contact_problems (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        client_id BIGINT NOT NULL REFERENCES clients(id),
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        kind TEXT NOT NULL,
        found_on DATE NOT NULL,
        detail TEXT,
        cleared_on DATE
    );
    CREATE INDEX contact_problems_client ON contact_problems(client_id);
    CREATE TABLE inbox (
        mail_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        sender TEXT,
        taken_at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        message_id BIGINT PRIMARY KEY REFERENCES outbox(id),
        state TEXT NOT NULL,
        detail TEXT,
        checked_at TEXT NOT NULL
    );
    CREATE TABLE feedback (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        trip_id BIGINT NOT NULL REFERENCES trips(id),
        tour INTEGER NOT NULL,
        service INTEGER NOT NULL,
        via TEXT NOT NULL,
        note TEXT,
        given_on DATE NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX feedback_trip ON feedback(trip_id);
    CREATE TABLE complaints (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        trip_id BIGINT NOT NULL REFERENCES trips(id),
        feedback_id BIGINT NOT NULL REFERENCES feedback(id),
        opened_at TEXT NOT NULL,
        take_by TEXT NOT NULL,
        answer_by TEXT NOT NULL,
        resolve_by TEXT NOT NULL,
        taken_at TEXT,
        answered_at TEXT,
        resolved_at TEXT
    );
    CREATE INDEX complaints_open ON complaints(resolved_at);
    """,
    # 5: a client's birthday (a yearly greeting) and the day their passport expires.
    """
    ALTER TABLE clients ADD COLUMN birthday DATE;
    ALTER TABLE clients ADD COLUMN passport_expires DATE;
    CREATE INDEX clients_birthday
        ON clients((EXTRACT(MONTH FROM birthday) * 100 + EXTRACT(DAY FROM birthday)))
        WHERE birthday IS NOT NULL;
    """,
    # 6: a step's moment and a person's skip; shared contacts; the store's identity.
    """
    ALTER TABLE steps ADD COLUMN lapses_on DATE;
    ALTER TABLE steps ADD COLUMN skipped_on DATE;
    ALTER TABLE steps ADD COLUMN skip_reason TEXT;
    DROP INDEX clients_phone;
    DROP INDEX clients_email;
    CREATE INDEX clients_phone ON clients(phone_key) WHERE phone_key IS NOT NULL;
    CREATE INDEX clients_email ON clients(email_key) WHERE email_key IS NOT NULL;
    CREATE TABLE ppo_store (id TEXT NOT NULL);
    INSERT INTO ppo_store (id) VALUES (md5(random()::text || clock_timestamp()::text));
    """
    + _moments_postgresql(),
    # 7: as SQLite's.
    """
    CREATE INDEX trips_start ON trips(purchase, declined);
    """,
]

assert len(SQLITE) == len(POSTGRESQL), "every migration is written for both backends"
LATEST = len(SQLITE)
