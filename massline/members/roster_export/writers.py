"""Writing an export's rows: a CSV in chunks for a streamed response, an .xlsx workbook a
row at a time, and a file moved into place only once whole."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from massline.members import template

from .rows import Row, batch_size

#: Rows per sheet of an .xlsx workbook, the header included (Excel's limit).
XLSX_SHEET_ROWS = 1_048_576
SHEET_NAME = "花名册"
BOM = "\ufeff"
# Column widths of the .xlsx sheet, in characters, in template order.
_WIDTHS = (12, 6, 10, 21, 12, 12, 10, 12, 12, 10, 20, 13, 9, 20, 9, 14, 10)
assert len(_WIDTHS) == len(template.COLUMNS)

Counter = Callable[[int], None]


def sheet_rows() -> int:
    """Members per sheet of an .xlsx export (settings.MEMBER_EXPORT_SHEET_ROWS), at most
    what a sheet holds below its header."""
    rows = int(getattr(settings, "MEMBER_EXPORT_SHEET_ROWS", XLSX_SHEET_ROWS - 1))
    return max(1, min(rows, XLSX_SHEET_ROWS - 1))


def _counted(rows: Iterable[Row], counter: Counter | None, every: int) -> Iterator[Row]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if counter is not None and done % every == 0:
            counter(done)
    if counter is not None:
        counter(done)


def csv_chunks(rows: Iterable[Row], *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """A CSV file in UTF-8 with a byte-order mark (so Excel reads the Chinese), in chunks
    for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(template.HEADERS)
    for n, row in enumerate(rows, 1):
        writer.writerow(row)
        if n % rows_per_chunk == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def write_csv(rows: Iterable[Row], handle: IO[bytes]) -> int:
    count = 0

    def counting() -> Iterator[Row]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for chunk in csv_chunks(counting(), rows_per_chunk=2_000):
        handle.write(chunk)
    return count


def write_xlsx(rows: Iterable[Row], target: str | Path | IO[bytes]) -> int:
    """The rows as a workbook in the template, a row at a time (constant memory: xlsxwriter
    writes each row to a temporary file as it comes, and its strings inline, with no table of
    shared strings to keep); past `sheet_rows()` members, on further sheets (花名册2, 花名册3…)
    with the same header. Every cell is text."""
    import xlsxwriter  # imported here: only exports need it

    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    text = workbook.add_format({"num_format": "@"})
    header = workbook.add_format({"num_format": "@", "bold": True})
    count = 0
    sheets = 0
    per_sheet = sheet_rows()

    def new_sheet() -> Any:
        nonlocal sheets
        sheets += 1
        sheet = workbook.add_worksheet(SHEET_NAME if sheets == 1 else f"{SHEET_NAME}{sheets}")
        for col, width in enumerate(_WIDTHS):
            sheet.set_column(col, col, width, text)
        for col, title in enumerate(template.HEADERS):
            sheet.write_string(0, col, title, header)
        sheet.freeze_panes(1, 0)
        return sheet

    try:
        sheet = new_sheet()
        line = 1
        for row in rows:
            if line > per_sheet:
                sheet = new_sheet()
                line = 1
            write = sheet.write_string
            for col, value in enumerate(row):
                if value:
                    write(line, col, value)
            line += 1
            count += 1
    finally:
        workbook.close()
    return count


def write_file(rows: Iterable[Row], path: Path, fmt: str, *, counter: Counter | None = None) -> int:
    """Write the rows to `path` through a side file (`<name>.part`) moved into place at the
    end, so a failure leaves no half-written roster. Returns how many rows were written."""
    part = path.with_name(path.name + ".part")
    every = batch_size()
    try:
        with part.open("wb") as handle:
            if fmt == "csv":
                count = write_csv(_counted(rows, counter, every), handle)
            else:
                count = write_xlsx(_counted(rows, counter, every), handle)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count
