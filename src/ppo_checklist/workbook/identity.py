"""Which store a workbook belongs to: the store's id, written into the book by `ppo export`.

It is a custom document property (`docProps/custom.xml`, File › Properties › Custom in
Excel and LibreOffice): out of the way of a director's typing, and kept by both when they
save the book. `sync` and `export` refuse a book written from another store before reading
a tick of it, so unrelated trips with the same numbers are never marked done. A book with no
id (written by ppo 0.2, or a store without one) is read as before.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from defusedxml import ElementTree

from ppo_checklist.errors import BadWorkbook
from ppo_checklist.i18n import _

PROPERTY = "ppo_store"
CUSTOM_PROPERTIES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_PROPS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
MAX_PART = 1024 * 1024  # the package's relationships and the custom properties: a few hundred bytes
SHOWN = 8  # an id is shown by its first characters


class ForeignWorkbook(BadWorkbook):
    """A workbook written from another store: nothing of it is read, nothing written over it."""


def write(book, store_id: str) -> None:
    """Put the store's id into an XlsxWriter workbook (nothing for a store without one)."""
    if store_id:
        book.set_custom_property(PROPERTY, store_id)


def of(path: Path) -> str | None:
    """The id of the store the workbook was written from; None when it carries none."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _custom_part(archive)
            if part is None:
                return None
            root = _parse(archive, part)
    except zipfile.BadZipFile:
        raise BadWorkbook(_("{path}: not a readable .xlsx file (not a zip)").format(path=path)) from None
    except (KeyError, ValueError):  # a part named but missing, or not XML
        raise BadWorkbook(_("{path}: its document properties are damaged").format(path=path)) from None
    for prop in root.iter(_PROPS + "property"):
        if prop.get("name") == PROPERTY:
            return "".join(prop.itertext()).strip() or None
    return None


def _custom_part(archive: zipfile.ZipFile) -> str | None:
    if "_rels/.rels" not in archive.namelist():
        return None
    for rel in _parse(archive, "_rels/.rels").iter(_RELS + "Relationship"):
        if rel.get("Type") == CUSTOM_PROPERTIES and rel.get("TargetMode") != "External":
            return posixpath.normpath(rel.get("Target", "").lstrip("/"))
    return None


def _parse(archive: zipfile.ZipFile, name: str):
    if archive.getinfo(name).file_size > MAX_PART:
        raise ValueError(name)
    try:
        return ElementTree.fromstring(archive.read(name))
    except Exception as exc:  # defusedxml's refusals and expat's errors alike
        raise ValueError(name) from exc


def require_own(path: Path, store_id: str, way_out: str) -> None:
    """Refuse a workbook written from another store (exit 2), before anything of it is read."""
    theirs = of(path)
    if theirs is None or not store_id or theirs == store_id:
        return
    raise ForeignWorkbook(
        _("{path} was written from another store ({theirs}…, this one is {ours}…): nothing taken, {way_out}").format(
            path=path, theirs=theirs[:SHOWN], ours=store_id[:SHOWN], way_out=way_out
        )
    )
