"""What is typed stays as typed: any text ppo accepts goes out in the workbook and comes back by
`ppo sync` byte for byte, however often (OOXML's `_xHHHH_` escaping written as it is read)."""

from __future__ import annotations

import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppo_checklist.core.model import text_problem
from ppo_checklist.workbook import cell_text

TODAY = "2026-11-30"


@given(st.text())
def test_unescape_undoes_escape_for_any_text(text):
    assert cell_text.unescape(cell_text.escape(text)) == text


@given(st.text())
def test_escaped_text_holds_only_what_xml_can(text):
    escaped = cell_text.escape(text)
    assert not any(ch in escaped for ch in "\x00\x01\x08\x0b\x0c\x0d\x1b\x1f\ufffe\uffff")


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("код AB_x00C1_ok", "код AB_x005F_x00C1_ok"),
        ("_x005F_x00C1_", "_x005F_x005F_x005F_x00C1_"),  # overlapping: each underscore that starts one
        ("a\r\nb", "a_x000D_\nb"),  # XML would read a CR as a line feed
        ("_x12_ and x005F_", "_x12_ and x005F_"),  # not a sequence: as it is
    ],
)
def test_escape_writes_the_sequences_as_excel_reads_them(typed, written):
    assert cell_text.escape(typed) == written
    assert cell_text.unescape(written) == typed


def texts_xml(path) -> str:
    """Where the book holds its texts: the shared strings and the first sheet's inline ones."""
    with zipfile.ZipFile(path) as archive:
        parts = [name for name in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml") if name in archive.namelist()]
        return "".join(archive.read(name).decode("utf-8") for name in parts)


def with_note(ppo, note: str) -> int:
    """A trip whose note `ppo add` took as typed."""
    return ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "--again", "--note=" + note)


def round_trip(ppo, trip_id: int) -> tuple[str, str]:
    """The workbook exported and synced: what sync said and the note ppo then holds."""
    path = ppo.home / "book.xlsx"
    ppo("export", str(path), "--date", TODAY)
    said = ppo("sync", str(path), "--date", TODAY).out
    return said, ppo.show(trip_id)["note"]


def test_a_note_with_an_escape_like_sequence_does_not_grow_over_round_trips(ppo):
    trip_id = with_note(ppo, "код AB_x00C1_ok")
    for _ in range(3):
        said, note = round_trip(ppo, trip_id)
        assert note == "код AB_x00C1_ok"
        assert "note:" not in said
    assert texts_xml(ppo.home / "book.xlsx").count("AB_x005F_x00C1_ok") == 1


@pytest.mark.parametrize("note", ["<r>hello & bye</r>", "<r><t>x</t></r>", " leading and trailing ", "a\r\nb\tc"])
def test_a_note_that_looks_like_markup_or_spacing_comes_back_as_typed(ppo, note):
    said, stored = round_trip(ppo, with_note(ppo, note))
    assert stored == note
    assert "note:" not in said


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=st.text(min_size=1, max_size=60).filter(lambda t: text_problem("note", t) is None))
def test_any_note_ppo_accepts_round_trips_export_and_sync_byte_for_byte(ppo, note):
    said, stored = round_trip(ppo, with_note(ppo, note))
    assert stored == note
    assert "note:" not in said
