"""The one status rule, twice: `model.step_status` in Python and `workbook.status_formula`
in the spreadsheet, run on the same cases; LibreOffice Calc computes the formulas on the
real today and must answer what the model answers."""

from __future__ import annotations

import csv
import datetime as dt
import itertools

import pytest
import xlsxwriter
from calc import profile, require_calc, soffice

from ppo_checklist.core import model
from ppo_checklist.workbook import write as workbook

require_calc()

TODAY = dt.date.today()
DUES = [TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=1), TODAY, TODAY + dt.timedelta(days=2)]
CASES = list(itertools.product(DUES, [False, True], [False, True]))  # due, ticked, trip cancelled


def expected(due: dt.date, ticked: bool, cancelled: bool) -> str:
    return model.step_status(due, TODAY if ticked else None, TODAY, cancelled)


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    home = tmp_path_factory.mktemp("rule")
    book_path = home / "rule.xlsx"
    book = xlsxwriter.Workbook(str(book_path))
    sheet = book.add_worksheet("Rule")
    dates = book.add_format({"num_format": "dd.mm.yyyy"})
    for row, (due, ticked, cancelled) in enumerate(CASES):
        r = row + 1
        sheet.write_datetime(row, 0, dt.datetime.combine(due, dt.time()), dates)
        if ticked:
            sheet.write_string(row, 1, workbook.TICK)
        if cancelled:
            sheet.write_datetime(row, 2, dt.datetime.combine(TODAY, dt.time()), dates)
        sheet.write_formula(row, 3, workbook.status_formula(f"A{r}", f"B{r}", f"C{r}"))
        sheet.write_formula(row, 4, workbook.status_formula(f"A{r}", f"B{r}"))  # a sheet without cancellations
    book.close()
    out = home / "out"
    soffice(profile(home), out, "csv", book_path)
    with open(out / "rule.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_calc_gives_every_case_the_status_the_model_gives(computed):
    assert len(computed) == len(CASES)
    for (due, ticked, cancelled), row in zip(CASES, computed):
        assert row[3] == expected(due, ticked, cancelled), (due, ticked, cancelled)
        assert row[4] == expected(due, ticked, False), (due, ticked)


def test_the_spreadsheet_conditions_follow_the_rule_s_order():
    conditions = workbook.status_conditions("A2", "B2", "$C2")
    assert list(conditions) == [model.DONE, model.CANCELLED, model.OVERDUE, model.DUE]
    assert list(workbook.status_conditions("A2", "B2")) == [model.DONE, model.OVERDUE, model.DUE]
