"""The plain table written without rich is, character for character, what rich draws."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from ppo_checklist.output.render import plain_table


def _console(width: int = 160) -> Console:
    return Console(
        file=io.StringIO(), highlight=False, markup=False, emoji=False, no_color=True, width=width, color_system=None
    )


def _rich(columns, rows, title, width=160) -> str:
    out = _console(width)
    table = Table(title=title or None, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    out.print(table)
    return out.file.getvalue()


COLUMNS = ("Trip", "Client", "Phone", "Step", "Status")
ROWS = [
    ("1", "Анна Иванова", "+7 912 345-67-89", "0 · Подписать на серию ППО-ДО", "overdue 10 d"),
    ("23", "Борис", "", "5 · Звонок: пригласить в офис", "today"),
    ("4", "李小龙", "b@example.ru", "1 · x", ""),
]


def test_plain_table_is_what_rich_draws():
    for title in ("Ольга", ""):
        out = _console()
        assert plain_table(out, COLUMNS, ROWS, title)
        assert out.file.getvalue() == _rich(COLUMNS, ROWS, title)


def test_cells_rich_would_change_are_left_to_rich():
    for cell in ("two\nlines", " padded", "a  b"):
        assert not plain_table(_console(), COLUMNS, [("1", cell, "", "", "")])


def test_emoji_codes_print_as_typed():
    rows = [("1", "a :smile: b", "", "", "")]
    out = _console()
    assert plain_table(out, COLUMNS, rows)
    assert ":smile:" in out.file.getvalue() and out.file.getvalue() == _rich(COLUMNS, rows, "")


def test_a_table_wider_than_the_output_is_left_to_rich():
    assert not plain_table(_console(width=40), COLUMNS, ROWS)


def test_a_terminal_with_colours_is_left_to_rich():
    out = Console(file=io.StringIO(), force_terminal=True, color_system="standard")
    assert not plain_table(out, COLUMNS, ROWS)
