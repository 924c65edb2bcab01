"""The stores and books the workbook tests start from."""

from __future__ import annotations

from pathlib import Path

import pytest

TODAY = "2026-11-30"


@pytest.fixture
def trips(ppo):
    """Two trips, each with its manager."""
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "-m", "Olga")  # trip 1
    ppo.add("Борис", "25.11.2026", "05.12.2026", "12.12.2026", "-m", "Ivan")  # trip 2
    return ppo


@pytest.fixture
def book(ppo, tmp_path) -> Path:
    """Two trips (the first with the note "VIP") exported on TODAY."""
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "--note", "VIP")  # trip 1
    ppo.add("Борис", "25.11.2026", "05.12.2026", "12.12.2026")  # trip 2
    path = tmp_path / "book.xlsx"
    ppo("export", str(path), "--date", TODAY)
    return path
