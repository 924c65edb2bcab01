"""What a director types in the workbook: notes come back by `ppo sync`; every other cell ppo
does not read back is locked (no password), so a spreadsheet says typing there is not kept."""

from __future__ import annotations

from pathlib import Path

import openpyxl

TODAY = "2026-11-30"


def edit_notes(path: Path, notes: dict[int, str | None]) -> None:
    workbook = openpyxl.load_workbook(path)
    ws = workbook["Checklist Туры"]
    col = [c.value for c in ws[1]].index("Note") + 1
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 1).value in notes:
            ws.cell(r, col).value = notes[ws.cell(r, 1).value]
    workbook.save(path)


def note_of(ppo, trip_id: int) -> str:
    return ppo("show", str(trip_id), "--format", "json").json()["note"] or ""


def test_a_note_typed_in_the_checklist_is_taken_by_sync(ppo, book):
    edit_notes(book, {2: "клиент просит перезвонить после 18:00", 1: None})
    result = ppo("sync", str(book), "--date", TODAY)
    assert "trip 2 note: клиент просит перезвонить после 18:00" in result.out
    assert "2 notes" in result.out
    assert note_of(ppo, 2) == "клиент просит перезвонить после 18:00"
    assert note_of(ppo, 1) == ""  # cleared in the workbook: cleared in ppo
    again = ppo("sync", str(book), "--date", TODAY)
    assert "note:" not in again.out  # nothing new the second time


def test_export_over_the_workbook_keeps_a_typed_note(ppo, book):
    edit_notes(book, {2: "перезвонить в 18:00"})
    ppo("export", str(book), "--date", TODAY)
    assert note_of(ppo, 2) == "перезвонить в 18:00"
    ws = openpyxl.load_workbook(book)["Checklist Туры"]
    col = [c.value for c in ws[1]].index("Note") + 1
    assert [ws.cell(r, col).value for r in (2, 3)] == ["VIP", "перезвонить в 18:00"]


def test_only_ticks_input_dates_and_notes_are_open_for_typing(book):
    workbook = openpyxl.load_workbook(book)
    for name in workbook.sheetnames:
        assert workbook[name].protection.sheet, name
        assert not workbook[name].protection.password, name  # a signpost, not a safe
    ws = workbook["Checklist Туры"]
    heads = [c.value for c in ws[1]]
    open_heads = {"Purchase", "Departure", "Return", "Note"} | {h for h in heads if h.startswith("✓ ")}
    for col, head in enumerate(heads, start=1):
        cell = ws.cell(2, col)
        expected_open = head in open_heads
        if cell.value is None:  # an empty cell takes its column's style
            letter = cell.column_letter
            assert ws.column_dimensions[letter].protection.locked is not expected_open, head
        else:
            assert cell.protection.locked is not expected_open, head
    assert ws.protection.autoFilter is False  # filtering stays allowed (False: not protected)
    assert all(c.protection.locked for row in workbook["Actions"].iter_rows(min_row=2) for c in row)
