"""The embedded store: one SQLite file, no server.

One connection per command, one transaction per command (`with store.write():`, BEGIN
IMMEDIATE), WAL and a busy timeout so that two managers' commands at the same moment both
succeed. Every `sqlite3` error leaves this module as a `StoreError`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ppo_checklist.errors import BadInput, StoreError
from ppo_checklist.i18n import _
from ppo_checklist.store import Location
from ppo_checklist.store.migrations import SQLITE
from ppo_checklist.store.sql import SqlStore, at_the_edge

BUSY_TIMEOUT_MS = 30_000
LATEST = len(SQLITE)

_edge = at_the_edge(sqlite3.Error)  # SQLite's errors become the project's own here


class SQLiteStore(SqlStore):
    backend = "sqlite"

    def __init__(self, connection: sqlite3.Connection, location: Location):
        super().__init__(location)
        self.db = connection
        self.path = Path(location.target)

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, location: Location, create_folder: bool = False, wait: int = BUSY_TIMEOUT_MS // 1000) -> SQLiteStore:
        """Open (creating it owner-only on first use) and bring the schema up to date."""
        path = Path(location.target)
        try:
            created = _create_private(path, create_folder)
            connection = sqlite3.connect(str(path), isolation_level=None, timeout=wait)
            connection.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            store = cls(connection, location)
            store.created = created
            store._prepare()
        except sqlite3.DatabaseError as exc:
            if "malformed" in str(exc):
                raise failure(path, exc) from None
            raise StoreError(_("cannot open the store {path}: {e}").format(path=path, e=exc)) from None
        return store

    created = False

    def _prepare(self) -> None:
        version = self.schema_version()
        if version > LATEST:
            raise StoreError(
                _("the store {path} has schema v{v}, newer than this ppo knows (v{k}): upgrade ppo").format(
                    path=self.path, v=version, k=LATEST
                )
            )
        _make_private(self.path)  # a store found readable by others is made private on every open
        if version < LATEST:
            self._migrate()
        if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA foreign_keys = ON")

    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self.write():
            version = self.schema_version()  # another process may have migrated meanwhile
            for number in range(version, LATEST):
                for statement in SQLITE[number].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    def close(self) -> None:
        self._unlock_sender()
        self.db.close()

    # --- the sender's lock: a file lock beside the store, gone with the process ----------

    _sender_lock: int | None = None

    def _lock_sender(self) -> bool:
        lock_path = Path(f"{self.path}.send-lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(_("cannot open {path}: {e}").format(path=lock_path, e=exc.strerror)) from None
        if not _lock_file(fd):
            os.close(fd)
            return False
        self._sender_lock = fd
        return True

    def _unlock_sender(self) -> None:
        if self._sender_lock is not None:
            _unlock_file(self._sender_lock)
            os.close(self._sender_lock)
            self._sender_lock = None

    # --- transactions --------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[None]:
        """One transaction: everything inside is written, or nothing is."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc):
                raise self._read_only() from None
            raise StoreError(_("the store {path} is locked: {e}").format(path=self.path, e=exc)) from None
        try:
            yield
        except sqlite3.Error as exc:
            self._rollback()
            raise self._failure(exc) from None
        except BaseException:
            self._rollback()
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise self._failure(exc) from None

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads that see one state of the store (one read transaction; inside a command's
        transaction, that one)."""
        if self.db.in_transaction:
            yield
            return
        try:
            self.db.execute("BEGIN")
        except sqlite3.Error as exc:
            raise self._failure(exc) from None
        try:
            yield
        finally:
            self._rollback()

    def _rollback(self) -> None:
        """Undo the transaction, unless SQLite already has (a full disk, an I/O error)."""
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def _read_only(self) -> StoreError:
        """Why the store cannot be written, and exactly what to do about it. A read-only open
        (a backup tool, `sqlite3 -readonly`) can leave a shared-memory file that others cannot
        write: every later write then fails until it is removed."""
        shm = Path(f"{self.path}-shm")
        if shm.exists() and not _writable(shm):
            return StoreError(
                _(
                    "the store {path} cannot be written: its shared-memory file {shm} is read-only"
                    " (left by a read-only open); with no ppo running, remove {shm} (keep {wal}) and try again"
                ).format(path=self.path, shm=shm, wal=f"{self.path}-wal")
            )
        return StoreError(
            _("the store {path} is read-only: give your user write access to it and to its folder").format(
                path=self.path
            )
        )

    def _failure(self, exc: sqlite3.Error) -> StoreError:
        return failure(self.path, exc)

    # --- the primitives the shared SQL runs on -------------------------------------------

    @_edge
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()

    @_edge
    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    @_edge
    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        return int(self.db.execute(sql, params).lastrowid or 0)

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
        try:
            yield from self.db.execute(sql, params)
        except sqlite3.Error as exc:
            raise self._failure(exc) from None

    @_edge
    def _next_ids(self, table: str, count: int) -> list[int]:
        first = self.db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]
        return list(range(first, first + count))

    def _update_unique(self, sql: str, params: Sequence[Any]) -> None:
        try:
            self.db.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise self._integrity(exc) from None
        except sqlite3.Error as exc:
            raise self._failure(exc) from None

    def add_trips_bulk(self, trips, steps):
        # A bigger page cache for this connection: 7 step rows per trip go into two B-trees.
        # 16 MB holds the due index of 100 000 trips; 64 MB was no faster even at 300 000
        # and cost 40 MB of memory.
        self._rows("PRAGMA cache_size = -16384")
        return super().add_trips_bulk(trips, steps)

    # --- integrity and backups -----------------------------------------------------------

    @_edge
    def check(self, quick: bool = False) -> list[str]:
        """What SQLite's integrity check finds wrong (nothing: an empty list)."""
        pragma = "quick_check" if quick else "integrity_check"
        problems = [
            line.strip()
            for row in self.db.execute(f"PRAGMA {pragma}")
            for line in str(row[0]).splitlines()
            if line.strip() and not line.startswith("*** in database")
        ]
        problems += [
            _("foreign key: {t} row {r} points at a missing {p}").format(t=t, r=r, p=p)
            for t, r, p, _n in self.db.execute("PRAGMA foreign_key_check")
        ]
        return [p for p in problems if p != "ok"]


def failure(path: Path, exc: sqlite3.Error) -> StoreError:
    """SQLite's error as one line that says what happened to which store."""
    if "disk is full" in str(exc):
        return StoreError(_full_disk())
    if isinstance(exc, sqlite3.DatabaseError) and "malformed" in str(exc):
        message = _("the store {path} is damaged ({e}): restore a backup (ppo store backup makes them)")
    else:
        message = _("the store {path} failed: {e}")
    return StoreError(message.format(path=path, e=exc))


def _full_disk() -> str:
    """SQLite says "database or disk is full" for its own temporary files too (big sorts,
    in $TMPDIR): say which disk is full, so nobody frees space beside a healthy store."""
    import tempfile  # ~3 ms, only when a disk is full: `ppo today` opens this store

    # SQLite's own order; tempfile.gettempdir() would skip a full folder it cannot write in
    folder = os.environ.get("SQLITE_TMPDIR") or os.environ.get("TMPDIR") or tempfile.gettempdir()
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < 1024**2:
        return _("no space left in the temporary folder {tmp} (TMPDIR): free some space there, or set TMPDIR").format(
            tmp=folder
        )
    return _("no space left on the disk of the store: free some space there; nothing was written")


def _writable(path: Path) -> bool:
    try:
        with open(path, "r+b"):
            return True
    except OSError:
        return False


def _make_private(path: Path) -> None:
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError as exc:
        raise StoreError(_("cannot make the store {path} private: {e}").format(path=path, e=exc.strerror)) from None


def _create_private(path: Path, create_folder: bool) -> bool:
    """Create the store file (and, with `create_folder`, its folder) readable by the owner
    only; True if made now."""
    if path.is_dir():
        raise BadInput(_("the store {path} is a folder, not a file").format(path=path))
    if path.exists():
        return False
    if not create_folder and not path.parent.is_dir():
        raise BadInput(_("no folder {folder} for the store {path}").format(folder=path.parent, path=path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise StoreError(_("cannot create the store {path}: {e}").format(path=path, e=exc.strerror)) from None
    os.close(fd)
    return True


def _lock_file(fd: int) -> bool:
    """An exclusive lock on an open file, or False when another process holds it. The
    operating system drops it when the process ends, however it ends (kill -9 too)."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl  # POSIX only: not loaded on Windows, where ppo runs too

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock_file(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
    # POSIX: closing the descriptor releases its lock
