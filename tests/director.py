"""What the director does to an exported workbook by hand, for the workbook and report tests;
and a playbook with month offsets that several of them export."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl


def _set(path: Path, trip_id: int, header: str, value) -> None:
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        if not ws.title.startswith("Checklist"):
            continue
        heads = {str(c.value): c.column for c in ws[1] if c.value}
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, 1).value == trip_id:
                ws.cell(r, heads[header]).value = value
    book.save(path)


def tick(path: Path, trip_id: int, no: int, value) -> None:
    """A value in a step's tick cell, saved."""
    _set(path, trip_id, f"✓ {no}", value)


def set_input(path: Path, trip_id: int, header: str, value) -> None:
    """An input date (light yellow) moved in the Checklist, saved."""
    _set(path, trip_id, header, value)


MONTHS_PLAYBOOK = """
id = "anniversary"
dates = ["purchase", "departure", "return"]
start = "purchase"
[[steps]]
no = 0
id = "month"
title = "A month later"
channel = "call"
anchor = "purchase"
offset = "+1m"
text = "."
[[steps]]
no = 1
id = "year"
title = "A year later"
channel = "email"
anchor = "purchase"
offset = "+1y"
text = "."
[[steps]]
no = 2
id = "early"
title = "Long before departure"
channel = "email"
anchor = "departure"
offset = "-1m2w1d"
text = "."
"""


def without_identity(path: Path) -> None:
    """The book as ppo 0.2 wrote it: no store id among its document properties."""
    with zipfile.ZipFile(path) as archive:
        members = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members.items():
            if info.filename == "docProps/custom.xml":
                data = re.sub(rb'<(?:\w+:)?property\b[^>]*name="ppo_store"[^>]*>.*?</(?:\w+:)?property>', b"", data)
            archive.writestr(info, data)
