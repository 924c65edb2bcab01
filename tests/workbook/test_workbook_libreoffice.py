"""The workbook opened by a spreadsheet none of us wrote: LibreOffice Calc, headless.

Calc recalculates every formula (a private profile sets OOXML recalculation to
"always"), the sheets are saved as CSV and the Checklist rendered to PDF, then to
pixels: dates must equal ppo's own schedule, statuses its own statuses, and the
trip due today must be painted yellow, the overdue one red, on the real today.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from calc import CSV_ALL_SHEETS, PDFTOPPM, RECALC_ALWAYS, profile, require_calc, soffice
from director import MONTHS_PLAYBOOK
from ppo_runner import EVERY_DAY

from ppo_checklist.core.words import status_name

require_calc()

YELLOW, RED, GREEN = (0xFF, 0xE0, 0x33), (0xF2, 0x6B, 0x6B), (0xDC, 0xEF, 0xD8)


def iso(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


@pytest.fixture(scope="module")
def calc(tmp_path_factory, make_ppo):
    """Trips around the real today, exported, edited in a copy, and run through Calc once."""
    home = tmp_path_factory.mktemp("calc")
    playbooks = home / "playbooks"
    playbooks.mkdir()
    (playbooks / "anniversary.toml").write_text(MONTHS_PLAYBOOK, encoding="utf-8")
    (home / "config.toml").write_text(f'playbooks_dir = "{playbooks}"\n' + EVERY_DAY, encoding="utf-8")  # days by hand
    ppo = make_ppo(home, home / "config.toml")
    today = dt.date.today()
    day = lambda n: iso(today + dt.timedelta(days=n))  # noqa: E731
    trips = {
        "due": ppo.add("Due Today", day(0), day(1), day(8), "-m", "Olga"),
        "overdue": ppo.add("Overdue", day(-20), day(10), day(20), "-m", "Ivan"),
        "ticked": ppo.add("Ticked", day(-5), day(3), day(9), "-m", ""),
        "declined": ppo.json("decline", "Declined", "--date", day(-8), "-m", "Olga")["trip_id"],
        "months": ppo.add("Month End", "31.01.2026", "01.03.2026", "08.03.2026", "--playbook", "anniversary"),
        # departed three days ago: the reminder, the letters before and the good-trip SMS lapsed
        "lapsed": ppo.add("Gone", day(-20), day(-3), day(5), "-m", "Ivan"),
        # opted out: the letters and SMS are out of play, the calls stay
        "opted_out": ppo.add("No Letters", day(-2), day(6), day(12), "-m", "Ivan", "--no-messages"),
    }
    ppo("done", str(trips["ticked"]), "0", "--date", day(-4))
    book = home / "book.xlsx"
    ppo("export", str(book))
    # The director moves a departure in a copy; openpyxl drops every cached value, so
    # Calc has to compute every date itself.
    edited = home / "edited.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["Checklist Туры"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == trips["overdue"])
    ws.cell(row, 6).value = today + dt.timedelta(days=12)  # F: Departure
    wb.save(edited)
    profile = home / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    out = home / "out"
    soffice(profile, out, CSV_ALL_SHEETS, book, edited)
    soffice(profile, out, "pdf", book)
    subprocess.run(
        [PDFTOPPM, "-r", "60", "-f", "1", "-l", "1", str(out / "book.pdf"), str(out / "page")],
        check=True,
        timeout=60,
    )
    ppo("edit", str(trips["overdue"]), "--departure", day(12))
    return ppo, trips, out, today


def sheet(out: Path, book: str, name: str) -> list[list[str]]:
    with open(out / f"{book}-{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def step_columns(header: list[str]) -> dict[int, int]:
    """A step's number -> its date column: the headers read «1. Напомнить о вылете завтра…»."""
    return {int(h.split(". ")[0]): i for i, h in enumerate(header) if re.match(r"\d+\. ", h)}


def test_calc_opens_every_sheet_without_errors(calc):
    _ppo, _trips, out, _today = calc
    for name in (
        "Checklist Туры",
        "Checklist Отказники",
        "Checklist anniversary",
        "Actions",
        "Summary",
        "Legend",
    ):
        cells = [c for row in sheet(out, "book", name) for c in row]
        assert cells, name
        assert not [c for c in cells if c.startswith(("Err:", "#NAME", "#VALUE", "#REF", "#N/A"))], name


def test_calc_computes_the_step_dates_ppo_scheduled_even_after_a_departure_is_moved(calc):
    ppo, trips, out, _today = calc
    checked = 0
    for name in ("Checklist Туры", "Checklist Отказники", "Checklist anniversary"):
        rows = sheet(out, "edited", name)
        cols = step_columns(rows[0])
        for row in rows[1:]:
            record = ppo.show(int(row[0]))
            for step in record["steps"]:
                due = dt.date.fromisoformat(step["due"])
                assert row[cols[step["no"]]] == iso(due), (name, row[0], step["id"])
                checked += 1
    assert checked == 7 * 5 + 3 + 3


def test_calc_clamps_month_ends_like_ppo(calc):
    _ppo, _trips, out, _today = calc
    rows = sheet(out, "edited", "Checklist anniversary")
    cols = step_columns(rows[0])
    assert [rows[1][cols[no]] for no in range(3)] == ["28.02.2026", "31.01.2027", "31.01.2026"]


def test_calc_shows_the_statuses_ppo_computes_for_today(calc):
    ppo, trips, out, today = calc
    rows = sheet(out, "book", "Actions")
    seen = {(int(r[0]), int(r[3].split(". ")[0])): r[7] for r in rows[1:]}
    statuses = set()
    for key, trip_id in trips.items():
        if key == "overdue":
            continue  # moved after the export
        for step in ppo.show(trip_id)["steps"]:
            assert seen[(trip_id, step["no"])] == status_name(step["status"]), (key, step["id"])
            statuses.add(step["status"])
    assert {"lapsed", "opted_out", "no_consent", "done", "due", "overdue", "pending"} <= statuses


def test_calc_summary_counts_match_ppo_today(calc):
    ppo, _trips, out, _today = calc
    rows = sheet(out, "book", "Summary")
    assert rows[1][1] == iso(dt.date.today())
    live = rows[4 : next(i for i, r in enumerate(rows) if r and r[0] == "Total") + 1]
    table = {r[0]: r[1:10] for r in live}  # the live table; the figures of the period follow it
    # due today: 0 and 1 of Due Today; overdue: the declined client's call (no departure: no
    # lapse); the chain's two ads letters: no consent (she never agreed to advertising)
    assert table["Olga"][:2] == ["2", "1"]
    assert table["Olga"][6] == "2"
    assert table["(no manager)"][3] == "1"  # the ticked step, for the trips with no manager
    assert table["Ivan"][2] == "3"  # Gone's lapsed steps: the letters before, the reminder, the good-trip SMS
    assert table["Ivan"][5] == "4"  # No Letters: opted out of 0, 2, 3 and 4; its calls stay
    agenda = ppo.json("today")
    total_due = sum(1 for a in agenda if a["status"] == "due")
    assert table["Total"][0] == str(total_due)


def read_ppm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert magic == b"P6" and depth == b"255"
    return int(width), int(height), pixels


def rows_painted(path: Path, colour: tuple[int, int, int]) -> list[int]:
    width, height, pixels = read_ppm(path)
    found = []
    for y in range(height):
        line = pixels[y * width * 3 : (y + 1) * width * 3]
        hits = sum(
            1
            for x in range(0, width * 3, 3)
            if abs(line[x] - colour[0]) + abs(line[x + 1] - colour[1]) + abs(line[x + 2] - colour[2]) < 40
        )
        if hits >= 3:
            found.append(y)
    return found


def test_calc_paints_today_yellow_and_overdue_red_on_the_real_today(calc):
    _ppo, _trips, out, _today = calc
    page = next(out.glob("page-*.ppm"))
    yellow, red, green = (rows_painted(page, c) for c in (YELLOW, RED, GREEN))
    assert yellow and red and green
    # Row 2 (due today) is yellow only; the overdue trips below it are red.
    assert max(yellow) < min(red)


def test_calc_counts_managers_whose_names_look_like_wildcards_apart(ppo, tmp_path):
    """`Ol*`, `Ol?a`, `O~lga` and `Olga` are four managers; a 300-character name still works."""
    today = dt.date.today()
    day = lambda n: iso(today + dt.timedelta(days=n))  # noqa: E731
    managers = ["Ol*", "Ol?a", "O~lga", "Olga", "Я" * 300]
    for n, manager in enumerate(managers):
        ppo.add(f"Client {n}", day(0), day(10), day(20), "-m", manager)
    book = tmp_path / "book.xlsx"
    ppo("export", str(book))
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    soffice(profile, tmp_path / "out", CSV_ALL_SHEETS, book)
    rows = sheet(tmp_path / "out", "book", "Summary")
    live = rows[4 : [row[0] for row in rows].index("Total")]  # not the figures below it
    steps = {row[0]: row[5] for row in live}
    one_trip = openpyxl.load_workbook(book, data_only=True)["Summary"]["F5"].value
    assert steps == {manager: str(one_trip) for manager in managers}


def test_calc_shows_a_russian_book_in_the_director_s_words_with_no_id(ppo, tmp_path):
    """Rendered by Calc as a director sees it: no step or playbook id on any sheet a person
    opens, the moments in words, percentages as Russians write them (4,8 %)."""
    today = dt.date.today()
    day = lambda n: iso(today + dt.timedelta(days=n))  # noqa: E731
    russian = {"LANG": "ru_RU.UTF-8"}
    done = ppo.add("Анна Иванова", day(-10), day(-3), day(5), "-m", "Ольга")
    ppo.add("Борис Орлов", day(-20), day(-12), day(-2), "-m", "Ольга")
    ppo("done", str(done), "0", "--date", day(-10))
    ppo.json("decline", "Вера Соколова", "--date", day(-1), "-m", "Ольга")
    book = tmp_path / "book.xlsx"
    ppo("export", str(book), env=russian)
    soffice(profile(tmp_path), tmp_path / "out", CSV_ALL_SHEETS, book)
    playbooks = json.loads(ppo("playbooks", "--format", "json").out)
    ids = {pb["id"] for pb in playbooks} | {s["id"] for pb in playbooks for s in pb["steps"]}
    shown = {p.name.removeprefix("book-").removesuffix(".csv"): p for p in (tmp_path / "out").glob("book-*.csv")}
    assert set(shown) == {"Чек-лист · Туры", "Чек-лист · Отказники", "Действия", "Сводка", "Пояснения", "_ppo"}
    for name, path in shown.items():
        if name == "_ppo":
            continue  # hidden: where sync finds the ids
        words = set(re.findall(r"[\w-]+", name + " " + path.read_text(encoding="utf-8")))
        assert not ids & words, (name, ids & words)
    checklist = sheet(tmp_path / "out", "book", "Чек-лист · Туры")
    assert "1. Напомнить о вылете завтра\nза 1 день до вылета" in checklist[0]
    summary = [c for row in sheet(tmp_path / "out", "book", "Сводка") for c in row]
    rates = [c for c in summary if re.fullmatch(r"\d+,\d %", c)]
    assert rates and not [c for c in summary if re.fullmatch(r"\d+\.\d ?%", c)]
