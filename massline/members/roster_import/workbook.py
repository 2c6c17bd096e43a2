"""An `.xlsx` roster's worksheets: their rows through calamine (python-calamine, in Rust: it
reads a sheet whole, quickly, and hands its rows out one at a time), and a streaming scan of
each sheet's XML for formula cells. Calamine gives a formula only as its last result (or
nothing, when no spreadsheet has calculated it), and a roster's cells must hold values, not
formulas (`rows.check_row` refuses them); so the scan finds the `<f>` elements and their
cells, and `sheet_rows` puts each formula's text back in its cell. Scanning reads every part
of the archive through, as `ZipFile.testzip` would, so a damaged file is found there too."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

#: XML's "prefix:" before an element's name, which some writers use (<x:c>, <x:f>).
_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_FORMULA = re.compile(rb"<" + _NS + rb"f[\s>/]")
_CELL = re.compile(rb"<(" + _NS + rb")c\b([^>]*?)(?:/>|>(.*?)</\1c>)", re.S)
_FORMULA_TEXT = re.compile(rb"<" + _NS + rb"f\b[^>]*?(?:/>|>(.*?)</" + _NS + rb"f>)", re.S)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_ROW_END = re.compile(rb"</" + _NS + rb"row>")
_DIMENSION = re.compile(
    rb"<" + _NS + rb'dimension\b[^>]*\bref="[A-Z]*([0-9]+)(?::[A-Z]*([0-9]+))?"'
)
_READ = 1 << 20
_ESCAPES = {"&quot;": '"', "&apos;": "'"}


@dataclass
class Sheet:
    """A worksheet: its name, its place among the workbook's sheets (as calamine counts
    them, chart sheets included), its part in the archive, and what the scan found."""

    name: str
    index: int
    part: str
    last_row: int | None = None  # from its <dimension>, when it has one
    # (row, column) → the formula as a cell holding it reads ("=SUM(A1:A3)"); rows from 1,
    # columns from 0, as the sheet numbers them
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    unplaced_formula: bool = False  # a formula in a cell without a reference (r="B5")


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """The relationships of `part`: id → (type, the target's part name)."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}
    for node in ElementTree.fromstring(archive.read(rels)).iter():
        if _local(node.tag) == "Relationship":
            target = node.get("Target", "")
            target = (
                target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            )
            found[node.get("Id", "")] = (node.get("Type", ""), posixpath.normpath(target))
    return found


def worksheets(archive: zipfile.ZipFile) -> list[Sheet]:
    """The workbook's worksheets in its order (chart and other sheets left out)."""
    book = next(
        (
            target
            for kind, target in _relations(archive, "").values()
            if kind.endswith("/officeDocument")
        ),
        "xl/workbook.xml",
    )
    relations = _relations(archive, book)
    sheets: list[Sheet] = []
    index = 0
    for node in ElementTree.fromstring(archive.read(book)).iter():
        if _local(node.tag) != "sheet":
            continue
        rid = next((v for k, v in node.attrib.items() if _local(k) == "id"), "")
        kind, target = relations.get(rid, ("", ""))
        if kind.endswith("/worksheet"):
            sheets.append(Sheet(node.get("name", ""), index, target))
        index += 1
    return sheets


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number - 1


def _last_row_end(buffer: bytes) -> int:
    """Where the last whole <row> of `buffer` ends, or 0."""
    at = buffer.rfind(b"row>")
    while at >= 0:
        opening = buffer.rfind(b"<", 0, at)
        if opening >= 0 and _ROW_END.fullmatch(buffer, opening, at + 4):
            return at + 4
        at = buffer.rfind(b"row>", 0, at)
    return 0


def _formulas_in(rows: bytes, sheet: Sheet) -> None:
    """The formula cells among whole rows of a sheet's XML (only called when it has one)."""
    for cell in _CELL.finditer(rows):
        inner = cell.group(3)
        if not inner or _FORMULA.search(inner) is None:
            continue
        ref = _REF.search(cell.group(2))
        if ref is None:
            sheet.unplaced_formula = True
            continue
        formula = _FORMULA_TEXT.search(inner)
        text = formula.group(1) if formula is not None and formula.group(1) else b""
        # (a shared formula's later cells hold no text of their own)
        shown = unescape(text.decode("utf-8", "replace"), _ESCAPES)
        sheet.formulas[(int(ref.group(2)), _column(ref.group(1)))] = "=" + shown


def _scan_sheet(stream: IO[bytes], sheet: Sheet) -> None:
    carry = b""
    first = True
    while True:
        chunk = stream.read(_READ)
        buffer = carry + chunk
        if first:
            first = False
            dimension = _DIMENSION.search(buffer)
            if dimension is not None:
                sheet.last_row = int(dimension.group(2) or dimension.group(1))
        cut = _last_row_end(buffer) if chunk else len(buffer)
        whole, carry = buffer[:cut], buffer[cut:]
        # (two plain searches first: much quicker than the pattern over a sheet of values)
        if (b"<f" in whole or b":f" in whole) and _FORMULA.search(whole) is not None:
            _formulas_in(whole, sheet)
        if not chunk:
            return


def scan(path: Path) -> list[Sheet]:
    """The workbook's worksheets and the formula cells in them; every part of the archive is
    read through, which checks it (zipfile.BadZipFile for a damaged one)."""
    with zipfile.ZipFile(path) as archive:
        sheets = worksheets(archive)
        by_part = {sheet.part: sheet for sheet in sheets}
        for info in archive.infolist():
            with archive.open(info) as stream:
                sheet = by_part.get(info.filename)
                if sheet is not None:
                    _scan_sheet(stream, sheet)
                else:
                    while stream.read(_READ):
                        pass
    return sheets


def sheet_rows(book: Any, sheet: Sheet) -> Iterator[list[Any]]:
    """A worksheet's rows from its first, as lists of cells from the sheet's first column
    (calamine's values: text, numbers as floats, dates; "" for an empty cell), a formula's
    cell holding its text. The sheet is read whole (by calamine) when the first row is asked
    for, and let go when the last has been given."""
    data = book.get_sheet_by_index(sheet.index)
    start = data.start
    if start is None:
        return  # an empty sheet
    # calamine gives rows from the sheet's first, and cells from its first used column
    pad = [""] * start[1]
    formulas: dict[int, list[tuple[int, str]]] = {}
    for (row, column), text in sheet.formulas.items():
        formulas.setdefault(row, []).append((column, text))
    for line, cells in enumerate(data.iter_rows(), start=1):
        if pad:
            cells = pad + cells
        here = formulas.get(line) if formulas else None
        if here:
            for column, text in here:
                if column >= len(cells):
                    cells += [""] * (column + 1 - len(cells))
                cells[column] = text
        yield cells
