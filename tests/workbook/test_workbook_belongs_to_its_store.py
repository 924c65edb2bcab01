"""A workbook belongs to the store that wrote it: `sync` and `export` refuse a book of another
store before reading a tick of it (exit 2, the file untouched); `export --replace` writes over
it unread; a book with no identity (written by ppo 0.2) is read as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from backends import query
from director import tick, without_identity
from ppo_runner import Ppo

from ppo_checklist.workbook import identity

TODAY = "2026-11-30"


@pytest.fixture
def ours(trips):
    """This store: the two trips of the workbook tests (conftest's `trips`)."""
    return trips


@pytest.fixture
def theirs(tmp_path, make_ppo, backend):
    """Another agency's store (on the same backend): its trips 1 and 2 are other people."""
    other = make_ppo(tmp_path / "other", backend=backend)
    other.add("Вера", "21.11.2026", "02.12.2026", "11.12.2026")
    other.add("Глеб", "22.11.2026", "03.12.2026", "13.12.2026")
    return other


def store_id(ppo) -> str:
    return query(ppo, "SELECT id FROM ppo_store")[0][0]


def steps(ppo) -> list:
    return query(ppo, "SELECT trip_id, no, done_on, skipped_on FROM steps ORDER BY trip_id, no")


def their_ticked_book(theirs) -> Path:
    path = theirs.home / "book.xlsx"
    theirs("export", str(path), "--date", TODAY)
    tick(path, 1, 0, "✓")
    tick(path, 2, 1, "сделано")
    return path


def test_export_writes_the_store_identity_into_the_book(ours, theirs):
    path = ours.home / "book.xlsx"
    ours("export", str(path), "--date", TODAY)
    assert identity.of(path) == store_id(ours)
    assert len(store_id(ours)) == 32 and store_id(ours) != store_id(theirs)


def test_sync_refuses_a_book_of_another_store_and_takes_nothing(ours, theirs):
    path = their_ticked_book(theirs)
    before, data = steps(ours), path.read_bytes()
    result = ours("sync", str(path), "--date", TODAY, check=False)
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.count("\n") == 1 and "written from another store" in result.err
    assert store_id(theirs)[:8] in result.err and store_id(ours)[:8] in result.err
    assert steps(ours) == before
    assert path.read_bytes() == data


@pytest.mark.parametrize("force", [(), ("--force",)])
def test_export_over_a_book_of_another_store_is_refused_and_untouched(ours, theirs, force):
    path = their_ticked_book(theirs)
    before, data = steps(ours), path.read_bytes()
    result = ours("export", str(path), "--date", TODAY, *force, check=False)
    assert result.code == 2, result
    assert result.err.count("\n") == 1 and "written from another store" in result.err
    assert "--replace" in result.err
    assert steps(ours) == before
    assert path.read_bytes() == data


def test_export_replace_writes_over_a_book_of_another_store_unread(ours, theirs):
    path = their_ticked_book(theirs)
    before = steps(ours)
    result = ours("export", str(path), "--date", TODAY, "--replace")
    assert "took" not in result.out
    assert steps(ours) == before  # none of their ticks became ours
    assert identity.of(path) == store_id(ours)
    again = ours("sync", str(path), "--date", TODAY)  # now it is ours
    assert "took 0 ticks" in again.out


def test_export_replace_writes_over_a_file_that_is_not_a_workbook(ours):
    path = ours.home / "book.xlsx"
    path.write_text("not a workbook")
    ours("export", str(path), "--date", TODAY, "--replace")
    assert identity.of(path) == store_id(ours)


def test_a_book_without_identity_is_read_as_before(ours):
    path = ours.home / "book.xlsx"
    ours("export", str(path), "--date", TODAY)
    tick(path, 1, 1, "✓")
    without_identity(path)
    assert identity.of(path) is None
    result = ours("sync", str(path), "--date", TODAY)
    assert "took 1 ticks" in result.out
    ours("export", str(path), "--date", TODAY)  # and export replaces it, with the identity now
    assert identity.of(path) == store_id(ours)


def test_a_copy_of_the_store_syncs_the_books_of_its_source(ours, tmp_path):
    path = ours.home / "book.xlsx"
    ours("export", str(path), "--date", TODAY)
    tick(path, 2, 1, "✓")
    copy_file = tmp_path / "copy.sqlite3"
    ours("store", "copy", ours.store, str(copy_file))
    copy = Ppo(tmp_path / "copy", store=str(copy_file))
    result = copy("sync", str(path), "--date", TODAY)
    assert "took 1 ticks" in result.out


@pytest.mark.sqlite_only
def test_report_refuses_a_book_of_another_store_in_its_folder(ours, theirs, tmp_path):
    reports = tmp_path / "reports"
    theirs("report", "--out", str(reports), "--date", TODAY)
    book = next(reports.glob("*.xlsx"))
    data = book.read_bytes()
    result = ours("report", "--out", str(reports), "--date", TODAY, check=False)
    assert result.code == 2, result
    assert "written from another store" in result.err and "move it away" in result.err
    assert book.read_bytes() == data
