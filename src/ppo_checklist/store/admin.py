"""Looking after a store as a whole: what it holds, moving it to another backend, a backup
while managers keep working, an integrity check. (`ppo store …`)"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ppo_checklist import files
from ppo_checklist.errors import BadInput, StoreError
from ppo_checklist.i18n import _
from ppo_checklist.store import Location, Store, open_store, parse_location


@dataclass(frozen=True)
class Copied:
    source: str
    target: str
    counts: dict[str, int]


def open_existing(text: str) -> Store:
    """A store that must already exist (a copy's source): an SQLite path is not created."""
    location = parse_location(text)
    if location.backend == "sqlite" and not Path(location.target).is_file():
        raise BadInput(_("no store at {path}").format(path=location.target))
    return open_store(location)


def copy(source_text: str, target_text: str) -> Copied:
    """Every client, trip, step, mark, note and cancellation from one store into another that
    holds no trips, in one transaction; the counts are checked against the target before commit."""
    source_location, target_location = parse_location(source_text), parse_location(target_text)
    if _same(source_location, target_location):
        raise BadInput(_("the source and the target are the same store"))
    source = open_existing(source_text)
    try:
        target = open_store(target_location)
        try:
            if target.counts()["trips"] or target.counts()["clients"]:
                raise BadInput(_("the target {t} already holds trips; nothing copied").format(t=target_location.shown))
            expected = source.counts()
            with target.write():
                copied = target.load(source.dump())
                found = target.counts()
                if copied != expected or found != expected:
                    raise StoreError(
                        _("the copy does not add up (source {s}, copied {c}, target {t}); nothing copied").format(
                            s=_counts(expected), c=_counts(copied), t=_counts(found)
                        )
                    )
            target.analyze()
        finally:
            target.close()
    finally:
        source.close()
    return Copied(source_location.shown, target_location.shown, copied)


def _same(a: Location, b: Location) -> bool:
    if a.backend != b.backend:
        return False
    if a.backend == "sqlite":
        return os.path.realpath(a.target) == os.path.realpath(b.target)
    return a.target == b.target


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {n}" for table, n in counts.items())


def backup(store: Store, destination: Path, mode: int = files.PRIVATE_MODE) -> Path:
    """A consistent copy of an SQLite store while others keep writing (SQLite's online backup),
    owner-only (or `mode`), put in place atomically."""
    location = store.location
    if location.backend != "sqlite":
        raise BadInput(
            _("a PostgreSQL store is backed up with the server's own tools: pg_dump {url} > FILE").format(
                url=location.shown
            )
        )
    destination = destination.expanduser()
    if destination.is_dir():
        raise BadInput(_("{path} is a folder; name the backup file").format(path=destination))
    if os.path.realpath(destination) == os.path.realpath(location.target):
        raise BadInput(_("the backup cannot replace the store itself"))
    folder = destination.parent
    if not folder.is_dir():
        raise BadInput(_("no folder {path}").format(path=folder))

    def copy_into(temp: Path) -> None:
        try:
            target = sqlite3.connect(temp)
            try:
                store.db.backup(target)  # type: ignore[attr-defined]
            finally:
                target.close()
        except sqlite3.Error as exc:
            raise StoreError(_("cannot back up the store to {path}: {e}").format(path=destination, e=exc)) from None

    files.write_atomically(destination, copy_into, mode, ".sqlite3")
    return destination


def check(store: Store, quick: bool = False) -> None:
    """The backend's integrity check; StoreError (exit 1) naming what is wrong."""
    problems = store.check(quick)
    if problems:
        raise StoreError(_("the store {where} is damaged: {p}").format(where=store.location.shown, p=listed(problems)))


def listed(problems: list[str], most: int = 5) -> str:
    """What an integrity check found, on one line: the first few and how many more."""
    return "; ".join(problems[:most]) + (f"; … (+{len(problems) - most})" if len(problems) > most else "")
