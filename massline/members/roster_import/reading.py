"""Reading a roster file: CSV streamed, never held whole, in UTF-8 (with or without a BOM)
or GB18030, told apart by their bytes or declared by the user, handed out in blocks of whole
records for the checking processes to decode and split; `.xlsx` through calamine
(`workbook`), row by row, every sheet whose first row is the first sheet's header (calamine
holds one sheet at a time whole: CSV is the format for a very large roster). What the
file is comes from its bytes, not its name: a text file renamed `.xlsx` and a truncated
workbook are refused with a message that says so."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.core.normalize import clean_cell
from massline.members import template

from . import workbook
from .report import SHEET_ROWS, file_error

#: The encodings a user may declare ("auto": told by the bytes).
ENCODINGS = ("auto", "utf-8", "gb18030")


@dataclass
class Roster:
    """An opened roster: its header and an iterator of (row number, cells)."""

    kind: str  # "csv" or "xlsx"
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    size: int  # bytes
    position: Callable[[], int]  # bytes read so far (CSV), or rows (xlsx)
    total_rows: int | None
    close: Callable[[], None]
    tasks: Iterator[tuple[Any, ...]] | None = None  # work for the checking processes
    sheet_names: list[str] = field(default_factory=list)


_XLSX_MAGIC = b"PK\x03\x04"


def open_roster(path: Path, *, file_name: str = "", encoding: str = "auto") -> Roster:
    """Open a roster file for reading; ApplicationError (field "file") for a file that is not
    one we can read, saying why."""
    name = file_name or path.name
    if encoding not in ENCODINGS:
        raise file_error(_("Unknown encoding %(encoding)s.") % {"encoding": encoding})
    size = path.stat().st_size
    if size == 0:
        raise file_error(_("The file %(name)s is empty (0 bytes).") % {"name": name}, "empty_file")
    with path.open("rb") as handle:
        head = handle.read(4)
    suffix = Path(name).suffix.lower()
    if head == _XLSX_MAGIC:
        if suffix not in (".xlsx", ".xlsm", ""):
            raise file_error(
                _("%(name)s is an Excel workbook, not a CSV file: name it .xlsx.") % {"name": name}
            )
        return _open_xlsx(path, name, size)
    if suffix in (".xlsx", ".xlsm"):
        raise file_error(
            _(
                "%(name)s is not an Excel workbook: its content is not in the .xlsx format "
                "(it may be a text or CSV file renamed .xlsx, or an old .xls file). Save it "
                "from Excel as .xlsx, or as CSV."
            )
            % {"name": name},
            "not_xlsx",
        )
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_error(
            _(
                "%(name)s is an old Excel 97-2003 (.xls) file; save it from Excel as .xlsx "
                "or as CSV."
            )
            % {"name": name},
            "old_xls",
        )
    return _open_csv(path, name, size, encoding)


def _detect_encoding(path: Path) -> str:
    """UTF-8 when the file starts with its BOM or its first megabyte is valid UTF-8,
    otherwise GB18030 (which every byte sequence Excel writes for Chinese is)."""
    with path.open("rb") as handle:
        sample = handle.read(1 << 20)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a character cut at the end of the sample is fine
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


BLOCK_BYTES = 1 << 20


def _records_in(block: bytes) -> int:
    """The CSV records a block of whole records holds: its line breaks outside quotes."""
    if b'"' not in block:
        return block.count(b"\n")
    return sum(part.count(b"\n") for part in block.split(b'"')[::2])


def _cut(buffer: bytes) -> int:
    """The end (after its line break) of the last whole record in `buffer`, or 0: a line
    break outside quotes, so a cell with a line break in it is never split."""
    pos = buffer.rfind(b"\n")
    while pos >= 0:
        if buffer.count(b'"', 0, pos) % 2 == 0:
            return pos + 1
        pos = buffer.rfind(b"\n", 0, pos)
    return 0


def encoding_problem(name: str, row: int, actual: str, declared: str) -> tuple[str, str]:
    shown = {"utf-8-sig": "UTF-8", "gb18030": "GB18030"}.get(actual, actual)
    if declared == "auto":
        message = _(
            "Row %(row)s of %(name)s is not valid %(encoding)s text, though the start of the "
            "file is. Save the whole file in one encoding (UTF-8 or GB18030)."
        )
    elif actual == "utf-8-sig":
        message = _(
            "%(name)s is not UTF-8 text (row %(row)s is not): it may be GB18030, as Excel "
            "saves CSV in Chinese Windows. Choose GB18030 or automatic detection."
        )
    else:
        message = _(
            "%(name)s is not %(encoding)s text (row %(row)s is not). Choose UTF-8 or "
            "automatic detection."
        )
    return message % {"name": name, "row": row, "encoding": shown}, "bad_encoding"


def _open_csv(path: Path, name: str, size: int, encoding: str) -> Roster:
    """A CSV roster is handed out in blocks of whole records (about a megabyte each), which
    the workers decode and parse: the reading process only cuts the file."""
    actual = _detect_encoding(path) if encoding == "auto" else encoding
    if actual == "utf-8":
        actual = "utf-8-sig"  # a BOM is not part of the first header
    raw = path.open("rb")
    first = raw.read(BLOCK_BYTES)
    end = 0
    pos = first.find(b"\n")
    while pos >= 0 and first.count(b'"', 0, pos) % 2:
        pos = first.find(b"\n", pos + 1)
    end = pos + 1 if pos >= 0 else len(first)
    try:
        header_text = first[:end].decode(actual)
    except UnicodeDecodeError:
        raw.close()
        message, code = encoding_problem(name, 1, actual, encoding)
        raise file_error(message, code) from None
    try:
        header = next(csv.reader(io.StringIO(header_text)), [])
    except csv.Error as exc:
        raw.close()
        raise file_error(
            _("%(name)s cannot be read as CSV: %(reason)s") % {"name": name, "reason": exc}
        ) from None
    if not header:
        raw.close()
        raise file_error(_("%(name)s has no rows.") % {"name": name}, "empty_file")
    sent = end
    body = "utf-8" if actual == "utf-8-sig" else actual

    def tasks() -> Iterator[tuple[Any, ...]]:
        nonlocal sent
        buffer = first[end:]
        base = 1  # the header is row 1
        block_no = 0
        while True:
            more = raw.read(BLOCK_BYTES)
            if more:
                buffer += more
                cut = _cut(buffer)
                if not cut:
                    continue  # one record longer than a block: read on
            else:
                cut = len(buffer)
                if not cut:
                    return
            block, buffer = buffer[:cut], buffer[cut:]
            records = _records_in(block) + (0 if block.endswith(b"\n") else 1)
            sent += len(block)
            yield ("csv", block_no, base, block, body, name, encoding)
            base += records
            block_no += 1

    return Roster(
        kind="csv",
        header=header,
        rows=iter(()),
        size=size,
        position=lambda: sent,
        total_rows=None,
        close=raw.close,
        tasks=tasks(),
    )


def _open_xlsx(path: Path, name: str, size: int) -> Roster:
    from python_calamine import CalamineWorkbook

    damaged = file_error(
        _(
            "%(name)s is damaged or incomplete and cannot be read as an Excel workbook "
            "(was the upload or download cut short?). Save it again from Excel."
        )
        % {"name": name},
        "damaged_xlsx",
    )
    try:
        # every part read through (a damaged one found), and the formula cells found
        sheets = workbook.scan(path)
        book = CalamineWorkbook.from_path(str(path))
    except Exception:  # zipfile.BadZipFile, KeyError, XML and calamine errors: a broken file
        raise damaged from None
    for sheet in sheets:
        if sheet.unplaced_formula:
            book.close()
            raise file_error(
                _(
                    "The sheet %(sheet)s of %(name)s holds formulas; a roster's cells must hold "
                    "the values themselves. Copy the sheet and paste it back as values."
                )
                % {"sheet": sheet.name, "name": name},
                "formula",
            )
    try:
        rows_iter = workbook.sheet_rows(book, sheets[0]) if sheets else iter(())
        first = next(rows_iter, None)
    except Exception:
        book.close()
        raise damaged from None
    if first is None:
        book.close()
        raise file_error(_("%(name)s has no rows.") % {"name": name}, "empty_file")
    header = _trimmed(first)
    total = sum(max(0, (s.last_row or 0) - 1) for s in sheets) or None
    counted = 0

    def rows() -> Iterator[tuple[int, list[Any]]]:
        """The rows of the first sheet, then of every later sheet whose first row is the
        first sheet's header too (an export longer than a sheet goes on in 花名册2,
        花名册3…); a later sheet whose first row names none of the template's columns (the
        template's notes) holds no rows, and one that names some but is not that header is
        refused. A later sheet's rows are numbered SHEET_ROWS apart: see ImportReport.add."""
        nonlocal counted
        try:
            for index, sheet in enumerate(sheets):
                it = rows_iter if index == 0 else workbook.sheet_rows(book, sheet)
                if index:
                    top = _trimmed(next(it, []))
                    if top != header:
                        if set(top) & set(template.HEADERS):
                            raise _other_header(name, sheet.name, sheets[0].name)
                        continue
                for line, cells in enumerate(it, start=2):
                    counted += 1
                    yield index * SHEET_ROWS + line, cells
        except ApplicationError:
            raise
        except Exception:
            raise damaged from None

    return Roster(
        kind="xlsx",
        header=header,
        rows=rows(),
        size=size,
        position=lambda: counted,
        total_rows=total,
        close=book.close,
        sheet_names=[sheet.name for sheet in sheets],
    )


def _trimmed(cells: list[Any]) -> list[str]:
    """A header row as text, without the empty cells after its last column."""
    text = [clean_cell(c) for c in cells]
    while text and not text[-1]:
        text.pop()
    return text


def _other_header(name: str, sheet: str, first: str) -> ApplicationError:
    return file_error(
        _(
            "The sheet %(sheet)s of %(name)s has columns of the roster but not those of the "
            "first sheet %(first)s: every sheet of a roster starts with the same header row. "
            "Give it the same columns, or move it into a workbook of its own."
        )
        % {"sheet": sheet, "name": name, "first": first},
        "bad_sheet_header",
    )


def check_header(header: list[Any]) -> int:
    """The header must be the template's, column for column, with or without its optional
    last columns (both or neither); how many columns the file has."""
    got = [clean_cell(h).lstrip("\ufeff") for h in header]
    while got and not got[-1]:
        got.pop()  # empty cells after the last column
    full = list(template.HEADERS)
    required = list(template.REQUIRED_HEADERS)
    if got in (full, required):
        return len(got)
    optional = [h for h in template.OPTIONAL_HEADERS if h in got]
    expected = full if optional else required
    missing = [h for h in expected if h not in got]
    extra = [h or _("(blank)") for h in got if h not in expected]
    parts = []
    if optional and len(optional) < len(template.OPTIONAL_HEADERS):
        parts.append(
            _("the optional columns %(columns)s go together: keep both or neither")
            % {"columns": "、".join(template.OPTIONAL_HEADERS)}
        )
    if missing:
        parts.append(_("missing columns: %(columns)s") % {"columns": "、".join(missing)})
    if extra:
        parts.append(_("columns not in the template: %(columns)s") % {"columns": "、".join(extra)})
    if not parts:
        for i, (want, have) in enumerate(zip(expected, got, strict=False), start=1):
            if want != have:
                parts.append(
                    _(
                        "the columns are in another order: column %(n)s should be %(want)s, not %(have)s"
                    )
                    % {"n": i, "want": want, "have": have}
                )
                break
        else:
            parts.append(_("columns repeated"))
    raise file_error(
        _(
            "The first row must hold the template's columns, in its order (%(columns)s; the "
            "last two may be left out together): %(problems)s. Download the blank template "
            "and copy the data into it."
        )
        % {"columns": "、".join(full), "problems": "; ".join(parts)},
        "bad_header",
    )
