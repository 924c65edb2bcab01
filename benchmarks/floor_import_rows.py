"""The floor for `ppo import`: exactly the rows `ppo import` inserted, inserted again into a fresh
store with the same schema (tables, keys, indexes), in one transaction, nothing checked, nothing
derived: what storing them costs by itself.

    python benchmarks/floor_import_rows.py --dump STORE ROWS.pickle   # untimed: what ppo stored
    python benchmarks/floor_import_rows.py ROWS.pickle TARGET [--load-only]

STORE and TARGET are an SQLite file or a postgresql:// URL (an empty database). The dump holds
every non-empty table's rows as the store gives them (dates as ISO text) and, for SQLite, the
store's own schema (`sqlite_master`); a PostgreSQL target gets the schema from ppo's migrations,
run as ppo runs them. SQLite takes the rows with `executemany`, PostgreSQL with COPY (what ppo
uses on each). `--load-only` reads the dump and writes nothing: the floor is a full run's
seconds minus a load-only run's (benchmarks/run.py subtracts). Prints JSON {"seconds", "rows"}.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import sys
import time

# The tables an import fills, parents first (ppo's `store copy` order).
TABLES = ("clients", "trips", "steps", "consents")


def is_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def dump(store: str, out: str) -> None:
    tables = []
    schema: list[str] = []
    if is_url(store):
        import psycopg

        with psycopg.connect(store) as conn:
            for table in TABLES:
                cur = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
                columns = [d.name for d in cur.description]
                rows = [tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row) for row in cur]
                if rows:
                    tables.append((table, columns, rows))
    else:
        with sqlite3.connect(store) as conn:
            schema = [
                sql
                for (sql,) in conn.execute(
                    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
                )
            ]
            for table in TABLES:
                cur = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
                columns = [d[0] for d in cur.description]
                rows = cur.fetchall()
                if rows:
                    tables.append((table, columns, rows))
    with open(out, "wb") as handle:
        pickle.dump({"schema": schema, "tables": tables}, handle, protocol=pickle.HIGHEST_PROTOCOL)


def insert_sqlite(data: dict, target: str) -> None:
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")  # as ppo's store
    db.execute("BEGIN")
    for statement in data["schema"]:
        db.execute(statement)
    for table, columns, rows in data["tables"]:
        marks = ", ".join("?" * len(columns))
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    db.execute("COMMIT")
    db.close()


def insert_postgresql(data: dict, target: str) -> None:
    import psycopg

    from ppo_checklist.store.migrations import POSTGRESQL

    with psycopg.connect(target) as conn:  # one transaction, committed on leaving
        for migration in POSTGRESQL:
            for statement in migration.split(";"):
                if statement.strip():
                    conn.execute(statement)
        with conn.cursor() as cursor:
            for table, columns, rows in data["tables"]:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--dump"]:
        dump(argv[1], argv[2])
        return 0
    started = time.perf_counter()
    with open(argv[0], "rb") as handle:
        data = pickle.load(handle)
    rows = sum(len(rows) for _table, _columns, rows in data["tables"])
    if "--load-only" not in argv:
        (insert_postgresql if is_url(argv[1]) else insert_sqlite)(data, argv[1])
    print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
