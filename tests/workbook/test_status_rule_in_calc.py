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
from ppo_checklist.workbook import read as workbook_read
from ppo_checklist.workbook import write as workbook

require_calc()

TODAY = dt.date.today()
DUES = [TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=1), TODAY, TODAY + dt.timedelta(days=2)]
# A step's moment as the workbook holds it: the cell of its date (None: no moment, or a trip
# without that date) and the days after it; the last day is that date moved by those days.
MOMENTS = [None, (TODAY - dt.timedelta(days=2), 1), (TODAY - dt.timedelta(days=1), 0), (TODAY, 0), (None, 0)]
# The tick cell of a step not done in ppo may still hold a word `sync` did not take (kept as
# typed by `export`): it is no tick, and the step's status is the one the store gives it.
WORD_KEPT = "позже"
# due, ticked (True: ✓, the word kept, or nothing), trip cancelled, skipped, opted out (a
# letter or SMS step), moment, no consent (an ads step of a client who has not agreed to
# advertising)
CASES = [
    case
    for case in itertools.product(
        DUES, [False, True, WORD_KEPT], [False, True], [False, True], [False, True], MOMENTS, [False, True]
    )
    if not (case[1] and case[3])  # a done step is never skipped (ppo skip refuses it), nor holds a word
]
# What a director types in a tick cell: done in the book exactly when `sync` takes it as done.
TYPED = [
    "✓", "Сделано!", " да ", "ГОТОВО.", "x", "+", "ок", "yes", "1", True, 1,
    "позже", "нет", "-", "0", 0, False, "⊘", "*", "?", "сделано не всё", 5,
    dt.datetime.combine(TODAY, dt.time()), dt.datetime.combine(TODAY - dt.timedelta(days=40), dt.time()),
    dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time()),
]  # fmt: skip


def last_day(moment) -> dt.date | None:
    if moment is None or moment[0] is None:
        return None
    return moment[0] + dt.timedelta(days=moment[1])


def expected(
    due: dt.date, ticked: bool, cancelled: bool, skipped=False, opted_out=False, moment=None, no_consent=False
) -> str:
    done_on = TODAY if ticked is True else None
    return model.step_status(due, done_on, TODAY, cancelled, last_day(moment), skipped, opted_out, no_consent)


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    home = tmp_path_factory.mktemp("rule")
    book_path = home / "rule.xlsx"
    book = xlsxwriter.Workbook(str(book_path))
    workbook.define_tick_words(book)
    sheet = book.add_worksheet("Rule")
    dates = book.add_format({"num_format": "dd.mm.yyyy"})
    for row, (due, ticked, cancelled, skipped, opted_out, moment, no_consent) in enumerate(CASES):
        r = row + 1
        sheet.write_datetime(row, 0, dt.datetime.combine(due, dt.time()), dates)
        if ticked:
            sheet.write_string(row, 1, workbook.TICK if ticked is True else ticked)
        if skipped:
            sheet.write_string(row, 1, model.SKIP_MARK)  # as ppo export writes a skipped step
        if cancelled:
            sheet.write_datetime(row, 2, dt.datetime.combine(TODAY, dt.time()), dates)
        if opted_out:
            sheet.write_string(row, 5, "opted out")
        if moment is not None and moment[0] is not None:
            sheet.write_datetime(row, 6, dt.datetime.combine(moment[0], dt.time()), dates)
        if no_consent:
            sheet.write_string(row, 7, "no consent")  # as the Actions sheet's "No consent" cell
        lapse = (f"G{r}", moment[1]) if moment is not None else None
        formula = workbook.status_formula(f"A{r}", f"B{r}", f"C{r}", None, lapse, f"F{r}", f'H{r}<>""')
        sheet.write_formula(row, 3, formula)
        sheet.write_formula(row, 4, workbook.status_formula(f"A{r}", f"B{r}"))  # a sheet without the new columns
    for row, value in enumerate(TYPED, start=len(CASES)):
        r = row + 1
        if isinstance(value, dt.datetime):
            sheet.write_datetime(row, 1, value, dates)
        elif isinstance(value, bool):
            sheet.write_boolean(row, 1, value)
        else:
            sheet.write(row, 1, value)
        sheet.write_formula(row, 3, "=" + workbook.done_condition(f"B{r}"))
    book.close()
    out = home / "out"
    soffice(profile(home), out, "csv", book_path)
    with open(out / "rule.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_calc_gives_every_case_the_status_the_model_gives(computed):
    assert len(computed) == len(CASES) + len(TYPED)
    seen = set()
    for case, row in zip(CASES, computed):
        due, ticked, cancelled, skipped, opted_out, moment, no_consent = case
        assert row[3] == expected(*case), case
        seen.add(row[3])
        if not skipped:
            assert row[4] == expected(due, ticked, False), (due, ticked)
    # every status of the rule is met at least once
    assert seen == set(model.STEP_STATUSES)


def sync_takes(value) -> bool:
    """Whether `sync` marks the step done by this tick cell (a day to come it keeps as typed)."""
    kind, day = workbook_read.tick_day(value)
    return kind == "tick" and (day is None or day <= TODAY)


def test_calc_calls_a_step_done_only_by_what_sync_takes_as_a_tick(computed):
    said = {repr(value): row[3] for value, row in zip(TYPED, computed[len(CASES) :])}
    assert said == {repr(value): "TRUE" if sync_takes(value) else "FALSE" for value in TYPED}


def test_the_spreadsheet_conditions_follow_the_rule_s_order():
    conditions = workbook.status_conditions("A2", "B2", "$C2", ("G2", 1), "$F2", '$H2<>""')
    assert list(conditions) == [s for s in model.STEP_STATUSES if s != model.PENDING]
    assert list(workbook.status_conditions("A2", "B2")) == [model.DONE, model.SKIPPED, model.OVERDUE, model.DUE]
