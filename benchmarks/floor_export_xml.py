"""The floor for `ppo export`: plain Python writing the same cells as sheet XML into a zip.

    python benchmarks/floor_export_xml.py BOOK.xlsx OUT.xlsx [--load-only]

The cells are those of BOOK.xlsx (the workbook `ppo export` wrote), read back row by row as
Python values (column, row number, style, type, formula, cached value; strings by their index
in the book's shared strings), then written again as `<row>`/`<c>` XML into OUT.xlsx, every
other part copied as it is, with the same compression (zlib level 6, as XlsxWriter and ppo).
No store, no ppo code, no spreadsheet library: what writing those cells costs by itself.

`--load-only` reads the cells without writing anything: that part of the time is not the
floor's. It prints JSON: {"seconds": whole run, "cells": n}; the floor is a full run's
seconds minus a load-only run's (benchmarks/export_book.py does the subtraction).
"""

import codecs
import json
import re
import sys
import time
import zipfile
import zlib

ROW = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>(.*?)</row>)', re.S)
CELL = re.compile(
    r'<c r="([A-Z]+)\d+"(?: s="(\d+)")?(?: t="(\w+)")?(?:/>|>(?:<f>(.*?)</f>)?(?:<v>(.*?)</v>)?</c>)', re.S
)
LEVEL = 6


def sheet_rows(archive, name, parts):
    """The sheet's rows as Python values, one at a time, streamed; `parts` gets the XML
    before the rows ("head") and after them ("tail")."""
    with archive.open(name) as handle:
        decoder = codecs.getincrementaldecoder("utf-8")()
        text = ""
        while "<sheetData>" not in text and "<sheetData/>" not in text:
            chunk = handle.read(1 << 16)
            if not chunk:
                parts["head"], parts["tail"] = text, ""
                return
            text += decoder.decode(chunk)
        if "<sheetData/>" in text:
            at = text.index("<sheetData/>")
            parts["head"], parts["tail"] = text[:at] + "<sheetData>", "</sheetData>" + text[at + 12 :]
            parts["tail"] += decoder.decode(handle.read(), final=True)
            return
        at = text.index("<sheetData>") + len("<sheetData>")
        parts["head"], text = text[:at], text[at:]
        while True:
            end = text.rfind("</row>")
            done = "</sheetData>" in text
            if done:
                cut = text.index("</sheetData>")
                body, parts["tail"] = text[:cut], text[cut:] + decoder.decode(handle.read(), final=True)
            elif end >= 0:
                body, text = text[: end + 6], text[end + 6 :]
            else:
                body = ""
            for match in ROW.finditer(body):
                cells = []
                for col, style, kind, formula, value in CELL.findall(match.group(2) or ""):
                    number = int(value) if value.isdigit() else value
                    cells.append((col, int(style) if style else 0, kind, formula, number))
                yield int(match.group(1)), cells
            if done:
                return
            chunk = handle.read(1 << 20)
            text += decoder.decode(chunk, final=not chunk)
            if not chunk and "</sheetData>" not in text:
                parts["tail"] = text
                return


def write_cell(col, r, style, kind, formula, value):
    s = f' s="{style}"' if style else ""
    t = f' t="{kind}"' if kind else ""
    if formula:
        return f'<c r="{col}{r}"{s}{t}><f>{formula}</f><v>{value}</v></c>'
    if value == "" and not kind:
        return f'<c r="{col}{r}"{s}/>'
    return f'<c r="{col}{r}"{s}{t}><v>{value}</v></c>'


def main(book, out, load_only=False):
    started = time.perf_counter()
    cells = 0
    with zipfile.ZipFile(book) as source:
        target = None if load_only else zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL)
        for info in source.infolist():
            if not info.filename.startswith("xl/worksheets/sheet"):
                if target is not None:
                    target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED, LEVEL)
                continue
            parts: dict[str, str] = {}
            rows = sheet_rows(source, info.filename, parts)
            if target is None:
                for _r, row in rows:
                    cells += len(row)
                continue
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with target.open(entry, "w", force_zip64=True) as member:
                batch = []
                for r, row in rows:
                    if not batch and "head" in parts and r >= 0:
                        member.write(parts.pop("head").encode())
                    cells += len(row)
                    batch.append(f'<row r="{r}">{"".join(write_cell(c[0], r, *c[1:]) for c in row)}</row>')
                    if len(batch) >= 2000:
                        member.write("".join(batch).encode())
                        batch.clear()
                member.write((parts.pop("head", "") + "".join(batch) + parts.get("tail", "")).encode())
        if target is not None:
            target.close()
    print(json.dumps({"seconds": time.perf_counter() - started, "cells": cells, "zlib": zlib.ZLIB_VERSION}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--load-only" in sys.argv[3:])
