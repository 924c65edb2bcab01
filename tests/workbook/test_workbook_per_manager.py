"""A book per manager: `export --manager` writes only their trips, `report` writes one per
manager when config says so, and syncing a manager's book leaves the others' trips alone."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from director import tick

TODAY = "2026-11-30"


@pytest.fixture
def office(ppo):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "-m", "Ольга")  # trip 1
    ppo.add("Борис", "25.11.2026", "05.12.2026", "12.12.2026", "-m", "Игорь")  # trip 2
    ppo.add("Вера", "26.11.2026", "06.12.2026", "13.12.2026", "-m", "Ольга Петровна / 2")  # trip 3
    return ppo


def checklist_trips(path: Path) -> dict[int, str]:
    """Trip -> manager, as the book's Checklist sheets hold them."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    found = {}
    for ws in book.worksheets:
        if not ws.title.startswith(("Checklist", "Чек-лист")):
            continue
        rows = ws.iter_rows(values_only=True)
        heads = {str(v): i for i, v in enumerate(next(rows)) if v is not None}
        for row in rows:
            if row and row[0] is not None:
                found[int(row[0])] = row[heads["Manager"]]
    return found


def test_export_for_a_manager_writes_only_their_trips(office):
    path = office.home / "olga.xlsx"
    result = office("export", str(path), "--date", TODAY, "--manager", "ольга")
    assert result.code == 0, result.err
    assert checklist_trips(path) == {1: "Ольга"}
    assert "1 trips" in result.out


def test_export_for_several_managers(office):
    path = office.home / "two.xlsx"
    office("export", str(path), "--date", TODAY, "-m", "Ольга", "-m", "Игорь")
    assert checklist_trips(path) == {1: "Ольга", 2: "Игорь"}


def test_export_for_an_unknown_manager_is_bad_input_and_writes_nothing(office):
    path = office.home / "nobody.xlsx"
    result = office("export", str(path), "--date", TODAY, "--manager", "Никто", check=False)
    assert result.code == 2
    assert "Никто" in result.err and len(result.err.strip().splitlines()) == 1
    assert not path.exists()


def test_syncing_a_managers_book_leaves_the_other_managers_trips_alone(office):
    office("done", "2", "0", "--date", TODAY)  # Игорь's step, done in ppo
    path = office.home / "olga.xlsx"
    office("export", str(path), "--date", TODAY, "--manager", "Ольга")
    tick(path, 1, 0, "✓")
    result = office("sync", str(path), "--date", TODAY)
    assert result.code == 0, result.out + result.err
    assert "took 1 ticks" in result.out
    assert "trip 2" not in result.out  # neither "kept" nor "not in the file"
    assert office.show(2, "--date", TODAY)["steps"][0]["status"] == "done"
    assert office.show(1, "--date", TODAY)["steps"][0]["status"] == "done"


def per_manager_config(ppo) -> None:
    given = ppo.env.get("PPO_CONFIG")
    text = Path(given).read_text(encoding="utf-8") if given else ""
    config = ppo.home / "per-manager.toml"
    config.write_text(text + "\nreport_per_manager = true\n", encoding="utf-8")
    ppo.env["PPO_CONFIG"] = str(config)


def test_report_writes_a_book_per_manager_when_config_says_so(office, tmp_path):
    out = tmp_path / "reports"
    office("report", "--out", str(out), "--date", TODAY)
    assert sorted(p.name for p in out.glob("*.xlsx")) == ["ppo-2026-11-30.xlsx"]
    per_manager_config(office)
    result = office("report", "--out", str(out), "--date", TODAY)
    assert result.code == 0, result.err
    names = sorted(p.name for p in out.glob("*.xlsx"))
    assert names == [
        "ppo-2026-11-30-Игорь.xlsx",
        "ppo-2026-11-30-Ольга.xlsx",
        "ppo-2026-11-30-Ольга_Петровна_2.xlsx",
        "ppo-2026-11-30.xlsx",
    ]
    assert checklist_trips(out / "ppo-2026-11-30.xlsx") == {1: "Ольга", 2: "Игорь", 3: "Ольга Петровна / 2"}
    assert checklist_trips(out / "ppo-2026-11-30-Игорь.xlsx") == {2: "Игорь"}
    assert checklist_trips(out / "ppo-2026-11-30-Ольга_Петровна_2.xlsx") == {3: "Ольга Петровна / 2"}
    for name in names:
        assert (out / name).stat().st_mode & 0o777 == 0o600


def test_a_second_report_takes_the_ticks_of_a_managers_book(office, tmp_path):
    per_manager_config(office)
    out = tmp_path / "reports"
    office("report", "--out", str(out), "--date", TODAY)
    tick(out / "ppo-2026-11-30-Игорь.xlsx", 2, 0, "✓")
    result = office("report", "--out", str(out), "--date", TODAY)
    assert result.code == 0, result.err
    assert "took 1 ticks" in result.err
    assert office.show(2, "--date", TODAY)["steps"][0]["status"] == "done"
    book = openpyxl.load_workbook(out / "ppo-2026-11-30.xlsx", read_only=True, data_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    heads = {str(v): i for i, v in enumerate(rows[0]) if v is not None}
    trip2 = next(r for r in rows[1:] if r[0] == 2)
    assert trip2[heads["✓ 0"]] == "✓"  # the whole book shows the tick made in the manager's
