"""ppo writes its lines and tables itself (output/screen.py): on a terminal with the colours and
width rich's Console would choose, each line as rich would write it; rich draws the rest."""

from __future__ import annotations

import io
import json
import os
import sys

import pytest
from ppo_runner import PPO, on_a_terminal
from rich.console import Console

from ppo_checklist.output.screen import Screen

# In a child on a pseudo-terminal: what a Screen on stdout chose, and what rich's Console chose.
CHOICES = """
import json, sys
from ppo_checklist.output.screen import screen
ours = screen()
from rich.console import Console
theirs = Console(file=sys.stdout, highlight=False, markup=False, emoji=False)
rich = [theirs.color_system is not None and not theirs.no_color, theirs.color_system is not None, theirs.width]
with open(sys.argv[1], "w") as out:
    json.dump({"ours": [ours.colour, ours.styled, ours.width], "rich": rich}, out)
"""

TERMINALS = [
    {"TERM": "xterm-256color"},
    {"TERM": "xterm-256color", "COLUMNS": "120"},
    {"TERM": "xterm", "COLORTERM": "truecolor", "COLUMNS": "57"},
    {"TERM": "linux"},
    {},
    {"TERM": "xterm", "NO_COLOR": "1"},
    {"TERM": "xterm", "NO_COLOR": ""},
    {"TERM": "xterm", "COLUMNS": "abc"},
    {"TERM": "xterm", "COLUMNS": "-5"},
    {"TERM": "xterm", "COLUMNS": "0"},
    {"TERM": "dumb"},
    {"TERM": "dumb", "COLUMNS": "120", "LINES": "40"},
    {"TERM": "unknown", "COLUMNS": "120"},
    {"TERM": "xterm", "FORCE_COLOR": "1"},
    {"TERM": "xterm", "FORCE_COLOR": ""},
    {"TERM": "xterm", "TTY_COMPATIBLE": "0"},
    {"TERM": "xterm", "TTY_COMPATIBLE": "1", "NO_COLOR": "yes"},
]


@pytest.mark.sqlite_only  # no store is opened
@pytest.mark.parametrize("terminal", TERMINALS, ids=lambda env: " ".join(f"{k}={v}" for k, v in env.items()) or "bare")
def test_a_terminal_gets_the_colours_and_the_width_rich_would_choose(terminal, tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "LANG": "C.UTF-8", **terminal}
    answer = tmp_path / "choices.json"
    code, out = on_a_terminal([sys.executable, "-c", CHOICES, str(answer)], env, columns=93)
    assert code == 0, out
    choices = json.loads(answer.read_text(encoding="utf-8"))
    assert choices["ours"] == choices["rich"]


LINES = [
    "ppo: actions for 06.12.2026",
    "Анна Иванова · +7 912 345-67-89 · anna@example.ru",
    "ends with spaces   ",
    "   starts with spaces",
    "x" * 40,  # exactly the width
    "y" * 41,  # one longer: rich folds it
    "a word or two that will not fit in forty columns, so rich wraps it",
    "李小龙 wide characters",
    "a\ttab",
    "ёЁ «кавычки» — тире, №5",
    "",
]


# What a Screen is beside the rich Console it stands for: a pipe, a colour terminal, and a
# terminal under NO_COLOR (rich drops the colours, keeps bold and dim).
CONSOLES = {
    "plain": ({"no_color": True, "color_system": None, "width": 40}, False, False),
    "colour": ({"force_terminal": True, "color_system": "standard", "width": 40}, True, True),
    "no colour": ({"force_terminal": True, "color_system": "standard", "no_color": True, "width": 40}, False, True),
}


def _pair(kind: str) -> tuple[Screen, Console]:
    options, colour, styled = CONSOLES[kind]
    rich = Console(file=io.StringIO(), highlight=False, markup=False, emoji=False, **options)
    return Screen(io.StringIO(), colour, 40, options, styled=styled), rich


@pytest.mark.sqlite_only
@pytest.mark.parametrize("kind", list(CONSOLES))
def test_each_line_is_written_as_rich_writes_it(kind):
    for style in ("", "bold", "red", "yellow", "green", "dim"):
        ours, rich = _pair(kind)
        for line in LINES:
            ours.print(line, style=style)
            rich.print(line, style=style or None)
        assert ours.file.getvalue() == rich.file.getvalue(), style


def test_show_on_a_colour_terminal_paints_each_step_by_its_status(ppo_proc):
    """A done step is green: `ppo show` on a colour terminal used to stop there (KeyError)."""
    ppo = ppo_proc
    ppo("add", "Анна", "--purchase", "01.12.2026", "--departure", "20.12.2026", "--return", "30.12.2026")
    ppo("done", "1", "0", "--date", "01.12.2026")
    env = {**ppo.env, "TERM": "xterm-256color", "PPO_TODAY": "2026-12-06"}
    code, out = on_a_terminal([PPO, "show", "1"], env)
    assert code == 0, out
    assert "\x1b[32m" in out  # done: green
    assert "\x1b[1mTrip 1 · Анна\x1b[0m" in out  # the heading: bold
    assert "Traceback" not in out


def test_under_no_color_headings_stay_bold_on_a_terminal(ppo_proc):
    """NO_COLOR takes the colours away, not bold and dim (as rich does)."""
    ppo = ppo_proc
    ppo("add", "Анна", "--purchase", "01.12.2026", "--departure", "20.12.2026", "--return", "30.12.2026")
    env = {**ppo.env, "TERM": "xterm-256color", "NO_COLOR": "1", "PPO_TODAY": "2026-12-06"}
    code, out = on_a_terminal([PPO, "show", "1"], env)
    assert code == 0, out
    assert "\x1b[1mTrip 1 · Анна\x1b[0m" in out
    assert "\x1b[31m" not in out and "\x1b[33m" not in out and "\x1b[32m" not in out
