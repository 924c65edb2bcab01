"""The one table writer: what rich draws, character for character, wherever every cell fits on
one line; where they do not, it wraps without cutting a word; wide characters go to rich."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from ppo_checklist.output.render import grid, table
from ppo_checklist.output.screen import Screen


def _console(width: int = 160, colour: bool = False) -> Screen:
    if colour:
        return Screen(io.StringIO(), True, width, {"force_terminal": True, "color_system": "standard", "width": width})
    return Screen(io.StringIO(), False, width, {"no_color": True, "width": width, "color_system": None})


def _rich(columns, rows, title, width=160) -> str:
    out = Console(
        file=io.StringIO(), highlight=False, markup=False, emoji=False, no_color=True, width=width, color_system=None
    )
    drawing = Table(title=title or None, title_justify="left", title_style="bold")
    for column in columns:
        drawing.add_column(column)
    for row in rows:
        drawing.add_row(*row)
    out.print(drawing)
    return out.file.getvalue()


COLUMNS = ("Trip", "Client", "Phone", "Step", "Status")
ROWS = [
    ("1", "Анна Иванова", "+7 912 345-67-89", "0 · Подписать на серию ППО-ДО", "overdue 10 d"),
    ("23", "Борис", "", "5 · Звонок: пригласить в офис", "today"),
    ("4", "a :smile: b", "b@example.ru", "1 · x", ""),
]


def test_a_table_that_fits_is_what_rich_draws():
    for width in (160, 80):
        for title in ("Ольга", ""):
            out = _console(width)
            table(out, COLUMNS, ROWS, title)
            assert out.file.getvalue() == _rich(COLUMNS, ROWS, title, width)


def test_a_table_wider_than_the_terminal_wraps_and_cuts_nothing():
    for width in (60, 40):
        drawn = grid(COLUMNS, ROWS, width)
        assert drawn is not None
        lines = drawn.splitlines()
        assert all(len(line) <= width for line in lines), width
        words = " ".join(line.strip("│┃ ") for line in lines).split()
        for row in ROWS:
            for cell in row:
                for word in cell.split():
                    assert any(word in w or w in word for w in words), (word, width)


def test_a_step_text_goes_under_its_row_across_the_table():
    drawn = grid(COLUMNS, ROWS[:1], 80, notes=["Здравствуйте, Анна! Напоминаем: завтра вылет."])
    assert drawn is not None
    assert "│ Здравствуйте, Анна! Напоминаем: завтра вылет." in drawn


def test_rows_are_coloured_only_on_a_colour_terminal():
    plain, colour = _console(), _console(colour=True)
    for out in (plain, colour):
        table(out, COLUMNS, ROWS, "Ольга", ["red", "yellow", ""])
    assert "\x1b[" not in plain.file.getvalue()
    assert "\x1b[31m" in colour.file.getvalue() and "\x1b[33m" in colour.file.getvalue()


def test_wide_characters_are_left_to_rich():
    rows = [("4", "李小龙", "b@example.ru", "1 · x", "")]
    assert grid(COLUMNS, rows, 160) is None
    out = _console()
    table(out, COLUMNS, rows)
    assert out.file.getvalue() == _rich(COLUMNS, rows, "")
