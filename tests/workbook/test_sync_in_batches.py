"""`ppo sync` takes a large workbook a batch of rows at a time, in one transaction: what it
takes and tells is as if it had read the whole file first, and a fault found in a later
batch takes nothing, not even what earlier batches had taken."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from director import set_input, tick

from ppo_checklist.workbook import sync

TODAY = "2026-11-30"


@pytest.fixture
def one_row_a_batch(monkeypatch):
    """Each row a batch, and the sheets read in pieces of about a row (as a large book is)."""
    from ppo_checklist.workbook import xlsx_stream

    monkeypatch.setattr(sync, "BATCH", 1)
    monkeypatch.setattr(xlsx_stream, "CHUNK", 256)


def export(ppo) -> Path:
    path = ppo.home / "book.xlsx"
    ppo("export", str(path), "--date", TODAY)
    return path


def status(ppo, trip_id: int, no: int) -> str:
    return ppo.show(trip_id, "--date", TODAY)["steps"][no]["status"]


def trip_rows_reversed_and_the_first_again(path: Path) -> None:
    """The director sorted the sheet (trip 2 first), then pasted trip 2's row again below."""
    book = openpyxl.load_workbook(path)
    ws = book["Checklist Туры"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    for r, values in enumerate([*reversed(rows), rows[-1]], start=2):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c).value = value
    book.save(path)


def rewrite_sheet(path: Path, change) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members.items():
            if info.filename == "xl/worksheets/sheet1.xml":
                data, was = change(data), data
                assert data != was
            archive.writestr(info, data)


def test_sync_row_by_row_takes_and_tells_as_a_reading_of_the_whole_file(trips, one_row_a_batch):
    path = export(trips)
    tick(path, 1, 1, "✓")
    tick(path, 2, 0, "✓")
    set_input(path, 1, "Departure", dt.datetime(2026, 12, 3))
    set_input(path, 2, "Departure", dt.datetime(2026, 12, 7))
    trip_rows_reversed_and_the_first_again(path)
    result = trips("sync", str(path), "--date", TODAY, check=False)
    assert result.code == 1, result  # the edited dates are not taken
    assert status(trips, 1, 1) == "done" and status(trips, 2, 0) == "done"
    lines = result.out.splitlines()
    taken = [line for line in lines if " done on " in line]
    assert taken[0].startswith("trip 2 step") and taken[1].startswith("trip 1 step")  # the file's order
    assert "skipped: trip 2 appears again at Checklist Туры!4; its first row counts" in lines
    differs = [line for line in lines if line.startswith("not taken:")]
    # by trip, as before, though trip 2's row was read (and taken) first
    assert len(differs) == 2 and "trip 1: the departure" in differs[0] and "trip 2: the departure" in differs[1]
    assert "took 2 ticks" in lines[-1]


def test_a_fault_found_after_a_batch_was_taken_takes_nothing(trips, one_row_a_batch):
    trips.add("Вера", "20.11.2026", "01.12.2026", "10.12.2026")  # trip 3, the third row
    path = export(trips)
    tick(path, 1, 0, "✓")  # taken in the first batch, before the third row is read
    tick(path, 2, 0, "✓")
    tick(path, 3, 0, "✓")
    rewrite_sheet(path, lambda xml: re.sub(rb'(<c r="A4"[^>]*><v>)3(</v>)', rb"\g<1>3x\g<2>", xml, count=1))
    before = path.read_bytes()
    result = trips("sync", str(path), "--date", TODAY, check=False)
    assert result.code == 2, result
    assert "is not a readable XLSX workbook" in result.err and "Traceback" not in result.err
    assert [status(trips, trip, 0) == "done" for trip in (1, 2, 3)] == [False, False, False]
    assert path.read_bytes() == before


def test_a_trip_number_far_above_the_stores_is_not_in_the_store_and_seen_once(trips, one_row_a_batch):
    path = export(trips)
    tick(path, 2, 0, "✓")
    book = openpyxl.load_workbook(path)
    ws = book["Checklist Туры"]
    ws.cell(3, 1).value = 987_654_321_000  # trip 2's row, its number typed over
    ws.append([c.value for c in ws[3]])  # and the row again
    book.save(path)
    result = trips("sync", str(path), "--date", TODAY, check=False)
    assert result.code == 1, result
    assert "skipped: trip 987654321000 is not in the store" in result.out
    assert "skipped: trip 987654321000 appears again at Checklist Туры!4; its first row counts" in result.out
