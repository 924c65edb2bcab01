"""Reading an XLSX sheet's rows as a stream, only the columns asked for.

`ppo sync` needs a few columns of a few sheets (the trip, the ticks, the input dates, the
note); a spreadsheet library parses every cell of them into objects. Here a sheet's XML is
decompressed in chunks and a pattern finds only the cells of the wanted columns; the shared
strings are kept as the file holds them (one block of bytes) and a text is decoded when a
wanted cell names it. Memory stays flat in the sheet's size.

Robust to what Excel, LibreOffice and Google Sheets write: any attribute order, a namespace
prefix (`<x:c>`), `t="s"`, `"inlineStr"`, `"str"`, `"b"`, `"e"`, `"d"`, rich text runs,
cells or rows without their `r`. The fast path (every cell's `r` first: what they all
write) is taken chunk by chunk; a chunk that is not so is read cell by cell. A DTD anywhere
(entity tricks) is refused, as defusedxml would. Texts are returned raw (`_xHHHH_` as held):
the caller decodes them (`cell_text.unescape`).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from array import array
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any

import defusedxml.ElementTree as ElementTree

from ppo_checklist.workbook.rows import col_name

CHUNK = 1 << 20
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
MAX_COL = 16_384
_CACHED = 20_000  # distinct cell bodies whose values `_Rows._fast` keeps


class NotAsExpected(ValueError):
    """The XML is not what a spreadsheet writes: the caller refuses the file."""


class Hostile(NotAsExpected):
    """A DTD (entity expansion): refused unread."""


_ENTITY = re.compile(rb"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {b"amp": "&", b"lt": "<", b"gt": ">", b"quot": '"', b"apos": "'"}
_ATTR = re.compile(rb"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ROOT = re.compile(rb"<(?:(\w+):)?(\w+)[\s>/]")


def _entity(match: re.Match) -> str:
    name = match.group(1)
    if name.startswith(b"#x"):
        return chr(int(name[2:], 16))
    if name.startswith(b"#"):
        return chr(int(name[1:]))
    return _NAMED[name]


def xml_text(raw: bytes) -> str:
    """Text of an XML element: UTF-8, its character and entity references resolved."""
    if b"&" not in raw:
        return raw.decode("utf-8")
    parts, last = [], 0
    for match in _ENTITY.finditer(raw):
        parts.append(raw[last : match.start()].decode("utf-8"))
        parts.append(_entity(match))
        last = match.end()
    parts.append(raw[last:].decode("utf-8"))
    return "".join(parts)


def col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {
        m.group(1).split(b":")[-1]: m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(raw)
    }


def _head(archive: zipfile.ZipFile, name: str, size: int = 4096) -> bytes:
    with archive.open(name) as handle:
        return handle.read(size)


def _check_no_dtd(head: bytes) -> None:
    root = _ROOT.search(head.replace(b"<?", b"  ").replace(b"<!--", b"    "))
    before = head[: root.start()] if root else head
    if b"<!DOCTYPE" in before or b"<!ENTITY" in head:
        raise Hostile("DTD")


def _prefix(head: bytes) -> bytes:
    _check_no_dtd(head)
    cleaned = re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", head, flags=re.S)
    root = _ROOT.search(cleaned)
    if root is None:
        raise NotAsExpected("no root element")
    return (root.group(1) + b":") if root.group(1) else b""


class SharedStrings:
    """The shared strings as one block of bytes and where each starts: a text is decoded
    (its runs joined, phonetic hints left out, XML entities resolved) when asked for."""

    def __init__(self, archive: zipfile.ZipFile, name: str | None):
        self.blob = bytearray()
        self.starts = array("Q", [0])
        self.cache: dict[int, str] = {}
        if name is None:
            return
        prefix = _prefix(_head(archive, name))
        p = re.escape(prefix)
        item = re.compile(rb"<" + p + rb"si\b[^>]*?(?:/>|>(.*?)</" + p + rb"si>)", re.S)
        closing = b"</" + prefix + b"si>"
        tail = b""
        with archive.open(name) as handle:
            while True:
                chunk = handle.read(CHUNK)
                data = tail + chunk
                end = data.rfind(closing) if chunk else len(data)
                if end < 0:
                    tail = data
                    continue
                if chunk:
                    end += len(closing)
                for match in item.finditer(data, 0, end):
                    self.blob += match.group(1) or b""
                    self.starts.append(len(self.blob))
                tail = data[end:]
                if not chunk:
                    break
        self.runs = re.compile(rb"<" + p + rb"t\b[^>]*?(?:/>|>(.*?)</" + p + rb"t>)", re.S)
        self.phonetic = re.compile(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh>", re.S)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, index: int) -> str:
        text = self.cache.get(index)
        if text is not None:
            return text
        if not 0 <= index < len(self):
            raise NotAsExpected(f"shared string {index} does not exist")
        raw = bytes(self.blob[self.starts[index] : self.starts[index + 1]])
        if b"<" in raw:
            raw = self.phonetic.sub(b"", raw)
            raw = b"".join(m.group(1) or b"" for m in self.runs.finditer(raw))
        text = xml_text(raw)
        if len(self.cache) < 10_000:
            self.cache[index] = text
        return text


class Book:
    """An XLSX file's sheets by name, each read as a stream of rows."""

    def __init__(self, archive: zipfile.ZipFile, strings: SharedStrings | None = None):
        """`strings`: the shared strings of this very file, read before (kept by the caller)."""
        self.archive = archive
        names = set(archive.namelist())
        workbook = _part(names, "xl/workbook.xml")
        root = ElementTree.fromstring(archive.read(workbook))
        rels = _relations(archive, workbook)
        self.sheets: dict[str, str] = {}
        for node in root.iter():
            if _local(node.tag) == "sheet":
                rid = next((v for k, v in node.attrib.items() if _local(k) == "id"), None)
                target = rels.get(rid or "")
                if target is not None and target in names:
                    self.sheets[node.get("name", "")] = target
        self.sheetnames = list(self.sheets)
        shared = next((t for t in rels.values() if t.endswith("sharedStrings.xml") and t in names), None)
        styles = next((t for t in rels.values() if t.endswith("styles.xml") and t in names), None)
        # Read now (kept as bytes: about their XML's size, which the zip check bounds), so that
        # a hostile part is refused before any row is read.
        self.strings = strings if strings is not None else SharedStrings(archive, shared)
        self.date_styles = _date_styles(archive, styles) if styles else frozenset()

    def dimension(self, name: str) -> tuple[int, int] | None:
        """(rows, columns) the sheet declares, or None."""
        head = _head(self.archive, self.sheets[name], 8192)
        match = re.search(rb"<(?:\w+:)?dimension\b[^>]*?ref\s*=\s*[\"']([^\"']*)", head)
        if match is None:
            return None
        last = match.group(1).split(b":")[-1]
        cell = re.fullmatch(rb"\$?([A-Z]{1,3})\$?(\d+)", last.upper())
        if cell is None:
            return None
        return int(cell.group(2)), col_index(cell.group(1)) + 1

    def sheet_data(self, name: str) -> tuple[bytes, Iterator[bytes]]:
        """The sheet's namespace prefix, and its sheetData's XML in pieces that each end with a
        whole row, under the same bounds as `rows`: for a caller's own reading of rows it
        knows the shape of (checking that every row is as it expects)."""
        member = self.sheets[name]
        prefix = _prefix(_head(self.archive, member))
        return prefix, _Rows(self, member, prefix, None, MAX_COL, 1_048_576).chunks()

    def rows(
        self, name: str, columns: Iterable[int] | None = None, max_col: int = MAX_COL, max_row: int = 1_048_576
    ) -> Iterator[tuple[int, dict[int, Any]]]:
        """(row number, {column: value}) of each row holding a wanted cell, in the file's order:
        `columns` (0-based) or every column below `max_col`. A row past `max_row` stops the sheet."""
        member = self.sheets[name]
        p = _prefix(_head(self.archive, member))
        wanted = sorted(set(columns)) if columns is not None else None
        return _Rows(self, member, p, wanted, max_col, max_row).rows()


FEW_ROWS = 1000  # rows asked for at most (a header) for the sheet to be read only up to them


def row_numbers(prefix: bytes = b"") -> re.Pattern[bytes]:
    """A pattern of each row's number (`r`) in a sheet's XML whose namespace prefix is `prefix`."""
    return re.compile(rb"<" + re.escape(prefix) + rb'row\b[^>]*?\br="(\d+)"')


class _Rows:
    def __init__(self, book: Book, member: str, prefix: bytes, wanted: list[int] | None, max_col: int, max_row: int):
        self.book, self.member, self.max_col, self.max_row = book, member, max_col, max_row
        self.wanted = set(wanted) if wanted is not None else None
        p = re.escape(prefix)
        self.open_c, self.open_c_r = b"<" + prefix + b"c ", b"<" + prefix + b'c r="'
        self.bare_c = b"<" + prefix + b"c>"
        self.row_end = b"</" + prefix + b"row>"
        self.data_end = b"</" + prefix + b"sheetData>"
        letters = rb"[A-Z]{1,3}" if wanted is None else b"|".join(col_name(c).encode() for c in wanted)
        # What every writer puts after `r` (the style, then the type), else the rest of the tag.
        self.fast = re.compile(
            rb"<"
            + p
            + rb'c r="('
            + letters
            + rb')(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?([^>]*?)(?:/>|>(.*?)</'
            + p
            + rb"c>)",
            re.S,
        )
        self.cols: dict[bytes, int] = {}
        self.row = re.compile(rb"<" + p + rb"row\b([^>]*?)(?:/>|>(.*?)</" + p + rb"row>)", re.S)
        self.numbered = row_numbers(prefix)
        self.cell = re.compile(rb"<" + p + rb"c\b([^>]*?)(?:/>|>(.*?)</" + p + rb"c>)", re.S)
        self.value = re.compile(rb"<" + p + rb"v\b[^>]*?(?:/>|>(.*?)</" + p + rb"v>)", re.S)
        self.inline = re.compile(rb"<" + p + rb"is\b[^>]*?(?:/>|>(.*?)</" + p + rb"is>)", re.S)
        self.runs = re.compile(rb"<" + p + rb"t\b[^>]*?(?:/>|>(.*?)</" + p + rb"t>)", re.S)
        self.phonetic = re.compile(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh>", re.S)
        self.last_row = 0
        # Values by their cell's body (as `_fast` reads them): each made once.
        self.texts: dict[bytes, Any] = {}
        self.dated_styles: dict[bytes, bool] = {}  # a cell style: is it a date's
        self.days: dict[bytes, Any] = {}

    def chunks(self) -> Iterator[bytes]:
        """The sheetData's XML in pieces that end with a whole row."""
        with self.book.archive.open(self.member) as handle:
            data = b""
            started = False
            while True:
                chunk = handle.read(CHUNK)
                data += chunk
                if not started:
                    at = data.find(b"sheetData")
                    if at < 0:
                        if not chunk:
                            return
                        continue
                    data = data[at:]
                    started = True
                done = not chunk or self.data_end in data
                if done:
                    stop = data.find(self.data_end)
                    yield data[: stop if stop >= 0 else len(data)]
                    return
                end = data.rfind(self.row_end)
                if end < 0:
                    if len(data) > 64 * CHUNK:
                        raise NotAsExpected("a row longer than 64 MB")
                    continue
                end += len(self.row_end)
                yield data[:end]
                data = data[end:]

    def rows(self) -> Iterator[tuple[int, dict[int, Any]]]:
        current, values = 0, dict[int, Any]()
        # A few rows asked for (a header): the chunk cut where the first row numbered past them
        # starts (the reading would stop there), not a megabyte of rows parsed for one.
        few = self.max_row <= FEW_ROWS
        for chunk in self.chunks():
            past = self._first_past(chunk) if few else -1
            if past >= 0:
                chunk = chunk[:past]
            uniform = chunk.count(self.open_c) == chunk.count(self.open_c_r) and self.bare_c not in chunk
            for number, cells in self._fast(chunk) if uniform else _grouped(self._slow(chunk)):
                if number == current:
                    values.update(cells)
                    continue
                if values:
                    yield current, values
                if number > self.max_row:
                    return
                current, values = number, cells
            if past >= 0:
                break
        if values:
            yield current, values

    def _first_past(self, chunk: bytes) -> int:
        """Where the chunk's first row numbered past `max_row` starts; -1: none is."""
        for row in self.numbered.finditer(chunk):
            if int(row.group(1)) > self.max_row:
                return row.start()
        return -1

    def _fast(self, chunk: bytes) -> list[tuple[int, dict[int, Any]]]:
        """The rows of a chunk whose every cell has its `r` first: (row, {column: value}).
        The common values (a shared string, a date) are made once per distinct cell body: a
        workbook's tick column holds one text a hundred thousand times."""
        wanted, max_col, cols = self.wanted, self.max_col, self.cols
        texts, days, dated_styles = self.texts, self.days, self.dated_styles
        found: list[tuple[int, dict[int, Any]]] = []
        last, row, values = b"", -1, dict[int, Any]()
        for letters, number, s, kind, rest, body in self.fast.findall(chunk):
            col = cols.get(letters)
            if col is None:
                col = cols[letters] = col_index(letters)
            if (wanted is not None and col not in wanted) or col >= max_col:
                continue
            if number != last:
                last = number
                if int(number) != row:
                    row, values = int(number), {}
                    found.append((row, values))
            if rest and rest.strip():  # another order of attributes, or more of them: read them all
                head = (b' s="' + s + b'"' if s else b"") + (b' t="' + kind + b'"' if kind else b"") + rest
                values[col] = self._value(head, body)
            elif kind == b"s":
                value = texts.get(body)
                if value is None:
                    value = self._shared(body)
                    if len(texts) < _CACHED:
                        texts[body] = value
                values[col] = value
            elif not kind and body:
                if s and (dated_styles.get(s) if s in dated_styles else self._dated(s)):
                    value = days.get(body)
                    if value is None:
                        value = self._day(s, body)
                    values[col] = value
                    continue
                if body[:3] == b"<v>" and body[-4:] == b"</v>" and body[3:4].isdigit():
                    try:
                        values[col] = int(body[3:-4])
                        continue
                    except ValueError:
                        pass
                values[col] = self._typed(None, s or None, body)
            else:
                values[col] = self._typed(kind or None, s or None, body)
        return found

    def _dated(self, s: bytes) -> bool:
        """Whether the cell style `s` shows a date (known for the next cells of that style)."""
        dated = int(s) in self.book.date_styles
        if len(self.dated_styles) < _CACHED:
            self.dated_styles[s] = dated
        return dated

    def _day(self, s: bytes, body: bytes) -> Any:
        """A date cell's value (kept for the next cells that hold the same)."""
        value = self._typed(None, s, body)
        if len(self.days) < _CACHED:
            self.days[body] = value
        return value

    def _shared(self, body: bytes) -> Any:
        if body[:3] == b"<v>" and body[-4:] == b"</v>":
            try:
                return self.book.strings[int(body[3:-4])]
            except ValueError:
                raise NotAsExpected("a shared string index that is not a number") from None
        return self._typed(b"s", None, body)

    def _slow(self, chunk: bytes) -> Iterator[tuple[int, int, Any]]:
        number = self.last_row
        for row in self.row.finditer(chunk):
            attrs = _attrs(row.group(1))
            number = int(attrs[b"r"]) if b"r" in attrs else number + 1
            col = -1
            for cell in self.cell.finditer(row.group(2) or b""):
                head = cell.group(1)
                ref = _attrs(head).get(b"r")
                if ref:
                    match = re.fullmatch(rb"\$?([A-Z]{1,3})\$?(\d+)", ref.upper())
                    if match is None:
                        raise NotAsExpected("a cell reference that is not one")
                    col = col_index(match.group(1))
                else:
                    col += 1
                if col >= self.max_col or (self.wanted is not None and col not in self.wanted):
                    continue
                yield number, col, self._value(head, cell.group(2))
        self.last_row = number

    def _value(self, head: bytes, body: bytes | None) -> Any:
        kind = s = None
        if b"t=" in head or b"s=" in head:
            attrs = _attrs(head)
            kind, s = attrs.get(b"t"), attrs.get(b"s")
        return self._typed(kind, s, body)

    def _typed(self, kind: bytes | None, s: bytes | None, body: bytes | None) -> Any:
        if not body:
            return None
        if kind == b"inlineStr":
            inline = self.inline.search(body)
            raw = inline.group(1) or b"" if inline else b""
            if b"<" in raw:
                raw = self.phonetic.sub(b"", raw)
                raw = b"".join(m.group(1) or b"" for m in self.runs.finditer(raw))
            return xml_text(raw)
        if body.startswith(b"<v>") and body.endswith(b"</v>") and b"<" not in body[3:-4]:
            raw = body[3:-4]
        else:
            found = self.value.search(body)
            if found is None:
                return None
            raw = found.group(1) or b""
        if kind == b"s":
            try:
                return self.book.strings[int(raw)]
            except ValueError:
                raise NotAsExpected("a shared string index that is not a number") from None
        if kind in (b"str", b"e"):
            return xml_text(raw)
        if not raw:
            return None
        if kind == b"b":
            return raw.strip() in (b"1", b"true")
        if kind == b"d":
            try:
                return dt.datetime.fromisoformat(raw.decode())
            except ValueError:
                return xml_text(raw)
        try:
            number: float = int(raw)
        except ValueError:
            try:
                number = float(raw)
            except ValueError:
                raise NotAsExpected("a number that is not one") from None
        if s is not None and int(s) in self.book.date_styles:
            try:
                return EXCEL_EPOCH + dt.timedelta(days=number)
            except OverflowError:
                return number
        return number


def _grouped(cells: Iterable[tuple[int, int, Any]]) -> Iterator[tuple[int, dict[int, Any]]]:
    """(row, column, value) cells as rows: (row, {column: value}), a row's cells together."""
    current, values = -1, dict[int, Any]()
    for number, col, value in cells:
        if number != current:
            if values:
                yield current, values
            current, values = number, {}
        values[col] = value
    if values:
        yield current, values


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def _part(names: set[str], default: str) -> str:
    if default in names:
        return default
    found = next((n for n in names if n.lower() == default.lower()), None)
    if found is None:
        raise NotAsExpected("no workbook part")
    return found


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder = PurePosixPath(part).parent
    rels_name = str(folder / "_rels" / (PurePosixPath(part).name + ".rels"))
    if rels_name not in archive.namelist():
        return {}
    out = {}
    for node in ElementTree.fromstring(archive.read(rels_name)).iter():
        if _local(node.tag) == "Relationship":
            target = node.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else str(folder / target)
            parts: list[str] = []
            for piece in path.split("/"):
                if piece == "..":
                    if parts:
                        parts.pop()
                elif piece and piece != ".":
                    parts.append(piece)
            out[node.get("Id", "")] = "/".join(parts)
    return out


BUILTIN_DATES = frozenset((*range(14, 23), 45, 46, 47))  # the built-in number formats that are dates
_NOT_PART_OF_DATE = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')


def is_date_format(code: str) -> bool:
    """A number format shows a date or time (as openpyxl decides: quoted text and brackets aside)."""
    code = _NOT_PART_OF_DATE.sub("", code.split(";")[0])
    return re.search(r"(?<![_\\])[dmhysDMHYS]", code) is not None


def _date_styles(archive: zipfile.ZipFile, name: str) -> frozenset[int]:
    """The cell styles (xf indices) whose number format is a date's, as openpyxl reads them."""
    root = ElementTree.fromstring(archive.read(name))
    custom = {}
    xfs: list[int] = []
    for node in root:
        tag = _local(node.tag)
        if tag == "numFmts":
            for fmt in node:
                custom[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        elif tag == "cellXfs":
            xfs = [int(xf.get("numFmtId", "0")) for xf in node]
    dates = set()
    for index, fmt_id in enumerate(xfs):
        if fmt_id in custom and is_date_format(custom[fmt_id]) or fmt_id not in custom and fmt_id in BUILTIN_DATES:
            dates.add(index)
    return frozenset(dates)
