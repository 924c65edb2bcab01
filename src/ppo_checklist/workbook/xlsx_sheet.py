"""An XlsxWriter worksheet that writes ppo's formulas without XlsxWriter's expansion pass,
and every text exactly as typed.

XlsxWriter prepares every formula with ~30 regex substitutions that give newer functions
(XLOOKUP, FILTER, ...) their `_xlfn.` prefix: 55 % of an export's time at 100 000 trips.
ppo's formulas use none of them, so one search decides: nothing to expand, or XlsxWriter's
own preparation. Imported only by the export (XlsxWriter is not on the start-up path).

Texts: `cell_text.escape` instead of XlsxWriter's `_xHHHH_` escaping (which misses
overlapping sequences), and no text is taken for rich-string XML: in constant_memory mode
XlsxWriter writes a string that starts with `<r>` and ends with `</r>` into the file
unescaped, so a note typed so would break the workbook. ppo writes no rich strings.
"""

from __future__ import annotations

import re

from xlsxwriter.worksheet import Worksheet

from ppo_checklist.workbook import cell_text

_NEEDS_EXPANDING = re.compile(
    r"\b(?:ANCHORARRAY|BYCOL|BYROW|CHOOSECOLS|CHOOSEROWS|DROP|EXPAND|FILTER|HSTACK|LAMBDA|MAKEARRAY|MAP"
    r"|RANDARRAY|REDUCE|SCAN|SEQUENCE|SORT|SORTBY|SWITCH|TAKE|TEXTSPLIT|TOCOL|TOROW|UNIQUE"
    r"|VSTACK|WRAPCOLS|WRAPROWS|XLOOKUP)\(|SINGLE\(|_xlfn\."
).search


class FastFormulaSheet(Worksheet):
    def _prepare_formula(self, formula, expand_future_functions=False):
        if self.use_future_functions or expand_future_functions or _NEEDS_EXPANDING(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        return formula[1:] if formula.startswith("=") else formula

    @staticmethod
    def _escape_control_characters(data):
        return cell_text.escape(data) if isinstance(data, str) else data  # numbers pass as they are

    def _xml_rich_inline_string(self, string, attributes=()):
        preserve = bool(string) and (string[0].isspace() or string[-1].isspace())
        self._xml_inline_string(string, preserve, list(attributes))
