"""An XlsxWriter worksheet that writes ppo's formulas without XlsxWriter's expansion pass,
and every text exactly as typed.

XlsxWriter prepares every formula with ~30 regex substitutions that give newer functions
(XLOOKUP, FILTER, ...) their `_xlfn.` prefix: 55 % of an export's time at 100 000 trips.
ppo's formulas use none of them, so one search decides: nothing to expand, or XlsxWriter's
own preparation. Imported only by the export (XlsxWriter is not on the start-up path).

Texts (`TextExactBook`'s shared strings, and the texts a sheet writes itself, such as a
formula's cached text): `cell_text.escape` instead of XlsxWriter's `_xHHHH_` escaping (which
misses overlapping sequences), and no text is taken for rich-string XML: XlsxWriter writes a
string that starts with `<r>` and ends with `</r>` into the file unescaped, so a note typed so
would break the workbook. ppo writes no rich strings.
"""

from __future__ import annotations

import re

from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ppo_checklist.workbook import cell_text

_NEEDS_EXPANDING = re.compile(
    r"\b(?:ANCHORARRAY|BYCOL|BYROW|CHOOSECOLS|CHOOSEROWS|DROP|EXPAND|FILTER|HSTACK|LAMBDA|MAKEARRAY|MAP"
    r"|RANDARRAY|REDUCE|SCAN|SEQUENCE|SORT|SORTBY|SWITCH|TAKE|TEXTSPLIT|TOCOL|TOROW|UNIQUE"
    r"|VSTACK|WRAPCOLS|WRAPROWS|XLOOKUP)\(|SINGLE\(|_xlfn\."
).search


def _escape(data):
    return cell_text.escape(data) if isinstance(data, str) else data  # numbers pass as they are


def _preserved(string: str) -> list[tuple[str, str]]:
    return [("xml:space", "preserve")] if string and (string[0].isspace() or string[-1].isspace()) else []


class FastFormulaSheet(Worksheet):
    def _prepare_formula(self, formula, expand_future_functions=False):
        if self.use_future_functions or expand_future_functions or _NEEDS_EXPANDING(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        return formula[1:] if formula.startswith("=") else formula

    _escape_control_characters = staticmethod(_escape)


class _TextExactStrings(SharedStrings):
    _escape_control_characters = staticmethod(_escape)

    def _xml_rich_si_element(self, string):
        self._xml_si_element(string, _preserved(string))


class _TextExactPackager(Packager):
    def _write_shared_strings_file(self) -> None:  # XlsxWriter's, with the strings above
        sst = _TextExactStrings()
        sst.string_table = self.workbook.str_table
        if not self.workbook.str_table.count:
            return
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class TextExactBook(Workbook):
    """An XlsxWriter workbook whose shared strings are written exactly as typed."""

    def _get_packager(self):
        return _TextExactPackager()
