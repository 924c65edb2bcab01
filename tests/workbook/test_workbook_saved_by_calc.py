"""A workbook saved by LibreOffice Calc (as a director's office saves it) is still this store's
book, and every note in it still reads as typed: Calc shows ppo's `_xHHHH_` escaping as the
text typed and writes its own, and `ppo sync` reads that back to the same text.

One text Calc itself does not keep: a sequence whose last underscore starts the next one
(`_x005F_x00C1_`). Calc shows it right from ppo's book, but writes it unescaped (its writer
escapes only sequences that do not overlap), so a book Calc saved holds `_x00C1_`. ppo's own
round trip keeps it (test_typed_text_round_trips)."""

from __future__ import annotations

import csv
import zipfile

import pytest
from backends import query
from calc import CSV_ALL_SHEETS, profile, require_calc, soffice
from director import tick

from ppo_checklist.core.words import status_name
from ppo_checklist.workbook import identity

require_calc()

TODAY = "2026-11-30"
NOTES = ["код AB_x00C1_ok", "<r>hello & bye</r>", "A_x000D_B", "две\nстроки", "  с пробелами  "]
OVERLAPPING = "_x005F_x00C1_"


@pytest.mark.sqlite_only
def test_a_book_saved_by_calc_keeps_its_store_and_its_notes_as_typed(ppo, tmp_path):
    for note in [*NOTES, OVERLAPPING]:
        ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "--again", "--note=" + note)
    book = ppo.home / "book.xlsx"
    ppo("export", str(book), "--date", TODAY)
    saved = tmp_path / "saved"
    saved.mkdir()
    soffice(profile(tmp_path), saved, CSV_ALL_SHEETS, book)
    shown = {cell for sheet in saved.glob("*.csv") for row in csv.reader(sheet.open(encoding="utf-8")) for cell in row}
    assert {*NOTES, OVERLAPPING} <= shown  # what Calc shows is what was typed
    soffice(profile(tmp_path), saved, "xlsx:Calc MS Excel 2007 XML", book)
    in_calc = saved / "book.xlsx"
    with zipfile.ZipFile(in_calc) as archive:  # Calc wrote it anew: shared strings, its own escaping
        assert "AB_x005F_x00C1_ok" in archive.read("xl/sharedStrings.xml").decode("utf-8")

    assert identity.of(in_calc) == query(ppo, "SELECT id FROM ppo_store")[0][0]
    result = ppo("sync", str(in_calc), "--date", TODAY)
    assert result.out.count("note:") == 1 and "note: _x00C1_" in result.out  # Calc's own loss
    assert [ppo.show(n)["note"] for n in range(1, len(NOTES) + 1)] == NOTES


@pytest.mark.sqlite_only
def test_a_word_kept_in_a_tick_cell_does_not_make_the_step_done_in_calc(ppo, tmp_path):
    trip = ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    book = ppo.home / "book.xlsx"
    ppo("export", str(book))
    tick(book, trip, 0, "позже")  # no tick: sync reports it, the next export keeps it as typed
    tick(book, trip, 1, "Сделано!")
    ppo("export", str(book))
    ppo("done", str(trip), "1")
    statuses = {step["no"]: step["status"] for step in ppo.show(trip)["steps"]}
    out = tmp_path / "csv"
    soffice(profile(tmp_path), out, CSV_ALL_SHEETS, book)
    actions = list(csv.reader((out / "book-Actions.csv").open(encoding="utf-8")))
    head = actions[0]
    shown = {row[head.index("Step")].split(".")[0]: row[head.index("Status")] for row in actions[1:] if row[0]}
    assert shown["0"] == status_name(statuses[0]) != status_name("done")  # «позже» is not a tick
    assert shown["1"] == status_name("done")
