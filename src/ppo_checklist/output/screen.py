"""Where ppo's text goes: standard output (or error), a pipe or a terminal.

rich draws well, but its Console costs ~12-15 ms to load, more than the rest of `ppo today`'s
drawing. Most of what ppo prints is lines and hand-drawn tables (`render.grid`) of characters one
column wide, which need no measuring: a `Screen` writes those itself, with the colours and the
width rich's Console would choose, and hands rich only what rich must draw (its tables, a line
too long for the width, characters wider than a column), through a Console made on first use.

On Windows' terminals, on a dumb one, and where an environment variable ppo does not read here
would change rich's answer (FORCE_COLOR, TTY_COMPATIBLE, JUPYTER_*…), every choice is rich's own.
tests/test_screen.py holds the choices equal to rich's on a real pseudo-terminal.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

# ANSI styles, as rich writes them for a standard, 256-colour or true-colour terminal.
SGR = {"red": "31", "yellow": "33", "green": "32", "dim": "2", "bold": "1"}
ATTRIBUTES = frozenset({"bold", "dim"})  # not colours: NO_COLOR keeps them, as rich does

# Variables that change what rich's Console decides for a terminal beyond what `_terminal` reads.
_RICH_DECIDES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS", "JUPYTER_LINES")
_STD_STREAMS = (0, 1, 2)  # where rich asks a terminal its size, in this order (POSIX)


class Screen:
    """Lines and tables for one stream, `width` columns wide: `colour` (red, yellow, green),
    `styled` (bold and dim: rich keeps them under NO_COLOR, which takes only the colours),
    `escapes` (False on Windows' legacy console, where rich styles lines through its API)."""

    def __init__(
        self,
        file: TextIO,
        colour: bool,
        width: int,
        rich_options: dict[str, Any],
        styled: bool | None = None,
        escapes: bool = True,
    ) -> None:
        self.file = file
        self.colour = colour
        self.styled = colour if styled is None else styled
        self.width = width
        self._escapes = escapes
        self._rich_options = rich_options
        self._rich: Any = None

    def print(self, item: Any = "", style: str = "", **options: Any) -> None:
        """`item` on a line of its own, in `style` on a terminal: written here when it is one
        line of narrow characters that fits, else by rich (which wraps and measures)."""
        if item.__class__ is str and not options and len(item) <= self.width and narrow(item):
            if style and item:
                if not self._escapes:
                    self.rich().print(item, style=style)
                    return
                if self.colour or (self.styled and style in ATTRIBUTES):
                    item = painted(item, style)
            self.file.write(item + "\n")
            return
        self.rich().print(item, style=style or None, **options)

    def rich(self) -> Any:
        """rich's Console on the same stream, making the same choices."""
        if self._rich is None:
            from rich.console import Console

            self._rich = Console(file=self.file, highlight=False, markup=False, emoji=False, **self._rich_options)
        return self._rich


def painted(text: str, style: str) -> str:
    """`text` in `style`, as rich writes it."""
    return f"\x1b[{SGR[style]}m{text}\x1b[0m"


def screen(stderr: bool = False) -> Screen:
    """Standard output (or error) as a Screen: on a terminal as rich would see it; elsewhere
    (cron, a pipe) plain text, wide enough (COLUMNS, or 160) not to fold the rows."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return _terminal(stream)
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() and int(columns) > 0 else 160
    return Screen(stream, False, width, {"no_color": True, "width": width, "color_system": None})


def _terminal(stream: TextIO) -> Screen:
    environ = os.environ
    width = _width(environ)
    if width is None:  # rich decides (and on Windows' legacy console, styles)
        console = Screen(stream, False, 0, {}).rich()
        styled, legacy = console.color_system is not None, bool(getattr(console, "legacy_windows", False))
        colour = styled and not console.no_color and not legacy
        screen = Screen(stream, colour, console.width, {}, styled=styled, escapes=not legacy)
        screen._rich = console
        return screen
    return Screen(stream, environ.get("NO_COLOR", "") == "", width, {}, styled=True)


def _width(environ: os._Environ[str]) -> int | None:
    """The width rich's Console reads on a colour terminal: COLUMNS when a number, else the first
    standard stream that is a terminal, else 80. None where rich decides otherwise: Windows, a
    dumb terminal, COLUMNS=0, a variable of `_RICH_DECIDES`."""
    if sys.platform == "win32" or environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return None
    if any(name in environ for name in _RICH_DECIDES):
        return None
    columns = environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns) or None
    for fd in _STD_STREAMS:
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):  # not a terminal
            continue
        return width or 80
    return 80


def narrow(text: str, notes: str = "") -> bool:
    """Every character of `text` printable and, with those of `notes` (which may hold line
    breaks), one column wide: Latin, Cyrillic, digits, box drawing, punctuation. Each distinct
    character is measured once: the 900 rows of `ppo today` hold ~150 of them."""
    if not text.isprintable():
        return False
    text += notes.replace("\n", " ")
    if text.isascii():
        return True
    unmeasured = set(text) - _NARROW
    if not unmeasured:
        return True
    from rich.cells import cell_len  # rich's measure of a character (its table of widths)

    if all(cell_len(char) == 1 for char in unmeasured):
        _NARROW.update(unmeasured)
        return True
    return False


_NARROW: set[str] = set()  # characters rich measured one column wide (a character's width is fixed)
