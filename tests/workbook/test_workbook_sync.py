"""`ppo sync` and export over a ticked workbook: no tick is ever lost; bad files change nothing."""

from __future__ import annotations

import datetime as dt
import sqlite3
import zipfile

import openpyxl
import pytest
from backends import query
from director import set_input, tick, without_identity

from ppo_checklist.errors import StoreError

TODAY = "2026-11-30"


def export(ppo, name: str = "book.xlsx", *more: str):
    path = ppo.home / name
    return path, ppo("export", str(path), "--date", TODAY, *more)


def status(ppo, trip_id: int, no: int) -> tuple[str, str | None]:
    step = ppo.show(trip_id, "--date", TODAY)["steps"][no]
    return step["status"], step["done_on"]


def store_rows(ppo) -> list:
    return query(ppo, "SELECT * FROM steps ORDER BY trip_id, no")


def test_a_tick_in_the_workbook_is_taken_by_sync(trips):
    path, _ = export(trips)
    tick(path, 1, 1, "✓")
    result = trips("sync", str(path), "--date", TODAY)
    assert "trip 1 step «1. Напомнить о вылете завтра» done on 30.11.2026" in result.out
    assert "took 1 ticks from" in result.out
    assert status(trips, 1, 1) == ("done", "2026-11-30")


def test_a_date_in_the_tick_cell_is_the_day_it_was_done(trips):
    path, _ = export(trips)
    tick(path, 2, 0, dt.datetime(2026, 11, 27))  # typed as a date: a date cell
    tick(path, 1, 0, "26.11.2026")  # typed as text
    trips("sync", str(path), "--date", TODAY)
    assert status(trips, 2, 0) == ("done", "2026-11-27")
    assert status(trips, 1, 0) == ("done", "2026-11-26")


@pytest.mark.parametrize(
    "value",
    ["сделано", "Сделано.", "выполнено", "готово", "Да", "+", "✓", "x", "х", "yes", "TRUE", True, 1, "✔", " ок "],
)
def test_the_usual_ways_of_ticking_are_understood(trips, value):
    path, _ = export(trips)
    tick(path, 1, 2, value)
    trips("sync", str(path), "--date", TODAY)
    assert status(trips, 1, 2)[0] == "done"


def test_export_over_a_ticked_workbook_takes_its_ticks_first(trips):
    path, _ = export(trips)
    tick(path, 1, 0, "✓")
    result = trips("export", str(path), "--date", TODAY)
    assert "took 1 ticks from" in result.err
    assert status(trips, 1, 0) == ("done", "2026-11-30")
    ws = openpyxl.load_workbook(path)["Checklist Туры"]
    heads = {str(c.value): c.column for c in ws[1] if c.value}
    assert ws.cell(2, heads["✓ 0"]).value == "✓"  # the new workbook still shows the tick


def test_a_tick_removed_in_the_workbook_does_not_undo_a_done_step(trips):
    trips("done", "1", "0", "--date", "2026-11-21")
    path, _ = export(trips)
    tick(path, 1, 0, None)
    result = trips("sync", str(path), "--date", TODAY)
    assert "kept: trip 1 step «0. Подписать на серию ППО-ДО»" in result.out
    assert "still done" in result.out
    assert status(trips, 1, 0) == ("done", "2026-11-21")


def test_syncing_twice_takes_nothing_the_second_time(trips):
    path, _ = export(trips)
    tick(path, 1, 1, "✓")
    trips("sync", str(path), "--date", TODAY)
    second = trips("sync", str(path), "--date", "2026-12-01")
    assert "took 0 ticks" in second.out and "1 already done" in second.out
    assert status(trips, 1, 1) == ("done", "2026-11-30")


def test_ticks_that_cannot_be_taken_are_reported_and_the_rest_taken(trips):
    path, _ = export(trips)
    tick(path, 1, 1, "maybe")
    tick(path, 1, 2, "05.12.2026")  # in the future
    tick(path, 2, 0, "✓")
    tick(path, 2, 1, "✓")
    trips("cancel", "2")
    result = trips("sync", str(path), "--date", TODAY, check=False)
    assert result.code == 1, result  # cron's mail flags it
    out = result.out
    assert "'maybe' is not a tick" in out
    assert "05.12.2026 is in the future" in out
    assert "trip 2 is cancelled" in out
    assert "took 0 ticks" in out
    assert status(trips, 1, 1)[0] != "done"


def test_ticks_for_trips_the_store_does_not_know_are_reported(trips, tmp_path, make_ppo):
    path, _ = export(trips)
    tick(path, 2, 0, "✓")
    without_identity(path)  # written by ppo 0.2: any store may read it
    other = make_ppo(tmp_path / "other")
    other.add("Вера", "20.11.2026", "01.12.2026", "10.12.2026")
    result = other("sync", str(path), "--date", TODAY, check=False)
    assert result.code == 1, result
    assert "trip 2 is not in the store" in result.out


def test_sync_refuses_a_workbook_ppo_did_not_write(trips, tmp_path):
    foreign = tmp_path / "budget.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "Trip"
    book.save(foreign)
    before = store_rows(trips)
    result = trips("sync", str(foreign), check=False)
    assert result.code == 2, result
    assert result.err.count("\n") == 1 and "not a workbook written by ppo export" in result.err
    assert store_rows(trips) == before


@pytest.mark.parametrize("content", [b"", b"just text", b"PK\x03\x04broken zip"])
def test_sync_refuses_a_broken_file_with_one_line(trips, tmp_path, content):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(content)
    result = trips("sync", str(bad), check=False)
    assert result.code == 2, result
    assert result.err.startswith("ppo: ") and result.err.count("\n") == 1
    assert "Traceback" not in result.err


def test_sync_of_a_missing_file_is_bad_input(trips, tmp_path):
    result = trips("sync", str(tmp_path / "nowhere.xlsx"), check=False)
    assert result.code == 2, result
    assert "no such file" in result.err


def test_sync_refuses_a_zip_bomb_before_unpacking_it(trips, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (300 * 1024 * 1024) + b"</a>")
    assert bomb.stat().st_size < 2 * 1024 * 1024
    result = trips("sync", str(bomb), check=False)
    assert result.code == 2, result
    assert "zip bomb" in result.err


def test_sync_refuses_xml_entity_tricks(trips, tmp_path):
    path, _ = export(trips)
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol2;</workbook>'
    )
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            data = laughs.encode() if item.filename == "xl/workbook.xml" else source.read(item)
            target.writestr(item, data)
    before = store_rows(trips)
    result = trips("sync", str(hostile), check=False)
    assert result.code == 2, result
    assert "hostile XML" in result.err
    assert store_rows(trips) == before


def test_export_refuses_to_overwrite_a_file_that_is_not_a_ppo_workbook(trips, tmp_path):
    theirs = trips.home / "book.xlsx"
    theirs.write_bytes(b"someone's report")
    result = trips("export", str(theirs), check=False)
    assert result.code == 2, result
    assert "not overwriting it without --force" in result.err
    assert theirs.read_bytes() == b"someone's report"
    trips("export", str(theirs), "--force")
    assert zipfile.is_zipfile(theirs)


def test_a_read_only_workbook_is_a_one_line_error(trips):
    path, _ = export(trips)
    path.chmod(0o444)
    before = path.read_bytes()
    result = trips("export", str(path), check=False)
    assert result.code == 1, result
    assert "read-only" in result.err and result.err.count("\n") == 1
    assert path.read_bytes() == before


def test_a_workbook_open_in_a_spreadsheet_is_not_replaced(trips):
    path, _ = export(trips)
    lock = path.with_name(f".~lock.{path.name}#")
    lock.write_text("someone,host,...")
    before = path.read_bytes()
    result = trips("export", str(path), check=False)
    assert result.code == 1, result
    assert "is open in a spreadsheet" in result.err
    assert path.read_bytes() == before


def test_export_into_a_missing_folder_is_a_one_line_error(trips, tmp_path):
    result = trips("export", str(tmp_path / "no" / "such" / "book.xlsx"), check=False)
    assert result.code == 1, result
    assert "no such folder" in result.err


@pytest.mark.sqlite_only  # in process, on the SQLite store's class
def test_a_failed_export_leaves_the_old_workbook_whole(trips, monkeypatch):
    """In process: the writer fails half-way; the old file and the folder are as they were."""
    from ppo_checklist.core import playbooks
    from ppo_checklist.errors import PpoError
    from ppo_checklist.store import open_store
    from ppo_checklist.workbook import export as exporting
    from ppo_checklist.workbook import write as workbook

    path, _ = export(trips)
    before = path.read_bytes()
    real = workbook._SheetWriter.write_trip

    def failing(self, trip):
        if trip.id == 2:
            raise OSError(28, "No space left on device")
        return real(self, trip)

    monkeypatch.setattr(workbook._SheetWriter, "write_trip", failing)
    store = open_store(trips.home / "ppo.sqlite3")
    with pytest.raises(PpoError, match="no space left"):  # one line, no OSError traceback
        exporting.export(store, playbooks.load_all(), path, dt.date(2026, 11, 30))
    store.close()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if p.suffix == ".xlsx") == ["book.xlsx"]


@pytest.mark.sqlite_only  # in process, on the SQLite store's class
def test_sync_takes_all_ticks_or_none(trips, monkeypatch):
    from ppo_checklist.store import open_store
    from ppo_checklist.store.sqlite import SQLiteStore as Store
    from ppo_checklist.workbook import sync

    path, _ = export(trips)
    tick(path, 1, 1, "✓")
    tick(path, 2, 1, "✓")
    store = open_store(trips.home / "ppo.sqlite3")
    calls = []
    real = Store.mark_done

    def failing(self, trip_id, no, day, note):
        calls.append(trip_id)
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        return real(self, trip_id, no, day, note)

    monkeypatch.setattr(Store, "mark_done", failing)
    with pytest.raises(StoreError):  # SQLite's error leaves the store as ppo's own
        sync.sync(store, path, dt.date(2026, 11, 30))
    store.close()
    assert len(calls) == 2
    assert status(trips, 1, 1)[0] != "done" and status(trips, 2, 1)[0] != "done"


def test_sync_finds_ticks_after_the_director_sorted_the_sheet(trips):
    path, _ = export(trips)
    book = openpyxl.load_workbook(path)
    ws = book["Checklist Туры"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    for r, values in enumerate(reversed(rows), start=2):  # trip 2 now first
        for c, value in enumerate(values, start=1):
            ws.cell(r, c).value = value
    book.save(path)
    tick(path, 2, 3, "✓")
    trips("sync", str(path), "--date", TODAY)
    assert status(trips, 2, 3)[0] == "done" and status(trips, 1, 3)[0] != "done"


# --- nothing the director typed is lost: export refuses what sync could not take ------------


def test_export_goes_on_over_a_workbook_holding_cells_it_cannot_read_as_ticks_and_keeps_them(trips):
    path, _ = export(trips)
    tick(path, 1, 1, "завтра")  # no tick word
    tick(path, 1, 2, "05.12.2026")  # a day to come
    tick(path, 2, 0, "✓")  # a good one: taken
    result = trips("export", str(path), "--date", TODAY)
    assert result.code == 0, result
    assert "Checklist Туры!K2: 'завтра' is not a tick" in result.err
    assert "05.12.2026 is in the future" in result.err
    assert "2 cells not read as ticks, left as typed" in result.err
    assert status(trips, 2, 0) == ("done", "2026-11-30")
    assert status(trips, 1, 1)[0] != "done" and status(trips, 1, 2)[0] != "done"
    ws = openpyxl.load_workbook(path)["Checklist Туры"]
    heads = {str(c.value): c.column for c in ws[1] if c.value}
    assert ws.cell(2, heads["✓ 1"]).value == "завтра"  # the new book keeps the cells as typed
    assert ws.cell(2, heads["✓ 2"]).value == "05.12.2026"
    assert ws.cell(3, heads["✓ 0"]).value == "✓"


def test_a_kept_cell_is_taken_once_it_says_a_tick_and_the_book_is_never_frozen(trips):
    path, _ = export(trips)
    tick(path, 1, 1, "завтра")
    tick(path, 1, 2, "05.12.2026")
    for _day in range(2):  # export after export goes on
        assert trips("export", str(path), "--date", TODAY).code == 0
    trips("export", str(path), "--date", "2026-12-06")  # the typed day has come: taken
    assert status(trips, 1, 2) == ("done", "2026-12-05")
    tick(path, 1, 1, "сделано")
    trips("sync", str(path), "--date", "2026-12-06")
    assert status(trips, 1, 1) == ("done", "2026-12-06")


def test_sync_reports_a_cell_it_cannot_read_as_a_tick_with_exit_1(trips):
    path, _ = export(trips)
    tick(path, 1, 1, "завтра")
    result = trips("sync", str(path), "--date", TODAY, check=False)
    assert result.code == 1, result  # cron's mail says something is left
    assert "left as typed: Checklist Туры!K2: 'завтра' is not a tick" in result.out


def test_export_still_refuses_to_replace_a_workbook_whose_input_dates_were_edited(trips):
    path, _ = export(trips)
    set_input(path, 2, "Departure", dt.datetime(2026, 12, 7))
    before = path.read_bytes()
    result = trips("export", str(path), "--date", TODAY, check=False)
    assert result.code == 1, result
    assert "holds 1 entries ppo could not take" in result.err and "--force" in result.err
    assert path.read_bytes() == before


def test_export_with_force_overwrites_entries_it_could_not_take(trips):
    path, _ = export(trips)
    set_input(path, 2, "Departure", dt.datetime(2026, 12, 7))
    trips("export", str(path), "--date", TODAY, "--force")
    ws = openpyxl.load_workbook(path)["Checklist Туры"]
    heads = {str(c.value): c.column for c in ws[1] if c.value}
    assert ws.cell(3, heads["Departure"]).value == dt.datetime(2026, 12, 5)


def test_back_filled_export_keeps_a_tick_dated_after_its_day_as_typed(trips):
    path, _ = export(trips)
    tick(path, 1, 0, dt.datetime(2026, 11, 30))
    result = trips("export", str(path), "--date", "2026-11-28")
    assert "30.11.2026 is in the future" in result.err
    assert status(trips, 1, 0)[0] != "done"
    ws = openpyxl.load_workbook(path)["Checklist Туры"]
    heads = {str(c.value): c.column for c in ws[1] if c.value}
    assert ws.cell(2, heads["✓ 0"]).value == dt.datetime(2026, 11, 30)  # still a date cell


def test_sync_reports_an_input_date_edited_in_the_workbook_with_the_edit_command(trips):
    path, _ = export(trips)
    set_input(path, 2, "Departure", dt.datetime(2026, 12, 7))
    result = trips("sync", str(path), "--date", TODAY, check=False)
    assert result.code == 1, result
    assert "trip 2: the departure 07.12.2026 differs (ppo has 05.12.2026)" in result.out
    assert "ppo edit 2 --departure 2026-12-07" in result.out
    assert "1 input dates differ" in result.out
    assert trips.show(2)["dates"]["departure"] == "2026-12-05"  # ppo edit takes it, sync does not


def test_export_refuses_to_revert_an_input_date_edited_in_the_workbook(trips):
    path, _ = export(trips)
    set_input(path, 2, "Departure", dt.datetime(2026, 12, 7))
    before = path.read_bytes()
    result = trips("export", str(path), "--date", TODAY, check=False)
    assert result.code == 1, result
    assert "holds 1 entries ppo could not take" in result.err
    assert "ppo edit 2 --departure 2026-12-07" in result.err
    assert path.read_bytes() == before
    trips("edit", "2", "--departure", "2026-12-07")  # taken: the export goes through
    trips("export", str(path), "--date", TODAY)


def test_an_input_date_that_is_not_a_date_is_reported(trips):
    path, _ = export(trips)
    set_input(path, 1, "Return", "soon")
    result = trips("sync", str(path), "--date", TODAY, check=False)
    assert result.code == 1, result
    assert "'soon' is not a date" in result.out


def test_a_date_moved_with_ppo_edit_after_the_export_is_not_the_directors_edit(trips):
    path, _ = export(trips)
    trips("edit", "2", "--departure", "2026-12-09")
    result = trips("sync", str(path), "--date", TODAY)  # the file holds what ppo wrote
    assert "differs" not in result.out
    trips("export", str(path), "--date", TODAY)
    assert trips.show(2)["dates"]["departure"] == "2026-12-09"


@pytest.mark.parametrize("name", ["c.csv", "checklist", "c.xlsx.bak"])
def test_export_refuses_a_name_that_does_not_end_in_xlsx(trips, name):
    result = trips("export", str(trips.home / name), "--date", TODAY, check=False)
    assert result.code == 2, result
    assert result.err.strip().endswith("a workbook's name must end in .xlsx")
    assert len(result.err.strip().splitlines()) == 1
    assert not (trips.home / name).exists()


def test_export_and_sync_accept_an_upper_case_xlsx_suffix(trips):
    path, result = export(trips, "BOOK.XLSX")
    assert "wrote" in result.out and "2 trips" in result.out
    assert [p.name for p in trips.home.iterdir() if p.suffix.lower() == ".xlsx"] == ["BOOK.XLSX"]
    assert openpyxl.load_workbook(path).sheetnames[0] == "Checklist Туры"
    tick(path, 1, 1, "✓")
    synced = trips("sync", str(path), "--date", TODAY)
    assert (
        "trip 1 step «1. Напомнить о вылете завтра» done on 30.11.2026" in synced.out
        and "took 1 ticks from" in synced.out
    )
    assert status(trips, 1, 1) == ("done", "2026-11-30")
    tick(path, 2, 0, "✓")
    replaced = trips("export", str(path), "--date", TODAY)  # over the ticked file: its ticks taken first
    assert "took 1 ticks from" in replaced.err
    assert status(trips, 2, 0) == ("done", "2026-11-30")
    assert [p.name for p in trips.home.iterdir() if p.suffix.lower() == ".xlsx"] == ["BOOK.XLSX"]


def test_sync_refuses_a_name_that_does_not_end_in_xlsx(trips):
    path, _ = export(trips)
    renamed = path.rename(path.with_suffix(".csv"))
    result = trips("sync", str(renamed), "--date", TODAY, check=False)
    assert result.code == 2, result
    assert "must end in .xlsx" in result.err


# --- the _ppo map, read once when nothing changed in between ---------------------------------


def _counting_map_reads(monkeypatch) -> list:
    from ppo_checklist.workbook import read

    reads: list = []
    original = read._read_map

    def counted(book, path):
        reads.append(path)
        return original(book, path)

    monkeypatch.setattr(read, "_read_map", counted)
    return reads


def test_export_over_yesterdays_book_reads_its_map_once_and_takes_its_ticks(ppo, monkeypatch):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    path, _result = export(ppo)
    tick(path, 1, 0, "✓")
    reads = _counting_map_reads(monkeypatch)
    export(ppo)  # checks the book is ppo's, then syncs it: the same file, its map read once
    assert len(reads) == 1
    assert status(ppo, 1, 0)[0] == "done"


def test_a_book_written_again_between_two_reads_has_its_map_read_again(ppo, monkeypatch):
    from ppo_checklist.workbook import read

    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    path, _result = export(ppo)
    reads = _counting_map_reads(monkeypatch)
    with read.opened(path) as book:
        first = read.read_map(book, path)
    export(ppo)  # a new file: another inode, size or time
    with read.opened(path) as book:
        again = read.read_map(book, path)
    assert len(reads) >= 2 and reads[-1] == path
    assert [m.name for m in again] == [m.name for m in first]


def _plans_read(monkeypatch, before_the_ticks: bool) -> list[bool]:
    """Each reading of the steps of the sheets' plan (`playbook_steps`, the costly half of
    `playbook_uses`): True when read in another thread. With `before_the_ticks`, the one read
    aside is done before any tick is taken (as a thread may)."""
    import threading

    from ppo_checklist.store.sql import SqlStore
    from ppo_checklist.workbook import export as exporting

    reads: list[bool] = []
    original = SqlStore.playbook_steps

    def counted(self, include_all=False):
        reads.append(threading.current_thread() is not threading.main_thread())
        return original(self, include_all)

    monkeypatch.setattr(SqlStore, "playbook_steps", counted)
    if before_the_ticks:  # read at once, in this thread, when the sync holds the store
        monkeypatch.setattr(exporting._Planning, "start", lambda self: self._read())
    return reads


@pytest.mark.parametrize("before_the_ticks", [True, False])
def test_export_over_a_book_plans_its_sheets_while_taking_its_ticks(ppo, monkeypatch, before_the_ticks):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    path, _result = export(ppo)
    tick(path, 1, 0, "✓")  # the trip stays open
    reads = _plans_read(monkeypatch, before_the_ticks)
    export(ppo)
    assert status(ppo, 1, 0)[0] == "done"
    assert reads == [not before_the_ticks]  # once: aside (in its thread, unless forced before)


def _headers(path) -> list[tuple[str, tuple]]:
    """Each sheet's name and header row, in the book's order."""
    book = openpyxl.load_workbook(path, read_only=True)
    return [(name, next(book[name].iter_rows(max_row=1, values_only=True), ())) for name in book.sheetnames]


def _close(ppo, path, trip_id: int) -> None:
    for no in range(len(ppo.show(trip_id, "--date", TODAY)["steps"])):
        tick(path, trip_id, no, "✓")


def test_a_tick_closing_a_trip_whose_steps_no_open_trip_has_plans_the_book_again(ppo, monkeypatch):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo("decline", "Глеб", "--date", "27.11.2026")  # trip 2: the declined chain's only trip
    path, _result = export(ppo)
    _close(ppo, path, 2)
    reads = _plans_read(monkeypatch, before_the_ticks=True)  # the plan read aside has trip 2 open
    export(ppo)
    assert len(reads) == 2  # read again once the ticks closed trip 2
    assert all(step["status"] == "done" for step in ppo.show(2, "--date", TODAY)["steps"])
    fresh, _result = export(ppo, "fresh.xlsx")
    assert _headers(path) == _headers(fresh)


def test_a_tick_closing_a_trip_whose_steps_an_open_trip_shares_keeps_the_plan_read_aside(ppo, monkeypatch):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo.add("Борис", "20.11.2026", "01.12.2026", "10.12.2026")  # the same steps, still open
    ppo("decline", "Глеб", "--date", "27.11.2026")
    path, _result = export(ppo)
    _close(ppo, path, 1)
    reads = _plans_read(monkeypatch, before_the_ticks=True)
    export(ppo)
    assert len(reads) == 1  # the steps read aside kept (the trips and dates read again)
    assert all(step["status"] == "done" for step in ppo.show(1, "--date", TODAY)["steps"])
    fresh, _result = export(ppo, "fresh.xlsx")
    assert _headers(path) == _headers(fresh)


def test_a_plan_that_cannot_be_read_aside_is_read_after_the_ticks(ppo, monkeypatch):
    from ppo_checklist.workbook import export as exporting

    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    path, _result = export(ppo)
    tick(path, 1, 0, "✓")
    reads = _plans_read(monkeypatch, before_the_ticks=False)

    def refused(location):
        raise StoreError("too many connections")

    monkeypatch.setattr(exporting, "open_store", refused)
    export(ppo)
    assert reads == [False] and status(ppo, 1, 0)[0] == "done"


@pytest.mark.sqlite_only  # another command's transaction, held on the SQLite file itself
def test_a_trip_another_command_writes_while_the_export_waits_is_in_the_new_book(ppo):
    import threading
    import time

    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    path, _result = export(ppo)
    held = threading.Event()

    def another_command() -> None:  # a trip with a step of its own, committed a while later
        db = sqlite3.connect(ppo.store, isolation_level=None, timeout=30)
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT INTO trips (id, client_id, manager, playbook, purchase, departure, return_on, declined, note,"
            " created_at) SELECT 100, client_id, manager, playbook, purchase, departure, return_on, declined, note,"
            " created_at FROM trips WHERE id = 1"
        )
        db.execute(
            "INSERT INTO steps (trip_id, no, step_id, title, channel, due) SELECT 100, no, step_id, title, channel,"
            " due FROM steps WHERE trip_id = 1 UNION ALL SELECT 100, 9, 'extra', 'Extra step', 'call', '2026-12-20'"
        )
        held.set()
        time.sleep(1.5)
        db.execute("COMMIT")
        db.close()

    writer = threading.Thread(target=another_command)
    writer.start()
    held.wait(10)
    export(ppo)  # waits for the other command, then takes the ticks and plans the book
    writer.join()
    checklist = dict(_headers(path))["Checklist Туры"]
    assert "✓ 9" in checklist  # the other command's step, planned with it
