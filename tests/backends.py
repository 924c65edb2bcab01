"""The store backends the end-to-end tests run on: SQLite always, PostgreSQL where a server is.

`PPO_TEST_POSTGRES` names a server the tests may use (a URL of a role that may create
schemas; `.ci/postgres start DIR` prints one). Each store is a fresh schema on it, chosen by
the URL's `options=-csearch_path=…`, so tests never see each other's trips. Without the
variable the PostgreSQL cases are skipped on a developer's machine and fail in CI.
"""

from __future__ import annotations

import os
import uuid

import pytest

BACKENDS = ("sqlite", "postgresql")


def server() -> str:
    """The PostgreSQL server's URL; a skip (or in CI a failure) when there is none."""
    url = os.environ.get("PPO_TEST_POSTGRES", "")
    if not url:
        message = "no PostgreSQL server for the tests: set PPO_TEST_POSTGRES (.ci/postgres start DIR prints one)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


def fresh_store() -> str:
    """A URL of an empty store of its own on the test server."""
    import psycopg

    base = server()
    schema = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(base, autocommit=True, connect_timeout=10) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    return base + ("&" if "?" in base else "?") + "options=-csearch_path%3D" + schema


def store_for(backend: str) -> str | None:
    """The `store` to give `Ppo` for this backend (None: its own SQLite file)."""
    return fresh_store() if backend == "postgresql" else None


def set_schema_version(ppo, version: int) -> None:
    """Pretend a newer ppo migrated this store (the version each backend keeps)."""
    if ppo.backend == "postgresql":
        import psycopg

        with psycopg.connect(ppo.store, autocommit=True) as connection:
            connection.execute("UPDATE ppo_schema SET version = %s", (version,))
    else:
        import sqlite3

        with sqlite3.connect(ppo.db) as db:
            db.execute(f"PRAGMA user_version = {version}")


def query(ppo, sql: str) -> list[tuple]:
    """Rows straight from the store's tables, whichever backend (dates as ISO text)."""
    if ppo.backend == "postgresql":
        import psycopg

        with psycopg.connect(ppo.store, autocommit=True) as connection:
            rows = connection.execute(sql).fetchall()
        return [tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row) for row in rows]
    import sqlite3

    with sqlite3.connect(ppo.db) as db:
        return db.execute(sql).fetchall()
