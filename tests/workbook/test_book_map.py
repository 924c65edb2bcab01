"""The `_ppo` sheet's input dates as exported: read straight from its XML when the rows are as
ppo writes them, cell by cell otherwise, to the same dates either way."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from conftest import TODAY
from hypothesis import given, settings
from hypothesis import strategies as st

from ppo_checklist.errors import BadWorkbook
from ppo_checklist.workbook import read

META = "xl/worksheets/sheet6.xml"  # `_ppo`: the last of the six sheets


def exported_book(ppo, tmp_path) -> Path:
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo.add("Борис", "25.11.2026", "05.12.2026", "12.12.2026")
    ppo.add("Вера", "26.11.2026", "06.12.2026", "16.12.2026")
    ppo("decline", "Глеб", "--date", "27.11.2026")
    path = tmp_path / "book.xlsx"
    ppo("export", str(path), "--date", TODAY)
    return path


def rewritten(book: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info, change(data) if info.filename == META else data)
    return target


def maps(path: Path) -> list[tuple]:
    read._last_map = None
    with read.opened(path) as book:
        found = read.read_map(book, path)
    return [
        (m.name, m.steps, m.anchors, m.note_header, list(m.exported.ids), [list(d) for d in m.exported.days])
        for m in found
        if m.exported is not None
    ]


def test_the_dates_as_ppo_writes_them_and_as_a_spreadsheet_saves_them_are_the_same_dates(ppo, tmp_path, monkeypatch):
    book = exported_book(ppo, tmp_path)
    calls = []
    real = read._dates_as_written
    monkeypatch.setattr(read, "_dates_as_written", lambda *a: calls.append(real(*a)) or calls[-1])
    read_fast = maps(book)
    assert len(read_fast) == 2 and [len(m[4]) for m in read_fast] == [3, 1]
    # As a spreadsheet program may save it: each cell with its style: no row as ppo writes it.
    styled = rewritten(book, tmp_path / "styled.xlsx", lambda xml: re.sub(rb'(<c r="[A-Z]+\d+")', rb'\1 s="0"', xml))
    assert maps(styled) == read_fast
    assert calls == [True, False]  # ppo's own rows read at once; the others cell by cell


def test_a_row_after_the_dates_that_ppo_would_not_write_sends_the_reading_cell_by_cell(ppo, tmp_path, monkeypatch):
    book = exported_book(ppo, tmp_path)
    read_fast = maps(book)

    def one_more(xml: bytes) -> bytes:
        last = max(int(n) for n in re.findall(rb'<row r="(\d+)"', xml))
        extra = f'<row r="{last + 1}"><c r="A{last + 1}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
        return xml.replace(b"</sheetData>", extra + b"</sheetData>")

    more = rewritten(book, tmp_path / "more.xlsx", one_more)
    calls = []
    real = read._dates_as_written
    monkeypatch.setattr(read, "_dates_as_written", lambda *a: calls.append(real(*a)) or calls[-1])
    assert maps(more) == read_fast and calls == [False]


def test_a_date_past_the_last_day_in_the_map_is_a_damaged_map(ppo, tmp_path):
    book = exported_book(ppo, tmp_path)
    serial = re.compile(rb'(<c r="D(\d+)"><v>)(\d+)(</v>)')

    def far(xml: bytes) -> bytes:
        return serial.sub(lambda m: m.group(1) + b"99999999" + m.group(4), xml, count=0)

    damaged = rewritten(book, tmp_path / "far.xlsx", far)
    with pytest.raises(BadWorkbook, match="damaged"):
        maps(damaged)


@given(
    st.integers(min_value=0, max_value=30),
    st.sets(st.integers(min_value=1, max_value=80), max_size=15),
    st.integers(min_value=1, max_value=90),
    st.sampled_from([64, 256, 1 << 20]),
)
@settings(max_examples=40, deadline=None)
def test_the_first_rows_asked_for_are_the_rows_a_whole_reading_finds_there(dense, sparse, max_row, chunk):
    """A header's few rows are read from the start of the sheet only: the same rows as a
    reading of the whole sheet, whatever the gaps between rows and the pieces it is read in."""
    import tempfile

    import openpyxl

    from ppo_checklist.workbook import xlsx_stream

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.xlsx"
        book = openpyxl.Workbook()
        for number in sorted(set(range(1, dense + 1)) | sparse) or [1]:
            book.active.cell(number, 1, f"row {number}")
            book.active.cell(number, 3, number)
        book.save(path)
        original = xlsx_stream.CHUNK
        xlsx_stream.CHUNK = chunk
        try:
            with read.opened(path) as opened:
                whole = [(n, v) for n, v in opened.rows(opened.sheetnames[0]) if n <= max_row]
                first = list(opened.rows(opened.sheetnames[0], max_row=max_row))
        finally:
            xlsx_stream.CHUNK = original
    assert first == whole


@pytest.mark.parametrize("shape", ["a row number again", "a dates row placed after a later one"])
def test_rows_out_of_order_in_the_map_are_read_cell_by_cell(ppo, tmp_path, monkeypatch, shape):
    book = exported_book(ppo, tmp_path)
    rows_of = re.compile(rb'<row r="(\d+)">.*?</row>', re.S)

    def reshaped(xml: bytes) -> bytes:
        found = list(rows_of.finditer(xml))
        second_last, last = found[-2], found[-1]
        if shape == "a row number again":  # the last row numbered as the one before it
            number = rb'(r="[A-Z]*)' + last.group(1) + rb'"'
            again = re.sub(number, rb"\g<1>" + second_last.group(1) + b'"', last.group(0))
            return xml[: last.start()] + again + xml[last.end() :]
        return xml[: second_last.start()] + last.group(0) + second_last.group(0) + xml[last.end() :]

    odd = rewritten(book, tmp_path / "odd.xlsx", reshaped)
    calls = []
    real = read._dates_as_written
    monkeypatch.setattr(read, "_dates_as_written", lambda *a: calls.append(real(*a)) or calls[-1])
    cell_by_cell = maps(odd)
    assert calls == [False]
    monkeypatch.setattr(read, "_dates_as_written", lambda *a: False)
    assert maps(odd) == cell_by_cell


def test_a_header_split_in_two_rows_of_one_number_is_read_whole(tmp_path):
    """Two `<row r="1">` elements (a hand-edited file): the header's first row, read alone,
    holds the cells of both, as a reading of the whole sheet does."""
    import openpyxl

    path = tmp_path / "split.xlsx"
    book = openpyxl.Workbook()
    for col, title in enumerate(["Trip", "Client", "Note"], start=1):
        book.active.cell(1, col, title)
    book.active.cell(2, 1, 1)
    book.save(path)
    split = rewritten_member(path, tmp_path / "split2.xlsx", "xl/worksheets/sheet1.xml", _split_first_row)
    with read.opened(split) as opened:
        name = opened.sheetnames[0]
        whole = [(n, v) for n, v in opened.rows(name) if n <= 1]
        first = list(opened.rows(name, max_row=1))
    assert first == whole and sorted(first[0][1]) == [0, 1, 2]


def _split_first_row(xml: bytes) -> bytes:
    row = re.search(rb'<row r="1"[^>]*>(.*?)</row>', xml, re.S)
    assert row is not None
    cells = re.findall(rb"<c .*?</c>", row.group(1), re.S)
    halves = b'<row r="1">' + cells[0] + b'</row><row r="1">' + b"".join(cells[1:]) + b"</row>"
    return xml[: row.start()] + halves + xml[row.end() :]


def rewritten_member(book: Path, target: Path, member: str, change) -> Path:
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info, change(data) if info.filename == member else data)
    return target


def _rows_read(path: Path) -> list:
    read._last_map = read._last_strings = None
    with read.ticks(path) as rows:
        return list(rows)


def test_only_the_input_date_cells_that_differ_from_the_day_exported_come_to_sync(ppo, tmp_path):
    book = exported_book(ppo, tmp_path)
    untouched = _rows_read(book)
    assert len(untouched) == 4 and all(row.dates == {} for row in untouched)

    first = untouched[0]
    cell = f"E{first.row}"  # the purchase date, a date cell as ppo writes it

    def moved_a_day(xml: bytes) -> bytes:
        pattern = re.compile(rb'(<c r="' + cell.encode() + rb'"[^>]*><v>)(\d+)(</v>)')
        assert pattern.search(xml)
        return pattern.sub(lambda m: m[1] + str(int(m[2]) + 1).encode() + m[3], xml, count=1)

    edited = _rows_read(rewritten_member(book, tmp_path / "edited.xlsx", "xl/worksheets/sheet1.xml", moved_a_day))
    assert [(row.trip_id, set(row.dates)) for row in edited if row.dates] == [(first.trip_id, {"purchase"})]
    assert edited[0].dates["purchase"][0] == cell
    result = ppo("sync", str(tmp_path / "edited.xlsx"), "--date", TODAY, check=False)
    assert f"{cell}: trip {first.trip_id}: the purchase" in result.out
    assert "differs" not in ppo("sync", str(book), "--date", TODAY).out
