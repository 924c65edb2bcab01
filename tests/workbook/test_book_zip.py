"""The book's zip: big sheets' rows compressed in a second thread as they are written, spliced
into the book still compressed (workbook/zip_parts, workbook/rows)."""

from __future__ import annotations

import errno
import io
import os
import sys
import threading
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from conftest import TODAY
from hypothesis import given
from hypothesis import strategies as st

from ppo_checklist import files
from ppo_checklist.workbook import rows, zip_parts

WHEN = (2026, 11, 30, 9, 15, 42)


@given(st.binary(max_size=3000), st.binary(max_size=3000))
def test_the_crc_of_two_parts_combined_is_the_crc_of_both_laid_end_to_end(first, second):
    combined = zip_parts.crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second))
    assert combined == zlib.crc32(first + second)


@given(st.lists(st.binary(max_size=2000), max_size=5), st.binary(max_size=500), st.binary(max_size=500))
def test_a_member_deflated_in_parts_reads_back_whole(body_batches, head, tail):
    body = zip_parts.compressor()
    packed, crc, size = [], 0, 0
    for batch in body_batches:  # as SheetRows does: one compressor, a sync flush at the end
        packed.append(body.compress(batch))
        crc, size = zlib.crc32(batch, crc), size + len(batch)
    packed.append(body.flush(zlib.Z_SYNC_FLUSH))
    whole = head + b"".join(body_batches) + tail
    crc = zip_parts.crc32_combine(zip_parts.crc32_combine(zlib.crc32(head), crc, size), zlib.crc32(tail), len(tail))
    parts = [zip_parts.deflated(head, last=False), *packed, zip_parts.deflated(tail, last=True)]

    handle = io.BytesIO()
    out = zip_parts.ZipOut(handle)
    out.add("[Content_Types].xml", WHEN, b"<Types/>")
    out.add_deflated("xl/worksheets/sheet1.xml", WHEN, crc, len(whole), parts)
    out.add("docProps/имя.xml", WHEN, b"")
    out.close()

    with zipfile.ZipFile(handle) as book:
        assert book.testzip() is None  # every member's CRC checked
        assert book.namelist() == ["[Content_Types].xml", "xl/worksheets/sheet1.xml", "docProps/имя.xml"]
        assert book.read("xl/worksheets/sheet1.xml") == whole
        assert book.getinfo("xl/worksheets/sheet1.xml").date_time == (2026, 11, 30, 9, 15, 42)


def test_a_book_compressed_a_row_at_a_time_is_the_book_compressed_in_batches(ppo, tmp_path, monkeypatch):
    for n in range(12):
        ppo.add(f"Клиент {n}", "20.11.2026", "01.12.2026", "10.12.2026", "--note", f"заметка {n}")
    whole = tmp_path / "whole.xlsx"
    ppo("export", str(whole), "--date", TODAY)
    monkeypatch.setattr(rows, "BATCH", 1)  # each row its own part of the stream
    monkeypatch.setattr(rows, "AHEAD", 1)
    parted = tmp_path / "parted.xlsx"
    ppo("export", str(parted), "--date", TODAY)
    with zipfile.ZipFile(whole) as a, zipfile.ZipFile(parted) as b:
        assert b.testzip() is None
        assert a.namelist() == b.namelist()
        differ = [name for name in a.namelist() if a.read(name) != b.read(name)]
    assert set(differ) <= {"docProps/core.xml"}  # the time it was written
    sheet = openpyxl.load_workbook(parted)["Checklist Туры"]
    assert [sheet.cell(row, 2).value for row in range(2, 14)] == [f"Клиент {n}" for n in range(12)]


def test_an_export_leaves_no_thread_and_the_interpreter_s_slice_as_it_was(ppo, tmp_path):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    interval = sys.getswitchinterval()
    ppo("export", str(tmp_path / "book.xlsx"), "--date", TODAY)
    assert sys.getswitchinterval() == interval
    assert not [t.name for t in threading.enumerate() if t.name.startswith("ppo-deflate")]


def open_files_under(folder: Path) -> list[str]:
    """The files under `folder` this process holds open (Linux's /proc)."""
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            held.append(target)
    return held


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("failing", ["batch 1", "batch 2", "batch 3", "batch 5", "the book"])
def test_a_full_disk_anywhere_leaves_no_scratch_file_open_and_nothing_written(ppo, tmp_path, monkeypatch, failing):
    """Windows cannot remove a folder that holds an open file: whichever write fails, every
    scratch file is closed, the folder goes, and the export says one line."""
    for n in range(6):
        ppo.add(f"Клиент {n}", "20.11.2026", "01.12.2026", "10.12.2026")
    monkeypatch.setattr(rows, "BATCH", 1)
    monkeypatch.setattr(rows, "AHEAD", 2)
    calls = []
    if failing.startswith("batch"):
        real = rows.SheetRows._deflate

        def deflate(self, data):
            calls.append(data)
            if len(calls) >= int(failing.split()[1]):  # and full it stays
                raise disk_full()
            return real(self, data)

        monkeypatch.setattr(rows.SheetRows, "_deflate", deflate)
    else:
        real_add = zip_parts.ZipOut.add_deflated

        def add_deflated(self, name, date_time, crc, size, parts):
            if isinstance(parts, list):  # a small member, deflated whole
                return real_add(self, name, date_time, crc, size, parts)
            parts = iter(parts)
            next(parts), next(parts)  # a sheet's head and first rows written, then the disk is full
            calls.append(name)
            raise disk_full()

        monkeypatch.setattr(zip_parts.ZipOut, "add_deflated", add_deflated)
    folder = tmp_path / "office"
    folder.mkdir()
    held_at_removal = []
    remove = files.shutil.rmtree

    def removing(path, *args, **kwargs):  # what Windows would refuse to remove
        held_at_removal.extend(open_files_under(Path(path)))
        return remove(path, *args, **kwargs)

    monkeypatch.setattr(files.shutil, "rmtree", removing)
    result = ppo("export", str(folder / "book.xlsx"), "--date", TODAY, check=False)
    assert calls, "the failure was never reached"
    assert result.code == 1 and result.err.count("\n") == 1 and "no space left" in result.err.lower(), result.err
    assert held_at_removal == []
    assert list(folder.iterdir()) == []
