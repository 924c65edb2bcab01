"""The floor for `ppo sync`: python-calamine (a Rust reader) reading every sheet sync reads
(each checklist sheet, and the hidden `_ppo`) of BOOK.xlsx, every cell of them, as values.

    python benchmarks/floor_sync.py BOOK.xlsx

Prints JSON: {"sheets": [...], "cells": n}.
"""

import json
import sys

from python_calamine import CalamineWorkbook


def main(path: str) -> None:
    book = CalamineWorkbook.from_path(path)
    names = [name for name in book.sheet_names if name == "_ppo" or name.startswith(("Checklist", "Чек-лист"))]
    cells = 0
    for name in names:
        for row in book.get_sheet_by_name(name).iter_rows():
            cells += len(row)
    print(json.dumps({"sheets": names, "cells": cells}))


if __name__ == "__main__":
    main(sys.argv[1])
