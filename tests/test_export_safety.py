"""`ppo export` against what happens around it: a director saving the workbook while it
runs, a full disk. No tick is lost; a failed export writes nothing and says one line."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

TODAY = "2026-11-30"


def tick(source: Path, target: Path, trip_id: int, no: int) -> None:
    """A director ticks a step and saves: the spreadsheet writes a new file over the old."""
    book = openpyxl.load_workbook(source)
    for ws in book.worksheets:
        if ws.title.startswith("Checklist"):
            heads = {str(c.value): c.column for c in ws[1] if c.value}
            for r in range(2, ws.max_row + 1):
                if ws.cell(r, 1).value == trip_id:
                    ws.cell(r, heads[f"✓ {no}"]).value = "✓"
    saved = target.with_name("saving.xlsx")
    book.save(saved)
    os.replace(saved, target)


def ticked_in(path: Path, trip_id: int, no: int) -> bool:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        for ws in book.worksheets:
            if ws.title.startswith("Checklist"):
                rows = ws.iter_rows(values_only=True)
                heads = {str(v): i for i, v in enumerate(next(rows)) if v}
                for row in rows:
                    if row[0] == trip_id:
                        return row[heads[f"✓ {no}"]] == "✓"
    finally:
        book.close()
    return False


@pytest.fixture
def office(ppo, tmp_path, monkeypatch):
    """Two trips in a store of this test's own, and an in-process `ppo` on it."""
    db = tmp_path / "office.sqlite3"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("PPO_CONFIG", raising=False)
    for name in ("Анна", "Борис"):
        ppo("--db", str(db), "add", name, "--purchase", "20.11.2026", "--departure", "01.12.2026",
            "--return", "10.12.2026")  # fmt: skip
    return db


def run_export(db: Path, path: Path, capsys) -> tuple[int, str]:
    from ppo_checklist import cli

    code = cli.run(["--db", str(db), "export", str(path), "--date", TODAY])
    return code, capsys.readouterr().err


def status(ppo, db: Path, trip_id: int, no: int) -> str:
    shown = ppo("--db", str(db), "show", str(trip_id), "--date", TODAY, "--format", "json").json()
    return shown["steps"][no]["status"]


def test_a_tick_saved_while_export_runs_is_taken_and_kept(ppo, office, tmp_path, monkeypatch, capsys):
    from ppo_checklist.workbook import write as workbook

    book = tmp_path / "book.xlsx"
    ppo("--db", str(office), "export", str(book), "--date", TODAY)
    real, calls = workbook.write_book, []

    def director_saves_meanwhile(*args, **kwargs):
        if not calls:  # the old file was read; now the director ticks and saves it
            tick(book, book, 2, 1)
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(workbook, "write_book", director_saves_meanwhile)
    code, err = run_export(office, book, capsys)
    assert code == 0, err
    assert status(ppo, office, 2, 1) == "done"  # in the store
    assert ticked_in(book, 2, 1)  # and in the new workbook


def test_a_workbook_saved_again_and_again_is_kept_with_its_ticks_taken(ppo, office, tmp_path, monkeypatch, capsys):
    from ppo_checklist.workbook import write as workbook

    book = tmp_path / "book.xlsx"
    ppo("--db", str(office), "export", str(book), "--date", TODAY)
    real, saves = workbook.write_book, []

    def director_saves_every_time(*args, **kwargs):
        saves.append(1)
        tick(book, book, 1 + len(saves) % 2, len(saves))
        return real(*args, **kwargs)

    monkeypatch.setattr(workbook, "write_book", director_saves_every_time)
    last = tmp_path / "last.xlsx"
    code, err = run_export(office, book, capsys)
    shutil.copy(book, last)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "saved again" in err, err
    assert ticked_in(last, 1 + len(saves) % 2, len(saves))  # the director's last save is the file
    for n in range(1, len(saves)):  # every tick but the last save's is in the store
        assert status(ppo, office, 1 + n % 2, n) == "done"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".~ppo")) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs (root only; skipped with the reason where it cannot be mounted)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip() or 'not root'}")
    try:
        yield disk
    finally:
        if subprocess.run(["umount", str(disk)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(disk)], check=False)  # still held open: detach it lazily


def fill_up(disk):
    """The rest of the disk, to the last block, in one file; the file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_an_export_on_a_full_disk_writes_nothing_and_says_one_line(ppo, office, tmp_path, small_disk):
    book = small_disk / "book.xlsx"
    ppo("--db", str(office), "export", str(book), "--date", TODAY)
    tick(book, book, 1, 1)
    before = book.read_bytes()
    filler = fill_up(small_disk)
    result = ppo("--db", str(office), "export", str(book), "--date", TODAY, check=False)
    assert result.code == 1
    assert result.err.count("\n") == 1 and "no space left" in result.err, result.err
    assert status(ppo, office, 1, 1) == "due"  # the tick was not taken: nothing written
    assert book.read_bytes() == before  # the old file still holds it
    assert sorted(p.name for p in small_disk.iterdir()) == ["book.xlsx", "filler"]
    filler.unlink()
    ppo("--db", str(office), "export", str(book), "--date", TODAY)  # space again: taken now
    assert status(ppo, office, 1, 1) == "done"


def test_a_full_tmpdir_is_not_called_a_full_store(ppo, office, small_disk, monkeypatch, capsys):
    """SQLite's own temporary files live in $TMPDIR; when it is full, say so (in process:
    the query that would spill there fails as SQLite fails it)."""
    import sqlite3

    from ppo_checklist import cli
    from ppo_checklist.store import sqlite as sqlite_store

    fill_up(small_disk)
    monkeypatch.setenv("TMPDIR", str(small_disk))
    monkeypatch.delenv("SQLITE_TMPDIR", raising=False)

    def spills(self, sql, params=()):
        if "FROM steps s JOIN trips t" in sql:  # the agenda's sort spills to $TMPDIR
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, sql, params)

    real = sqlite_store.SQLiteStore._rows
    monkeypatch.setattr(sqlite_store.SQLiteStore, "_rows", sqlite_store._edge(spills))
    code = cli.run(["--db", str(office), "today", "--date", TODAY])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "temporary folder" in err and str(small_disk) in err and "store error" not in err
