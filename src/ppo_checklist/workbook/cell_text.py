"""Text in a cell exactly as typed: OOXML's `_xHHHH_` escaping, written and read as its inverse.

An XLSX string (ECMA-376 ST_Xstring) names a character by `_xHHHH_` (`_x000D_` is a
carriage return, which XML itself would turn into a line feed). So a text that holds such a
sequence literally (a note `код AB_x00C1_ok`) is written with its underscore escaped,
`AB_x005F_x00C1_ok`; Excel and LibreOffice show it as typed and save it so again.

`escape` is the writer's half, `unescape` the reader's, and `unescape(escape(t)) == t` for
every text (a property test holds them together). XlsxWriter's own escaping misses
overlapping sequences (`_x005F_x00C1_`), and openpyxl decodes shared strings its own way and
inline strings not at all, so ppo does both halves itself: a writer passes each string
through `escape` (then XML-escapes it), a reader takes the raw text of the cell and passes it
through `unescape`.
"""

from __future__ import annotations

import re

# An underscore that starts `_xHHHH_`: escaped as `_x005F_` (the underscore itself). The
# lookahead leaves the sequence's last underscore free to start the next one.
_STARTS_SEQUENCE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
# What XML 1.0 cannot hold (or would change: CR becomes LF), and the two non-characters.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_SEQUENCE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# What a terminal would obey or draw reversed (controls, bidi overrides and isolates), and
# lone surrogates: shown by their codes in a message.
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def escape(text: str) -> str:
    """The text as an XLSX string holds it (before XML's own `&amp;`/`&lt;` escaping)."""
    if "_" in text:
        text = _STARTS_SEQUENCE.sub("_x005F_", text)
    return _NOT_IN_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def unescape(text: str) -> str:
    """The text an XLSX string holds as typed: every `_xHHHH_`, left to right, is its character."""
    if "_x" not in text:
        return text
    return _SEQUENCE.sub(lambda m: chr(int(m.group(1), 16)), text)


def shown(value: object) -> str:
    """A cell's value for a message line: its text, with what a terminal would obey or draw
    reversed written as its code (`\\x1b`, `\\u202e`)."""
    return _UNSHOWABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), str(value))
