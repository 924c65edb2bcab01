"""`sync` refuses in a note typed in the workbook what `add --note` refuses (control characters,
bidi overrides, what no store can hold): the cell is named in one line, nothing is taken from it,
the rest of the sync goes on (exit 1, as for a word in a tick cell), and the next export keeps
the cell as typed, so nothing the director typed is lost."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from director import tick

TODAY = "2026-11-30"

# As the workbook holds each: Excel writes a control character as `_xHHHH_` (openpyxl, which
# typed these, writes what it is given), a bidi override as itself.
TYPED = {
    "bidi override": ("перезвонить \u202eмоб", "перезвонить \u202eмоб"),
    "escape code": ("_x001B_[31mсрочно", "\x1b[31mсрочно"),
    "no character at all": ("код _xD800_", "код \ud800"),
}


def note_cell(path: Path, trip_id: int, value=None, *, typed: bool = False):
    """The trip's note cell (its letter and row), and what it holds; `typed`: set to `value`."""
    workbook = openpyxl.load_workbook(path)
    ws = workbook["Checklist Туры"]
    col = [c.value for c in ws[1]].index("Note") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == trip_id)
    cell = ws.cell(row, col)
    if typed:
        cell.value = value
        workbook.save(path)
    return cell.coordinate, cell.value


def note_of(ppo, trip_id: int) -> str:
    return ppo.show(trip_id)["note"] or ""


@pytest.mark.parametrize("kind", ["bidi override", "escape code"])  # a terminal cannot type the third
def test_add_refuses_the_text_sync_refuses(ppo, kind):
    dates = ("--purchase", "20.11.2026", "--departure", "01.12.2026", "--return", "10.12.2026")
    result = ppo("add", *dates, "--note", TYPED[kind][1], "Вера", check=False)
    assert result.code == 2 and "note contains control characters" in result.err


@pytest.mark.parametrize("kind", sorted(TYPED))
def test_a_note_add_would_refuse_is_not_taken_and_the_sync_goes_on(ppo, book, kind):
    in_file, _text = TYPED[kind]
    cell, _before = note_cell(book, 1, in_file, typed=True)
    note_cell(book, 2, "перезвонить после 18:00", typed=True)
    tick(book, 2, 0, "✓")
    result = ppo("sync", str(book), "--date", TODAY, check=False)
    assert result.code == 1, result
    refused = [line for line in result.out.splitlines() if "note is not taken" in line]
    assert refused == [f"left as typed: Checklist Туры!{cell}: note contains control characters; the note is not taken"]
    assert "1 notes refused" in result.out
    assert note_of(ppo, 1) == "VIP"  # nothing taken from that cell
    assert note_of(ppo, 2) == "перезвонить после 18:00"  # the rest is
    assert ppo.show(2)["steps"][0]["status"] == "done"
    assert "\x1b" not in result.out + result.err and "\u202e" not in result.out + result.err


def test_the_next_export_keeps_the_refused_note_as_typed(ppo, book):
    note_cell(book, 1, "перезвонить \u202eмоб", typed=True)
    result = ppo("export", str(book), "--date", TODAY)
    assert "1 notes refused, left as typed" in result.err
    assert note_cell(book, 1)[1] == "перезвонить \u202eмоб"
    assert note_of(ppo, 1) == "VIP"
    again = ppo("sync", str(book), "--date", TODAY, check=False)  # said again until it is fixed
    assert again.code == 1 and "note is not taken" in again.out


def test_a_word_in_a_tick_cell_is_shown_without_its_control_characters(ppo, book):
    tick(book, 1, 0, "_x001B_[2Jпозже\u202e")
    result = ppo("sync", str(book), "--date", TODAY, check=False)
    assert result.code == 1
    assert "'\\x1b[2Jпозже\\u202e' is not a tick" in result.out
    assert "\x1b" not in result.out and "\u202e" not in result.out
