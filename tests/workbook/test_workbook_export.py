"""`ppo export`: the director's workbook as openpyxl reads it back."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from director import MONTHS_PLAYBOOK
from ppo_runner import EVERY_DAY, Result

from ppo_checklist.workbook.write import done_condition

TODAY = "2026-11-30"


def columns(ws) -> dict[str, int]:
    """Header text (first line) -> 1-based column."""
    return {str(c.value).split("\n")[0]: c.column for c in ws[1] if c.value is not None}


def step_col(ws, no: int) -> int:
    return next(col for head, col in columns(ws).items() if head.startswith(f"{no}. "))


def row_of(ws, trip_id: int) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == trip_id)


@pytest.fixture(scope="module")
def agency(tmp_path_factory, make_ppo, backend):
    """Two tour trips (one cancelled), one declined client, one finished trip."""
    ppo = make_ppo(tmp_path_factory.mktemp("agency"), backend=backend)
    ppo.add(
        "Анна Петрова",
        "20.11.2026",
        "01.12.2026",
        "10.12.2026",
        "--phone",
        "+7 900 111-22-33",
        "-m",
        "Olga",
    )
    ppo.add("Борис", "25.11.2026", "05.12.2026", "12.12.2026", "-m", "Ivan")
    ppo.json("decline", "Вера", "--date", "23.11.2026", "-m", "Olga")
    cancelled = ppo.add("Глеб", "01.11.2026", "02.12.2026", "09.12.2026", "-m", "Ivan")
    ppo("cancel", str(cancelled))
    finished = ppo.add("Дина", "01.10.2026", "02.10.2026", "03.10.2026", "-m", "Ivan")
    for no in range(7):
        ppo("done", str(finished), str(no), "--date", "2026-10-20")
    ppo("done", "1", "0", "--date", "2026-11-21")
    return ppo


def export(ppo, *more: str, name: str = "checklist.xlsx") -> tuple[Path, Result]:
    path = ppo.home / name
    result = ppo("export", str(path), "--date", TODAY, *more)
    return path, result


_written: dict[tuple, tuple] = {}


def written(agency, *more: str) -> tuple[Path, Result]:
    """The agency's workbook, exported once per set of options for the read-only tests."""
    key = (id(agency), more)
    if key not in _written:
        _written[key] = export(agency, *more, name=f"book{len(_written)}.xlsx")
    return _written[key]


def test_export_writes_one_sheet_per_playbook_with_one_row_per_active_trip(agency):
    path, result = written(agency)
    assert "wrote" in result.out and "3 trips" in result.out
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Checklist Туры",
        "Checklist Отказники",
        "Actions",
        "Summary",
        "Legend",
        "_ppo",
    ]
    assert book["_ppo"].sheet_state == "hidden"
    tour = book["Checklist Туры"]
    assert [tour.cell(r, 1).value for r in range(2, tour.max_row + 1)] == [1, 2]
    head = columns(tour)
    assert list(head)[:8] == [
        "Trip",
        "Client",
        "Phone",
        "Manager",
        "Purchase",
        "Departure",
        "Return",
        "0. Подписать на серию ППО-ДО",
    ]
    reminder = "1. Напомнить о вылете завтра"
    assert reminder in head and "✓ 1" in head
    assert head["✓ 1"] == head[reminder] + 1  # the tick beside its date
    assert tour.cell(1, head[reminder]).value == reminder + "\n1 day before departure"  # and its moment
    assert tour["B2"].value == "Анна Петрова" and tour["C2"].value == "+7 900 111-22-33"
    assert [c.value for c in book["Checklist Отказники"]["A"][1:]] == [3]


def test_input_dates_are_tinted_light_yellow_and_shown_day_first(agency):
    path, _ = written(agency)
    tour = openpyxl.load_workbook(path)["Checklist Туры"]
    for col in "EFG":
        cell = tour[f"{col}2"]
        assert cell.fill.fgColor.rgb.endswith("FFF6CC")
        assert cell.number_format == "dd.mm.yyyy"
    assert tour["E2"].value == dt.datetime(2026, 11, 20)


def test_step_dates_are_formulas_of_their_anchor_clamped_to_the_purchase(agency):
    path, _ = written(agency)
    tour = openpyxl.load_workbook(path)["Checklist Туры"]
    assert tour.cell(2, step_col(tour, 0)).value == "=E2"
    assert tour.cell(2, step_col(tour, 1)).value == "=MAX(F2-1,E2)"
    assert tour.cell(3, step_col(tour, 4)).value == "=MAX(G3+1,E3)"
    assert tour.cell(2, step_col(tour, 6)).value == "=MAX(G2+7,E2)"
    assert tour.cell(2, step_col(tour, 1)).number_format == "dd.mm.yyyy"


def test_readers_that_do_not_recalculate_see_ppo_s_own_dates(agency):
    path, _ = written(agency)
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for sheet, trip_id in (("Checklist Туры", 1), ("Checklist Туры", 2), ("Checklist Отказники", 3)):
        ws = openpyxl.load_workbook(path)[sheet]
        r = row_of(ws, trip_id)
        cached = list(values[sheet].iter_rows(min_row=r, max_row=r, values_only=True))[0]
        for step in agency.show(trip_id)["steps"]:
            col = step_col(ws, step["no"])
            assert cached[col - 1].date().isoformat() == step["due"]


def test_a_step_before_the_purchase_is_moved_to_the_purchase_day(ppo):
    trip = ppo.add("Жанна", "30.11.2026", "30.11.2026", "05.12.2026")  # reminder would be 29.11
    path, _ = export(ppo)
    ws = openpyxl.load_workbook(path, data_only=True)["Checklist Туры"]
    assert ppo.show(trip)["steps"][1]["due"] == "2026-11-30"
    assert ws.cell(2, step_col(ws, 1)).value == dt.datetime(2026, 11, 30)


def test_month_offsets_use_edate_which_clamps_the_end_of_month_like_ppo(tmp_path, make_ppo):
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "anniversary.toml").write_text(MONTHS_PLAYBOOK, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'playbooks_dir = "{playbooks}"\n' + EVERY_DAY, encoding="utf-8")  # days by hand
    ppo = make_ppo(tmp_path, config)
    trip = ppo.add("Зоя", "31.01.2026", "01.03.2026", "08.03.2026", "--playbook", "anniversary")
    dues = [s["due"] for s in ppo.show(trip)["steps"]]
    assert dues == ["2026-02-28", "2027-01-31", "2026-01-31"]  # the last clamped to the purchase
    path, _ = export(ppo)
    ws = openpyxl.load_workbook(path)["Checklist anniversary"]
    assert [ws.cell(2, step_col(ws, no)).value for no in range(3)] == [
        "=EDATE(E2,1)",
        "=EDATE(E2,12)",
        "=MAX(EDATE(F2,-1)-15,E2)",
    ]
    cached = openpyxl.load_workbook(path, data_only=True)["Checklist anniversary"]
    assert [cached.cell(2, step_col(ws, no)).value.date().isoformat() for no in range(3)] == dues


def test_a_step_whose_playbook_changed_is_written_as_ppo_s_stored_date(tmp_path, make_ppo):
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "anniversary.toml").write_text(MONTHS_PLAYBOOK, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'playbooks_dir = "{playbooks}"\n' + EVERY_DAY, encoding="utf-8")  # days by hand
    ppo = make_ppo(tmp_path, config)
    trip = ppo.add("Зоя", "31.01.2026", "01.03.2026", "08.03.2026", "--playbook", "anniversary")
    (playbooks / "anniversary.toml").write_text(MONTHS_PLAYBOOK.replace('"+1m"', '"+2m"'), encoding="utf-8")
    path, _ = export(ppo)
    ws = openpyxl.load_workbook(path)["Checklist anniversary"]
    assert ws.cell(2, step_col(ws, 0)).value == dt.datetime(2026, 2, 28)  # the store's, not a formula
    assert ws.cell(2, step_col(ws, 1)).value == "=EDATE(E2,12)"
    assert ppo.show(trip)["steps"][0]["due"] == "2026-02-28"


def test_conditional_formats_colour_due_and_overdue_steps_against_today(agency):
    path, _ = written(agency)
    tour = openpyxl.load_workbook(path)["Checklist Туры"]
    reminder = step_col(tour, 1)
    letter, tick = (
        openpyxl.utils.get_column_letter(reminder),
        openpyxl.utils.get_column_letter(reminder + 1),
    )
    rules = {}
    for cf in tour.conditional_formatting:
        for rule in cf.rules:
            rules.setdefault(str(cf.sqref), []).append((rule.formula[0], rule.dxf.fill.bgColor.rgb, rule.stopIfTrue))
    departure = openpyxl.utils.get_column_letter(columns(tour)["Departure"])
    on_dates = rules[f"{letter}2:{letter}3"]
    assert on_dates == [
        (done_condition(f"{tick}2"), "FFDCEFD8", True),  # only a tick word, 1 or a day up to today
        (f'{tick}2="⊘"', "FFE7E7E7", True),  # skipped (ppo skip)
        (f"AND(ISNUMBER(${departure}2),${departure}2<TODAY())", "FFB8869A", True),  # lapsed
        (f"AND(ISNUMBER({letter}2),{letter}2<TODAY())", "FFF26B6B", True),
        (f"AND(ISNUMBER({letter}2),{letter}2=TODAY())", "FFFFE033", True),
    ]
    on_names = rules["B2:B3"]
    assert [fill for _f, fill, _s in on_names] == ["FFF26B6B", "FFFFE033"]
    # overdue only where nothing earlier in the rule holds (done, skipped, opted out, lapsed)
    assert on_names[0][0].startswith("OR(AND(NOT(IF(ISNUMBER($")
    assert on_names[0][0].count("<TODAY()") == 7 + 5  # each step's overdue, and the lapse of five


def test_ticks_are_chosen_from_a_dropdown(agency):
    path, _ = written(agency)
    tour = openpyxl.load_workbook(path)["Checklist Туры"]
    lists = {str(dv.sqref): dv for dv in tour.data_validations.dataValidation}
    tick = openpyxl.utils.get_column_letter(step_col(tour, 1) + 1)
    assert lists[f"{tick}2:{tick}3"].type == "list"
    assert lists[f"{tick}2:{tick}3"].formula1 == '"✓"'
    assert len(lists) == 7
    assert tour.cell(2, step_col(tour, 0) + 1).value == "✓"  # ppo knows step 0 of trip 1 is done


def test_header_and_name_columns_are_frozen_with_an_autofilter(agency):
    path, _ = written(agency)
    tour = openpyxl.load_workbook(path)["Checklist Туры"]
    assert tour.freeze_panes == "C2"
    assert tour.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(tour.max_column)}3"
    assert tour.column_dimensions["B"].width > 20


def test_text_that_looks_like_a_formula_is_written_as_text(ppo):
    names = ['=HYPERLINK("http://evil","x")', "+79001112233", "-2+3", "@SUM(A1)"]
    for name in names:
        ppo.add(
            name,
            "20.11.2026",
            "01.12.2026",
            "10.12.2026",
            "--note",
            "=1+1",
            "-m",
            "=cmd|' /C calc'!A0",
        )
    path, _ = export(ppo)
    tour = openpyxl.load_workbook(path)["Checklist Туры"]
    note = columns(tour)["Note"]
    for r, name in enumerate(names, start=2):
        for cell, text in (
            (tour.cell(r, 2), name),
            (tour.cell(r, note), "=1+1"),
            (tour.cell(r, 4), "=cmd|' /C calc'!A0"),
        ):
            assert cell.data_type == "s" and cell.value == text
            assert cell.quotePrefix  # stays text when someone edits the cell
    actions = openpyxl.load_workbook(path)["Actions"]
    assert actions["B2"].data_type == "s" and actions["B2"].value == names[0]


def test_actions_sheet_has_one_row_per_step_following_the_checklist_ticks(agency):
    path, _ = written(agency)
    book = openpyxl.load_workbook(path)
    actions = book["Actions"]
    assert [c.value for c in actions[1]] == [
        "Trip",
        "Client",
        "Manager",
        "Step",
        "Channel",
        "Due",
        "Done",
        "Status",
        "Last day",
        "Opted out",
        "No consent",
    ]
    rows = list(actions.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 7 + 7 + 3  # trips 1, 2 and the declined client; not the cancelled or finished
    first = rows[0]
    assert first[:5] == (1, "Анна Петрова", "Olga", "0. Подписать на серию ППО-ДО", "e-mail")
    assert first[5] == "='Checklist Туры'!$H$2"
    assert first[6] == "=IF('Checklist Туры'!$I$2=\"\",\"\",'Checklist Туры'!$I$2)"
    assert first[7].startswith(f'=IF({done_condition("G2")},"done",IF(G2="⊘","skipped",IF(J2<>"","opted out"')
    assert first[8].startswith("=IF(ISNUMBER('Checklist Туры'!$")  # its moment: the departure
    assert first[9].startswith("=IF('Checklist Туры'!$")  # the client's "opted out" cell
    cached = list(openpyxl.load_workbook(path, data_only=True)["Actions"].iter_rows(min_row=2, values_only=True))
    assert cached[0][5:10] == (dt.datetime(2026, 11, 20), "✓", "done", dt.datetime(2026, 12, 1), None)
    assert cached[1][5:8] == (dt.datetime(2026, 11, 30), None, "due")
    statuses = {(r[0], r[3][0]): r[7] for r in cached}
    assert statuses[(3, "0")] == "no consent"  # Вера's declined chain: ads, and she never agreed
    assert statuses[(3, "1")] == "due"  # reading her answer is still a person's task
    assert [r[10] for r in cached if r[0] == 3] == ["no consent", None, "no consent"]


def test_summary_counts_steps_per_manager_with_live_formulas(agency):
    path, _ = written(agency)
    summary = openpyxl.load_workbook(path)["Summary"]
    assert summary["B2"].value == "=TODAY()"
    assert [c.value for c in summary[4]][:10] == [
        "Manager",
        "Due today",
        "Overdue",
        "Lapsed",
        "Done",
        "Skipped",
        "Opted out",
        "No consent",
        "Later",
        "Steps",
    ]
    assert summary["A5"].value == "Ivan" and summary["A6"].value == "Olga"
    assert summary["C6"].value == (
        "=COUNTIFS('Actions'!$C$2:$C$18,\"=\"&"
        'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE($A6,"~","~~"),"*","~*"),"?","~?"),'
        "'Actions'!$H$2:$H$18,\"overdue\")"
    )
    cached = openpyxl.load_workbook(path, data_only=True)["Summary"]
    table = [[c.value for c in row] for row in cached.iter_rows(min_row=5, max_row=7, max_col=10)]
    assert table == [  # due today, overdue, lapsed, done, skipped, opted out, no consent, later, steps
        ["Ivan", 0, 1, 0, 0, 0, 0, 0, 6, 7],  # Борис: step 0 (25.11) overdue
        # Анна: 0 done, 1 due; Вера: 0 (23.11) and 2 (26.11) ads without her consent, 1 due
        ["Olga", 2, 0, 0, 1, 0, 0, 2, 5, 10],
        ["Total", 2, 1, 0, 1, 0, 0, 2, 11, 17],
    ]


def test_export_all_adds_finished_and_cancelled_trips_greyed(agency):
    path, result = written(agency, "--all")
    assert "5 trips" in result.out
    tour = openpyxl.load_workbook(path)["Checklist Туры"]
    head = columns(tour)
    assert [tour.cell(r, 1).value for r in range(2, tour.max_row + 1)] == [1, 2, 4, 5]
    assert tour.cell(row_of(tour, 4), head["Cancelled"]).value is not None
    # A step date's rules in the status rule's order: a done step stays green on a cancelled
    # trip (as `ppo show` says "done"); the rest of a cancelled trip is grey, never red.
    done, cancelled = next(iter(tour.conditional_formatting)).rules[:2]
    assert done.formula[0].endswith("=ppo_ticks))>0)") and done.dxf.fill.bgColor.rgb == "FFDCEFD8"
    assert cancelled.formula[0].startswith("$") and cancelled.dxf.fill.bgColor.rgb == "FFE7E7E7"


def test_legend_explains_the_colours_and_each_playbook(agency):
    path, _ = written(agency)
    legend = [c for row in openpyxl.load_workbook(path)["Legend"].iter_rows(values_only=True) for c in row if c]
    text = "\n".join(map(str, legend))
    assert "due today" in text and "overdue" in text and "ppo sync" in text
    assert "Туры — Тур продан" in text and "Отказники — " in text
    assert "Напомнить о вылете завтра" in text and "1 day before departure" in text
    assert "reminder" not in text and "tour" not in text  # no id a person does not use


def test_an_empty_store_still_writes_a_workbook(ppo):
    path, result = export(ppo)
    assert "0 trips" in result.out
    book = openpyxl.load_workbook(path)
    assert book["Checklist Туры"].max_row == 1


def test_today_does_not_import_the_spreadsheet_libraries(ppo):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ppo_checklist", "today"],
        env=ppo.env,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = result.stderr
    assert "openpyxl" not in imported and "xlsxwriter" not in imported


def test_export_replaces_the_workbook_private_again(agency):
    path, _ = export(agency, name="perm.xlsx")
    os.chmod(path, 0o644)  # as an older ppo left it under the usual umask
    export(agency, name="perm.xlsx")
    assert path.stat().st_mode & 0o777 == 0o600  # config shared_file_mode says otherwise
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".~ppo")] == []


def test_fast_sheet_prepares_formulas_as_xlsxwriter_does():
    from xlsxwriter.worksheet import Worksheet

    from ppo_checklist.workbook.xlsx_sheet import FastFormulaSheet

    plain, fast = Worksheet(), FastFormulaSheet()
    for sheet in (plain, fast):
        sheet.use_future_functions = False
    formulas = [
        "=MAX(G2-1,F2)",
        "=EDATE(H2,11)",
        '=IF(J2="","",1)',
        "=XLOOKUP(A1,B:B,C:C)",
        "=_xlfn.STDEV.S(A1:A3)",
        '=COUNTIFS(Actions!C:C,A2,Actions!H:H,"overdue")',
        "=SORT(A1:A9)",
        "=SINGLE(A1)",
    ]
    for formula in formulas:
        assert fast._prepare_formula(formula) == plain._prepare_formula(formula), formula


def test_an_ads_step_without_consent_is_coloured_as_no_consent_in_the_checklist(agency):
    """Вера never agreed to advertising: her row names the channel, and the chain's ads steps'
    date cells read it before lapsed or overdue (the rule's order); the call-free feedback step
    and the tour's service steps never do."""
    path, _ = written(agency)
    declined = openpyxl.load_workbook(path)["Checklist Отказники"]
    head = columns(declined)
    row = row_of(declined, 3)
    assert declined.cell(row, head["No ads consent"]).value == "e-mail"
    by_column = {str(cf.sqref).split(":")[0]: cf.rules for cf in declined.conditional_formatting}
    named = openpyxl.utils.get_column_letter(head["No ads consent"])
    for no, ads in ((0, True), (1, False), (2, True)):
        letter = openpyxl.utils.get_column_letter(step_col(declined, no))
        formulas = [rule.formula[0] for rule in by_column[f"{letter}2"]]
        consent = [f for f in formulas if "SEARCH" in f]
        assert bool(consent) == ads, no
        if ads:
            assert consent == [f'ISNUMBER(SEARCH("e-mail",${named}2))']
            assert formulas.index(consent[0]) < next(i for i, f in enumerate(formulas) if "<TODAY()" in f)
    tour = openpyxl.load_workbook(path)["Checklist Туры"]
    assert not [r for cf in tour.conditional_formatting for r in cf.rules if "SEARCH" in r.formula[0]]
