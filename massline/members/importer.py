"""The roster import (党员花名册导入): a CSV or Excel file in the template of
`massline.members.template`, validated in full, then written at once or not at all.

How a file goes in:

1. **Reading** streams the file, never holding it whole: CSV in UTF-8 (with or without a BOM)
   or GB18030, told apart by their bytes or declared by the user; `.xlsx` through openpyxl's
   read-only mode. What the file is comes from its bytes, not its name: a text file renamed
   `.xlsx` and a truncated workbook are refused with a message that says so.
2. **Checking each row** turns cells into the member's columns: labels into codes, dates in
   the forms people write them, the ID number's check digit and birth date, the organization
   code against the importer's scope. It runs in worker processes, one per core, which also
   encrypt the ID and phone numbers and hash them. A block of rows is checked at once as
   columns (`fastcheck`); the rows it does not accept in full (a full-width digit, a date
   written 2019年9月1日, or something wrong) are read one by one by `check_row`, which
   accepts what it can and explains the rest.
3. **Staging**: the checked rows go into a staging table through the database's bulk path,
   while the workers check the rows after them: PostgreSQL COPY into a temporary table;
   on SQLite each worker writes its rows into a file of its own, which the database
   connection attaches (a view over them is the staging table).
4. **Checking the file as a whole** is set-based SQL on the staging table: the same ID number
   twice in the file (asked only when two rows' `repeat_keys` are equal), a person already in
   the roster at another organization (a transfer moves members, not an import) or outside
   the importer's scope.
5. **Applying**, only when nothing was wrong and this is not a dry run, in one transaction:
   counter changes per organization (when every row is a new member, the sums the workers
   made, `block_counts`; otherwise from one grouped query), then one UPDATE for the
   members whose details changed, one INSERT for the new ones, their history and one audit
   row. New members' entry in the roster is one history row per member on PostgreSQL, and
   one `MemberEventRange` for them all wherever their ids are known to be the import's alone
   (SQLite, which holds its write lock; a first load). Rows equal to what the roster holds
   change nothing, so importing a file twice changes nothing the second time.

A **first load** (PostgreSQL, an empty roster: a province entering its members) skips the
staging table: the rows are copied straight into the member table, without its indexes and
constraints, each member's id being its row number; building the unique index afterwards is
the check for an ID number given twice (the rows are then named by their ids), and the other
indexes, counters and audit follow in the same transaction (`_load_first`). On SQLite a load
into an empty roster also numbers members by their rows and builds the indexes once
afterwards.

Every problem is reported with its row (as the spreadsheet numbers it, the header being row 1),
column, value and reason; ID and phone numbers appear masked, never in clear.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import csv
import datetime as dt
import io
import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access import policy
from massline.core.audit import audit_record
from massline.core.crypto import encrypt_column, lookup_hash_many
from massline.core.db import bulk_load_into_empty, chunked, is_postgres
from massline.core.errors import ApplicationError
from massline.core.normalize import clean_cell, fold_for_search, parse_date
from massline.core.reference import parse_ethnicity
from massline.orgs import counters as org_counters
from massline.orgs.models import Organization

from . import fastcheck, template
from .idnumber import InvalidNumber, mask_id, mask_phone, validate_id, validate_phone
from .import_worker import Context
from .import_worker import start as start_worker
from .models import Member, MemberEventKind, MemberEventRange
from .services import MEMBER_ORG_KINDS, _adult_on

#: Rows of a workbook's later sheets are numbered this far apart (sheet index × SHEET_ROWS + row).
SHEET_ROWS = 10_000_000
#: Files smaller than this (about 30,000 rows) are checked without worker processes.
SMALL_FILE = 4 * 2**20
#: Rows handed to a worker at a time.
CHUNK_ROWS = 4000
#: Problems kept in a report; the rest are counted.
REPORT_LIMIT = 100_000
ENCODINGS = ("auto", "utf-8", "gb18030")
NAME_MAX = 64
PLACE_MAX = 128

Progress = Callable[..., None]


# -- the report ----------------------------------------------------------------------------------


@dataclass
class Problem:
    row: int | None  # None: the file as a whole
    column: str  # the template header, or ""
    value: str  # as the file has it; ID and phone numbers masked
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class ImportReport:
    dry_run: bool
    file_name: str = ""
    rows: int = 0  # data rows read, blank ones included
    valid_rows: int = 0
    blank_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False
    seconds: float = 0.0
    sheets: list[str] = field(default_factory=list)

    problem_rows: int = 0  # rows with at least one problem
    # Seconds spent in each phase, in order (reading, checking, writing, …): for operators
    # and benchmarks (`import-members -v 2`).
    phases: dict[str, float] = field(default_factory=dict)
    _mark: float = field(default_factory=time.perf_counter, repr=False)

    def mark(self, phase: str) -> None:
        """The phase `phase` ends now."""
        now = time.perf_counter()
        self.phases[phase] = round(self.phases.get(phase, 0.0) + now - self._mark, 2)
        self._mark = now

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def where(self, row: int) -> str:
        """A row number as the user finds it: on a later sheet, with the sheet's name."""
        if row <= SHEET_ROWS:
            return str(row)
        index, line = divmod(row, SHEET_ROWS)
        sheet = self.sheets[index] if index < len(self.sheets) else str(index + 1)
        return f"{sheet} {line}"

    def add(self, problem: Problem) -> None:
        if problem.row is not None and problem.row > SHEET_ROWS:
            # a row of a later sheet of a workbook: name the sheet
            index, problem.row = divmod(problem.row, SHEET_ROWS)
            sheet = self.sheets[index] if index < len(self.sheets) else str(index + 1)
            problem.column = f"{sheet} · {problem.column}" if problem.column else sheet
        self.problem_count += 1
        if len(self.problems) < REPORT_LIMIT:
            self.problems.append(problem)

    def as_dict(self, *, limit: int | None = None) -> dict[str, Any]:
        problems = self.problems if limit is None else self.problems[:limit]
        return {
            "dry_run": self.dry_run,
            "file_name": self.file_name,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "blank_rows": self.blank_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problem_count": self.problem_count,
            "problems": [p.as_dict() for p in problems],
            "problems_listed": len(problems),
            "applied": self.applied,
            "seconds": round(self.seconds, 2),
        }


def write_report_csv(report: ImportReport, path: Path) -> None:
    """The problems as a CSV that Excel opens in Chinese (UTF-8 with a BOM)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([_("Row"), _("Column"), _("Value"), _("Problem")])
        for p in report.problems:
            writer.writerow(
                [p.row if p.row is not None else "", p.column, template.protect(p.value), p.message]
            )


def _file_error(message: str, code: str = "bad_file") -> ApplicationError:
    return ApplicationError(message, field="file", code=code)


# -- reading -------------------------------------------------------------------------------------


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
        raise _file_error(_("Unknown encoding %(encoding)s.") % {"encoding": encoding})
    size = path.stat().st_size
    if size == 0:
        raise _file_error(_("The file %(name)s is empty (0 bytes).") % {"name": name}, "empty_file")
    with path.open("rb") as handle:
        head = handle.read(4)
    suffix = Path(name).suffix.lower()
    if head == _XLSX_MAGIC:
        if suffix not in (".xlsx", ".xlsm", ""):
            raise _file_error(
                _("%(name)s is an Excel workbook, not a CSV file: name it .xlsx.") % {"name": name}
            )
        return _open_xlsx(path, name, size)
    if suffix in (".xlsx", ".xlsm"):
        raise _file_error(
            _(
                "%(name)s is not an Excel workbook: its content is not in the .xlsx format "
                "(it may be a text or CSV file renamed .xlsx, or an old .xls file). Save it "
                "from Excel as .xlsx, or as CSV."
            )
            % {"name": name},
            "not_xlsx",
        )
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error(
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


def _first_bad_line(path: Path, encoding: str) -> int:
    """The line (from 1) holding the first bytes that are not text in `encoding`: the reader
    decodes ahead of the rows it hands out, so only a second pass says exactly where."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    with path.open("rb") as handle:
        while block := handle.read(1 << 16):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return lines + block.count(b"\n", 0, max(exc.start, 0))
            lines += block.count(b"\n")
    return lines


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


def _encoding_problem(name: str, row: int, actual: str, declared: str) -> tuple[str, str]:
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
        message, code = _encoding_problem(name, 1, actual, encoding)
        raise _file_error(message, code) from None
    try:
        header = next(csv.reader(io.StringIO(header_text)), [])
    except csv.Error as exc:
        raw.close()
        raise _file_error(
            _("%(name)s cannot be read as CSV: %(reason)s") % {"name": name, "reason": exc}
        ) from None
    if not header:
        raw.close()
        raise _file_error(_("%(name)s has no rows.") % {"name": name}, "empty_file")
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
    import openpyxl  # a second to import: only when an Excel file comes

    damaged = _file_error(
        _(
            "%(name)s is damaged or incomplete and cannot be read as an Excel workbook "
            "(was the upload or download cut short?). Save it again from Excel."
        )
        % {"name": name},
        "damaged_xlsx",
    )
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
        if broken is not None:
            raise damaged
        # Formulas are read as formulas, not their last results, so that they are refused.
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except ApplicationError:
        raise
    except Exception:  # zipfile.BadZipFile, KeyError, XML errors: all mean a broken file
        raise damaged from None
    sheets = book.worksheets
    sheet = sheets[0]
    total = sum(max(0, (ws.max_row or 0) - 1) for ws in sheets) or None
    rows_iter = sheet.iter_rows(values_only=True)
    try:
        first = next(rows_iter)
    except StopIteration:
        book.close()
        raise _file_error(_("%(name)s has no rows.") % {"name": name}, "empty_file") from None
    except Exception:
        book.close()
        raise damaged from None
    header = [clean_cell(v) for v in first]
    counted = 0

    def rows() -> Iterator[tuple[int, list[Any]]]:
        """The rows of the first sheet, then of every later sheet whose first row is the
        template's header too (an export longer than a sheet goes on in 花名册2, 花名册3…);
        other sheets (the template's notes) are not rows. A later sheet's rows are numbered
        SHEET_ROWS apart: see ImportReport.add."""
        nonlocal counted
        try:
            for index, ws in enumerate(sheets):
                it = rows_iter if index == 0 else ws.iter_rows(values_only=True)
                if index:
                    top = next(it, None)
                    if top is None or [clean_cell(v) for v in top][: len(H)] != list(H):
                        continue
                for line, cells in enumerate(it, start=2):
                    counted += 1
                    yield index * SHEET_ROWS + line, list(cells)
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
        sheet_names=[ws.title for ws in sheets],
    )


def check_header(header: list[Any]) -> None:
    """The header must be the template's, column for column."""
    got = [clean_cell(h).lstrip("\ufeff") for h in header]
    while got and not got[-1]:
        got.pop()  # empty cells after the last column
    expected = list(template.HEADERS)
    if got == expected:
        return
    missing = [h for h in expected if h not in got]
    extra = [h or _("(blank)") for h in got if h not in expected]
    parts = []
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
    raise _file_error(
        _(
            "The first row must hold the template's columns, in its order (%(columns)s): "
            "%(problems)s. Download the blank template and copy the data into it."
        )
        % {"columns": "、".join(expected), "problems": "; ".join(parts)},
        "bad_header",
    )


# -- checking rows -------------------------------------------------------------------------------

# Staging columns: the row number, then the member's columns as the table has them.
STAGE_COLUMNS = (
    "row_no",
    "org_id",
    "org_path",
    "name",
    "name_folded",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number_enc",
    "id_number_hash",
    "id_masked",
    "id_tail",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "education",
    "category",
    "join_date",
    "full_date",
    "status",
    "mobility",
    "mobility_place",
    "lost_contact",
)
# A first load's columns (Context.target "member"): the member table's, the row number as id;
# the others take their database defaults (blank, and the time of the COPY).
MEMBER_COLUMNS = ("id", *STAGE_COLUMNS[1:], "attached_org_id")
# The details an import sets; a member whose stored details equal these is unchanged.
COMPARED = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "phone_hash",
    "education",
    "category",
    "join_date",
    "full_date",
    "status",
    "mobility",
    "mobility_place",
    "lost_contact",
)

H = template.HEADERS
(
    C_NAME,
    C_GENDER,
    C_ETHNICITY,
    C_ID,
    C_BIRTH,
    C_EDUCATION,
    C_CATEGORY,
    C_JOIN,
    C_FULL,
    C_STATUS,
    C_ORG,
    C_PHONE,
    C_MOBILITY,
    C_PLACE,
    C_LOST,
) = range(len(H))


_context: Context | None = None  # set in each worker


def check_row(
    row_no: int, cells: list[Any], ctx: Context
) -> tuple[tuple[Any, ...] | None, list[Problem]]:
    """One row: the member's values (before encryption: see `_finish`) or its problems.
    Blank rows are the caller's to skip."""
    problems: list[Problem] = []

    def bad(column: int, value: Any, message: str) -> None:
        problems.append(Problem(row_no, H[column], _shown(value), message))

    if len(cells) > len(H) and any(clean_cell(c) for c in cells[len(H) :]):
        problems.append(
            Problem(
                row_no,
                "",
                "",
                _("The row has %(n)s cells; the template has %(m)s columns.")
                % {"n": len(cells), "m": len(H)},
            )
        )
    if len(cells) < len(H):
        cells = list(cells) + [None] * (len(H) - len(cells))
    text = [clean_cell(c) for c in cells[: len(H)]]
    for i, value in enumerate(text):
        if value.startswith("'"):
            # Excel's mark for "text, not a formula or number"; an export writes it before
            # anything a spreadsheet could take for a formula (template.protect)
            text[i] = template.unprotect(value)
        elif value.startswith("="):
            bad(
                i,
                value if i not in (C_ID, C_PHONE) else "=…",
                _("The cell holds a formula (it starts with =); enter the value itself."),
            )
    if problems:
        return None, problems

    name = text[C_NAME]
    if not name:
        bad(C_NAME, "", _("The name is missing."))
    elif len(name) > NAME_MAX:
        bad(C_NAME, name, _("The name is longer than %(n)s characters.") % {"n": NAME_MAX})

    info = None
    raw_id = cells[C_ID]
    if isinstance(raw_id, float):
        bad(
            C_ID,
            "",
            _(
                "Excel holds the ID number as a number, which keeps only 15 digits: format "
                "the column as text and enter the numbers again."
            ),
        )
    elif not text[C_ID]:
        bad(C_ID, "", _("The ID number is missing."))
    else:
        try:
            info = validate_id(text[C_ID], today=ctx.today)
        except InvalidNumber as exc:
            bad(
                C_ID,
                mask_id(text[C_ID]),
                _("Invalid ID number: %(reason)s.") % {"reason": exc.message},
            )

    gender = template.GENDER_CODES.get(text[C_GENDER])
    if text[C_GENDER] and gender is None:
        bad(C_GENDER, text[C_GENDER], _("The gender must be 男 or 女."))
    elif info is not None:
        if gender is None:
            gender = info.gender
        elif gender != info.gender:
            bad(C_GENDER, text[C_GENDER], _("The gender does not agree with the ID number."))

    try:
        ethnicity = parse_ethnicity(text[C_ETHNICITY])
    except ValueError as exc:
        ethnicity = ""
        bad(C_ETHNICITY, text[C_ETHNICITY], str(exc))

    birth = None
    if text[C_BIRTH]:
        birth = _date(cells[C_BIRTH], C_BIRTH, bad)
        if birth is not None and info is not None and birth != info.birth_date:
            bad(
                C_BIRTH,
                text[C_BIRTH],
                _("The birth date does not agree with the one inside the ID number."),
            )
    if info is not None:
        birth = info.birth_date

    education = ""
    if text[C_EDUCATION]:
        education = template.EDUCATION_CODES.get(text[C_EDUCATION], "")
        if not education:
            bad(C_EDUCATION, text[C_EDUCATION], _choose(template.EDUCATION_LABELS))
    category = template.CATEGORY_CODES.get(text[C_CATEGORY], "")
    if not category:
        bad(C_CATEGORY, text[C_CATEGORY], _choose(template.CATEGORY_LABELS))
    status = template.STATUS_CODES.get(text[C_STATUS], "")
    if not status:
        bad(C_STATUS, text[C_STATUS], _choose(template.STATUS_LABELS))

    join = None
    if not text[C_JOIN]:
        bad(C_JOIN, "", _("The join date is missing."))
    else:
        join = _date(cells[C_JOIN], C_JOIN, bad)
    if join is not None:
        if join > ctx.today:
            bad(C_JOIN, text[C_JOIN], _("The join date is in the future."))
        elif birth is not None and not _adult_on(birth, join):
            bad(C_JOIN, text[C_JOIN], _("The join date is before the member's 18th birthday."))
    full = None
    if text[C_FULL]:
        full = _date(cells[C_FULL], C_FULL, bad)
        if full is not None:
            if status == "probationary":
                bad(
                    C_FULL,
                    text[C_FULL],
                    _("A probationary member has no full-membership date yet."),
                )
            elif join is not None and full < join:
                bad(C_FULL, text[C_FULL], _("The full-membership date is before the join date."))
            elif full > ctx.today:
                bad(C_FULL, text[C_FULL], _("The full-membership date is in the future."))

    org = None
    code = text[C_ORG]
    if not code:
        bad(C_ORG, "", _("The organization code is missing."))
    else:
        org = ctx.orgs.get(code)
        if org is None:
            bad(C_ORG, code, _("There is no organization with this code within your scope."))
        elif org[2] not in MEMBER_ORG_KINDS:
            bad(
                C_ORG,
                code,
                _("Members belong to a branch or a general branch; this organization is neither."),
            )

    phone = ""
    if text[C_PHONE]:
        try:
            phone = validate_phone(text[C_PHONE])
        except InvalidNumber as exc:
            bad(
                C_PHONE,
                mask_phone(text[C_PHONE]),
                _("Invalid phone number: %(reason)s.") % {"reason": exc.message},
            )

    mobility = template.MOBILITY_CODES.get(text[C_MOBILITY])
    if mobility is None:
        mobility = ""
        bad(C_MOBILITY, text[C_MOBILITY], _("流动情况 must be 流出, 流入 or left blank."))
    place = text[C_PLACE]
    if len(place) > PLACE_MAX:
        bad(C_PLACE, place, _("The place is longer than %(n)s characters.") % {"n": PLACE_MAX})
    elif place and not mobility and text[C_MOBILITY] == "":
        bad(C_PLACE, place, _("A place is given but 流动情况 is blank."))
    lost_text = text[C_LOST]
    lost = template.LOST_CONTACT_CODES.get(lost_text, False) if lost_text else False
    if lost_text and lost_text not in template.LOST_CONTACT_CODES:
        bad(C_LOST, lost_text, _("是否失联 must be 是, 否 or left blank."))

    if problems or info is None or org is None or birth is None or join is None:
        return None, problems
    return (
        row_no,
        org[0],
        org[1],
        name,
        gender,
        ethnicity,
        birth,
        info.number,
        education,
        category,
        join,
        full,
        status,
        phone,
        mobility,
        place,
        lost,
    ), problems


_CACHE_LIMIT = 400_000


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else clean_cell(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _choose(labels: dict[Any, str]) -> str:
    return _("Write one of: %(labels)s.") % {"labels": "、".join(v for v in labels.values() if v)}


def _date(value: Any, column: int, bad: Callable[[int, Any, str], None]) -> dt.date | None:
    try:
        return parse_date(value.strip() if isinstance(value, str) else value)
    except ValueError as exc:
        bad(column, value, str(exc))
        return None


def _finish(
    frame: pl.DataFrame, postgres: bool, target: str = "stage"
) -> tuple[bytes | list[tuple[Any, ...]], pl.Series]:
    """Checked rows as staging rows (or, for a first load, member rows: see Context):
    numbers encrypted, hashed and masked, names folded. CSV for PostgreSQL's COPY, tuples
    for SQLite; and the rows' `repeat_keys`."""
    ids = frame["id_number"].to_list()
    phones = frame["phone"].to_list()
    with_phone = [p for p in phones if p]
    phone_enc = iter(encrypt_column(with_phone).to_list())
    phone_hash = iter(lookup_hash_many(with_phone))
    names = frame["name"]
    fold = names.filter(names.str.contains(fastcheck._fold_pattern())).unique().to_list()
    folded = _fold_cache
    if len(folded) > _CACHE_LIMIT:
        folded.clear()
    for name in fold:
        if name not in folded:
            folded[name] = fold_for_search(name)
    ident = pl.col("id_number")
    phone = pl.col("phone")
    staged = frame.with_columns(
        names.replace({n: folded[n] for n in fold}).alias("name_folded"),
        encrypt_column(ids).alias("id_number_enc"),
        pl.Series("id_number_hash", lookup_hash_many(ids), dtype=pl.String),
        (ident.str.slice(0, 6) + "********" + ident.str.slice(14)).alias("id_masked"),
        ident.str.slice(14).alias("id_tail"),
        pl.Series("phone_enc", [next(phone_enc) if p else "" for p in phones], dtype=pl.String),
        pl.Series("phone_hash", [next(phone_hash) if p else "" for p in phones], dtype=pl.String),
        pl.when(phone == "")
        .then(pl.lit(""))
        .otherwise(phone.str.slice(0, 3) + "****" + phone.str.slice(7))
        .alias("phone_masked"),
    )
    if target == "member":
        staged = staged.with_columns(
            pl.col("row_no").alias("id"),
            pl.when(pl.col("mobility") == "inflow").then(pl.col("org_id")).alias("attached_org_id"),
        ).select(MEMBER_COLUMNS)
    else:
        staged = staged.select(STAGE_COLUMNS)
    keys = repeat_keys(staged["id_number_hash"])
    if postgres:
        # COPY's CSV: a null is an empty field, an empty string is "" (as polars writes them)
        return staged.write_csv(include_header=False).encode(), keys
    return staged.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d")).rows(), keys


def repeat_keys(hashes: pl.Series) -> pl.Series:
    """The first 60 bits of each ID number's lookup hash, as integers: rows with the same
    number have the same key, and two different numbers among a province's have one chance
    in about a million of sharing one. The importer gathers every row's key (8 bytes a row)
    and looks for the same number twice in the database only when two keys are equal
    (`_may_repeat`), instead of grouping the whole file there."""
    return hashes.str.slice(0, 15).str.to_integer(base=16)


def _may_repeat(keys: list[pl.Series]) -> bool:
    """Whether two of the file's rows may hold the same ID number (see repeat_keys)."""
    return bool(keys) and bool(pl.concat(keys).is_duplicated().any())


#: The member counters (orgs.counters) as column conditions over checked rows: whether a row
#: counts for each metric when it is a new member. `_METRIC_SQL` says the same in SQL.
_METRIC_EXPR = {
    "members.total": pl.col("row_no").is_not_null(),  # every row
    "members.probationary": pl.col("status") == "probationary",
    "members.outflow": pl.col("mobility") == "outflow",
    "members.inflow": pl.col("mobility") == "inflow",
    "members.lost_contact": pl.col("lost_contact"),
}


def block_counts(checked: pl.DataFrame) -> pl.DataFrame:
    """Checked rows' counter figures per organization path, summed in the worker: when all
    of a file's rows are new members, their sum over the blocks is the import's counter
    change, with no query over the staged rows."""
    return checked.group_by("org_path").agg(
        *(expr.cast(pl.Int64).sum().alias(metric) for metric, expr in _METRIC_EXPR.items())
    )


@dataclass
class Gathered:
    """What the importer gathers from the checked blocks besides the rows."""

    may_repeat: bool  # two rows may hold the same ID number (repeat_keys)
    counts: dict[str, dict[str, int]]  # counter changes per path, were every row a new member


_fold_cache: dict[str, str] = {}


@dataclass
class ChunkResult:
    staged: bytes  # COPY data (PostgreSQL); SQLite's rows are in the staging files
    valid: int
    blank: list[int]
    problems: list[Problem]
    file_problem: tuple[str, str] | None = None
    keys: pl.Series | None = None  # repeat_keys of the accepted rows
    counts: pl.DataFrame | None = None  # the accepted rows' counter figures (block_counts)


def check_task(task: tuple[Any, ...]) -> ChunkResult:
    """A piece of work for a checking process: ("rows", rows) of (row number, cells), or
    ("csv", block number, row number before the block, bytes, encoding, file name, declared
    encoding), a block of whole CSV records."""
    if task[0] == "rows":
        return check_rows(task[1])
    _kind, _block_no, base, data, body, name, declared = task
    try:
        text = data.decode(body)
    except UnicodeDecodeError as exc:
        row = base + 1 + data.count(b"\n", 0, max(exc.start, 0))
        return ChunkResult(
            b"",
            0,
            [],
            [],
            _encoding_problem(name, row, body if body != "utf-8" else "utf-8-sig", declared),
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if '"' not in text and "\r" not in text and "\x00" not in text:
        # No quoting: a record is a line, a cell what lies between commas.
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()  # the block ends with a line break
        return check_lines(lines, base + 1)
    try:
        rows = [
            (base + i, cells)
            for i, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        ]
    except csv.Error as exc:
        return ChunkResult(
            b"", 0, [], [],
            (_("Rows after row %(row)s of %(name)s cannot be read as CSV: %(reason)s")
             % {"row": base, "name": name, "reason": exc}, "bad_file"),
        )  # fmt: skip
    return check_rows(rows)


def check_lines(lines: list[str], first_row: int) -> ChunkResult:
    """Check lines of CSV that hold no quotes, the first being row `first_row`."""
    ctx = _context
    assert ctx is not None
    accepted, rejected = fastcheck.check(fastcheck.frame_from_lines(lines, first_row), ctx)
    return _careful(accepted, [(first_row + i, lines[i].split(",")) for i in rejected], ctx)


def check_rows(rows: list[tuple[int, list[Any]]]) -> ChunkResult:
    """Check rows of cells (in a worker): staging rows for the good ones, problems for the
    others, the numbers of the blank rows."""
    ctx = _context
    assert ctx is not None
    frame = fastcheck.frame_from_rows(rows)
    accepted, rejected = fastcheck.check(frame, ctx)
    rejected += sorted(set(range(len(rows))) - set(frame["i"].to_list()))
    return _careful(accepted, [rows[i] for i in sorted(rejected)], ctx)


def _careful(
    accepted: pl.DataFrame, rows: list[tuple[int, list[Any]]], ctx: Context
) -> ChunkResult:
    """The rows the fast path left, read one by one (`check_row`), and the block's result."""
    problems: list[Problem] = []
    blank: list[int] = []
    checked: list[tuple[Any, ...]] = []
    for row_no, cells in rows:
        if not any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
            blank.append(row_no)
            continue
        values, row_problems = check_row(row_no, cells, ctx)
        if values is not None:
            checked.append(values)
        else:
            problems.extend(row_problems)
    if checked:
        accepted = pl.concat([accepted, fastcheck.checked_frame(checked)])
    result = ChunkResult(b"", accepted.height, blank, problems)
    if accepted.height:
        result.counts = block_counts(accepted)
        finished, result.keys = _finish(accepted, ctx.postgres, ctx.target)
        if isinstance(finished, bytes):
            result.staged = finished
        else:
            _scratch_write(finished, ctx)
    return result


def _set_context(ctx: Context) -> None:
    global _context
    _context = ctx


def _pool(n_workers: int, ctx: Context) -> Any:
    """Worker processes, from a fork server: a process forked from this one could inherit a
    lock held by another of its threads (a web process's, or the column engine's thread
    pool, which is not fork-safe), so they come from a clean process that has Django set up
    (`import_boot`), started once per process."""
    from django.utils import translation

    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(["massline.members.import_boot"])
    return mp.Pool(n_workers, initializer=start_worker, initargs=(ctx, translation.get_language()))


def worker_count() -> int:
    setting = os.environ.get("MASSLINE_IMPORT_WORKERS")
    if setting:
        return max(0, int(setting))
    return min(4, os.cpu_count() or 1)


# -- the import ------------------------------------------------------------------------------------


def _scope_orgs(actor: Any) -> dict[str, tuple[int, str, str]]:
    """The organizations the importer may put members in, by code. No actor: an operator
    at the command line, with the whole tree."""
    qs = Organization.objects.all()
    if actor is not None:
        qs = policy.scoped(qs, actor, "members.manage")
    return {
        code: (pk, path, kind)
        for code, pk, path, kind in qs.values_list("code", "pk", "path", "kind")
    }


class _Rollback(Exception):
    pass


def _changed_meanwhile() -> ApplicationError:
    return ApplicationError(
        _(
            "The roster changed while the file was being imported (someone entered "
            "one of its members meanwhile); nothing was written. Import it again."
        ),
        code="changed_meanwhile",
    )


STAGE = "members_import_stage"
MEMBERS = "members_member"
EVENT_INSERT = (
    'INSERT INTO members_memberevent (member_id, kind, "on", detail, actor_id, created_at)'
)


def import_roster(
    path: Path,
    *,
    actor: Any,
    dry_run: bool,
    file_name: str = "",
    encoding: str = "auto",
    progress: Progress | None = None,
    workers: int | None = None,
    job_id: int | None = None,
) -> ImportReport:
    """Check a roster file and, unless `dry_run` or something is wrong, write it in one
    transaction. File-level problems raise ApplicationError; row problems are in the
    report (and then nothing is written)."""
    started = time.perf_counter()
    name = file_name or path.name
    report = ImportReport(dry_run=dry_run, file_name=name)
    roster = open_roster(path, file_name=name, encoding=encoding)
    report.sheets = roster.sheet_names
    try:
        check_header(roster.header)
        ctx = Context(
            orgs=_scope_orgs(actor),
            today=timezone.localdate(),
            postgres=is_postgres(),
            field_key=settings.FIELD_ENCRYPTION_KEY,
        )
        # PostgreSQL: everything in one transaction. SQLite: the staging table is a temporary
        # one, which takes no lock on the database, so the rows are read and checked outside
        # the transaction and only the writing holds SQLite's one write lock (seconds, not the
        # minutes of reading a province); the unique index still refuses a person entered by
        # someone else meanwhile, failing the whole import.
        staging = transaction.atomic() if ctx.postgres else contextlib.nullcontext()
        try:
            with staging:
                # A first load (PostgreSQL, an empty roster): straight into the member table.
                first = _first_load() if ctx.postgres and not dry_run else None
                if first is not None:
                    ctx.target = "member"
                    gathered = _stage_rows(roster, ctx, report, progress, workers)
                    report.mark("reading")
                    if progress is not None:
                        progress(report.rows, report.rows, phase="writing")
                    _load_first(first, report, actor, ctx, job_id, gathered)
                else:
                    _create_stage(ctx)
                    gathered = _stage_rows(roster, ctx, report, progress, workers)
                    if not ctx.postgres:
                        _attach_stage(ctx)
                    report.mark("reading")
                    if progress is not None:
                        progress(report.rows, report.rows, phase="checking")
                    # (an empty roster has nobody to compare the rows with)
                    empty = not Member.objects.exists()
                    _check_staged(report, ctx, gathered.may_repeat, empty)
                    _summarize(report, empty)
                    report.mark("checking")
                    _write(report, actor, ctx, job_id, dry_run, progress, gathered, empty)
                report.applied = True
            report.mark("writing")
        except _Rollback:
            pass
        except IntegrityError as exc:
            raise _changed_meanwhile() from exc
        finally:
            # PostgreSQL drops it at commit, but not when this runs inside a caller's
            # transaction (which a second import in it would find)
            _drop_stage(ctx)
    finally:
        roster.close()
    if report.applied and is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE members_member")
        report.mark("statistics")
    report.seconds = time.perf_counter() - started
    return report


_STAGE_TYPES = {
    "row_no": "integer",
    "org_id": "bigint",
    "birth_date": "date",
    "join_date": "date",
    "full_date": "date",
    "lost_contact": "boolean",
}
_STAGE_COLS = ", ".join(f"{c} {_STAGE_TYPES.get(c, 'text')}" for c in STAGE_COLUMNS)


def _create_stage(ctx: Context) -> None:
    """PostgreSQL: a temporary staging table, filled by COPY. SQLite: each checking process
    writes its rows to a file of its own in a scratch folder (`_scratch_write`), in
    parallel, and the staging table is a view over them all (`_attach_stage`)."""
    if ctx.postgres:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {STAGE} ({_STAGE_COLS}) ON COMMIT DROP")
    elif connection.in_atomic_block:
        # Inside a caller's transaction, where SQLite can attach but not detach files: the
        # rows are checked in this process, into a temporary table (`_scratch_write`).
        _drop_stage(ctx)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {STAGE} ({_STAGE_COLS})")
    else:
        _drop_stage(ctx)
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        ctx.scratch = tempfile.mkdtemp(prefix="import-stage-", dir=settings.VAR_DIR)


def _scratch_write(rows: list[tuple[Any, ...]], ctx: Context) -> None:
    """SQLite: checked rows into this process's staging file (one transaction a block), or
    without a staging folder into the temporary staging table."""
    global _scratch
    marks = ", ".join(["?"] * len(STAGE_COLUMNS))
    if not ctx.scratch:
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {STAGE} VALUES ({marks.replace('?', '%s')})", rows)
        return
    if _scratch is None or _scratch[0] != ctx.scratch:
        if _scratch is not None:
            _scratch[1].close()
        conn = sqlite3.connect(Path(ctx.scratch) / f"stage-{os.getpid()}.sqlite3")
        conn.execute("PRAGMA page_size = 16384")  # as the database's (settings.DATABASES)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(f"CREATE TABLE {STAGE} ({_STAGE_COLS})")
        _scratch = (ctx.scratch, conn)
    conn = _scratch[1]
    with conn:
        conn.executemany(f"INSERT INTO {STAGE} VALUES ({marks})", rows)


def _scratch_close() -> None:
    global _scratch
    if _scratch is not None:
        _scratch[1].close()
        _scratch = None


_scratch: tuple[str, sqlite3.Connection] | None = None


def _attach_stage(ctx: Context) -> None:
    """SQLite: the staging files attached to the database connection, and a temporary view
    over them named as the staging table."""
    if not ctx.scratch:
        return  # the rows are in the temporary table
    _scratch_close()
    files = sorted(Path(ctx.scratch).glob("stage-*.sqlite3"))
    with connection.cursor() as cursor:
        parts = []
        for i, path in enumerate(files):
            cursor.execute("ATTACH DATABASE %s AS %s", [str(path), f"stage{i}"])
            parts.append(f"SELECT * FROM stage{i}.{STAGE}")
        if parts:
            cursor.execute(f"CREATE TEMP VIEW {STAGE} AS {' UNION ALL '.join(parts)}")
        else:
            cursor.execute(f"CREATE TEMP TABLE {STAGE} ({_STAGE_COLS})")
    ctx.attached = len(files)


def _drop_stage(ctx: Context) -> None:
    with connection.cursor() as cursor:
        if ctx.postgres:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            return
        cursor.execute("SELECT type FROM sqlite_temp_master WHERE name = %s", [STAGE])
        for (kind,) in cursor.fetchall():  # a view over the staging files, or a table
            cursor.execute(f"DROP {'VIEW' if kind == 'view' else 'TABLE'} temp.{STAGE}")
        cursor.execute("DROP TABLE IF EXISTS temp.members_import_changed")
        for i in range(ctx.attached):
            cursor.execute("DETACH DATABASE %s", [f"stage{i}"])
    ctx.attached = 0
    _scratch_close()
    if ctx.scratch:
        shutil.rmtree(ctx.scratch, ignore_errors=True)
        ctx.scratch = ""


def _stage_rows(
    roster: Roster,
    ctx: Context,
    report: ImportReport,
    progress: Progress | None,
    workers: int | None,
) -> Gathered:
    """Read and check the rows, staging the good ones; whether two of them may hold the same
    ID number (`_may_repeat`), and their counter figures."""
    if not ctx.postgres and not ctx.scratch:
        n_workers = 0  # SQLite inside a caller's transaction (_create_stage)
    elif workers is not None:
        n_workers = workers
    elif roster.size < SMALL_FILE:
        n_workers = 0  # checked here: starting workers would take longer than the checking
    else:
        n_workers = worker_count()
    if roster.tasks is not None:
        tasks: Iterator[tuple[Any, ...]] = roster.tasks
    else:
        tasks = (("rows", chunk) for chunk in chunked(roster.rows, CHUNK_ROWS))
    total = roster.total_rows if roster.kind == "xlsx" else roster.size
    table, columns = (STAGE, STAGE_COLUMNS) if ctx.target == "stage" else (MEMBERS, MEMBER_COLUMNS)
    copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    keys: list[pl.Series] = []
    counts: list[pl.DataFrame] = []
    with connection.cursor() as cursor, _results(tasks, n_workers, ctx) as results:
        if ctx.postgres:
            raw = cursor.cursor
            with raw.copy(copy_sql) as copy:
                for result in results:
                    _tally(report, result, keys, counts)
                    if result.valid:
                        copy.write(result.staged)
                    if progress is not None:
                        progress(roster.position(), total, phase="reading")
        else:
            for result in results:  # the rows are in the staging files
                _tally(report, result, keys, counts)
                if progress is not None:
                    progress(roster.position(), total, phase="reading")
    if report.rows == report.blank_rows and not report.problem_count:
        raise _file_error(
            _("%(name)s has the template's header but no members below it.")
            % {"name": report.file_name},
            "no_rows",
        )
    return Gathered(_may_repeat(keys), _sum_counts(counts))


def _sum_counts(counts: list[pl.DataFrame]) -> dict[str, dict[str, int]]:
    if not counts:
        return {}
    total = pl.concat(counts).group_by("org_path").agg(pl.exclude("org_path").sum())
    return {
        row["org_path"]: {k: v for k, v in row.items() if k != "org_path" and v}
        for row in total.iter_rows(named=True)
    }


@contextlib.contextmanager
def _results(
    tasks: Iterator[tuple[Any, ...]], n_workers: int, ctx: Context
) -> Iterator[Iterator[ChunkResult]]:
    """The results of the tasks, in order: checked in worker processes, with a few tasks
    in flight per worker (so the file is never read far ahead of the database), or in this
    process when `n_workers` is 0."""
    if n_workers <= 0:
        _set_context(ctx)
        yield map(check_task, tasks)
        return
    pool = _pool(n_workers, ctx)

    def ordered() -> Iterator[ChunkResult]:
        window: collections.deque[Any] = collections.deque()
        for task in tasks:
            window.append(pool.apply_async(check_task, (task,)))
            if len(window) >= 2 * n_workers + 1:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()

    try:
        yield ordered()
    finally:
        pool.terminate()
        pool.join()


def _tally(
    report: ImportReport,
    result: ChunkResult,
    keys: list[pl.Series],
    counts: list[pl.DataFrame],
) -> None:
    if result.file_problem is not None:
        message, code = result.file_problem
        raise _file_error(message, code)
    if result.keys is not None:
        keys.append(result.keys)
    if result.counts is not None:
        counts.append(result.counts)
    report.valid_rows += result.valid
    report.blank_rows += len(result.blank)
    bad_rows = len({p.row for p in result.problems})
    report.problem_rows += bad_rows
    report.rows += result.valid + len(result.blank) + bad_rows
    for p in result.problems:
        report.add(p)


def _duplicates(report: ImportReport, table: str, row: str) -> list[Problem]:
    """The same ID number in more than one row of `table` (the staging table, or the member
    table of a first load, whose ids are the row numbers): a problem for each row after the
    first."""
    pg = is_postgres()
    agg = f"string_agg({row}::text, ',' ORDER BY {row})" if pg else f"group_concat({row}, ',')"
    found: list[Problem] = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {agg}, min(id_masked) FROM {table} GROUP BY id_number_hash HAVING count(*) > 1"
        )
        for rows_text, masked in cursor.fetchall():
            rows = sorted(int(r) for r in rows_text.split(","))
            found += [
                Problem(
                    later,
                    H[C_ID],
                    masked,
                    _("The same ID number is already in row %(row)s of this file.")
                    % {"row": report.where(rows[0])},
                )
                for later in rows[1:]
            ]
    return found


def _report(report: ImportReport, found: list[Problem]) -> None:
    """Add problems found in the whole file, and put the report in row order."""
    for p in sorted(found, key=lambda p: p.row or 0):
        report.add(p)
    report.problems.sort(key=lambda p: p.row or 0)


def _check_staged(report: ImportReport, ctx: Context, may_repeat: bool, empty: bool) -> None:
    """The checks that need the whole file or the roster: repeated ID numbers, and members
    already in the roster elsewhere (none when the roster is `empty`)."""
    found = _duplicates(report, STAGE, "row_no") if may_repeat else []
    report.mark("repeats")
    if empty:
        _report(report, found)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.row_no, s.id_masked, m.org_id, o.name, o.path FROM {STAGE} s "
            "JOIN members_member m ON m.id_number_hash = s.id_number_hash "
            "JOIN orgs_organization o ON o.id = m.org_id "
            "WHERE m.org_id <> s.org_id"
        )
        moved = cursor.fetchall()
    visible = {pk for pk, _path, _kind in ctx.orgs.values()} if moved else set()
    for row, masked, org_id, org_name, _org_path in moved:
        if org_id in visible:
            message = _(
                "This person is already a member of %(org)s: a member moves to another "
                "organization through a transfer, not an import."
            ) % {"org": org_name}
        else:
            message = _(
                "This ID number belongs to a member of an organization outside your scope; "
                "nothing about them can be changed from here."
            )
        found.append(Problem(row, H[C_ID], masked, message))
    _report(report, found)


def _distinct(a: str, b: str) -> str:
    return f"{a} IS DISTINCT FROM {b}" if is_postgres() else f"{a} IS NOT {b}"


def _changed_condition() -> str:
    return " OR ".join(_distinct(f"m.{c}", f"s.{c}") for c in COMPARED)


def _summarize(report: ImportReport, empty: bool) -> None:
    """How many rows would be new, changed and unchanged: into an `empty` roster, every
    staged row is new. (Should someone enter one of them before the import writes, the
    insert comes out short and the import fails: `_apply`.)"""
    if empty:
        report.created, report.updated, report.unchanged = report.valid_rows, 0, 0
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(m.id), "
            f"coalesce(sum(CASE WHEN m.id IS NOT NULL AND ({_changed_condition()}) "
            f"THEN 1 ELSE 0 END), 0) "
            f"FROM {STAGE} s LEFT JOIN members_member m ON m.id_number_hash = s.id_number_hash"
        )
        staged, existing, changed = cursor.fetchone()
    report.created = staged - existing
    report.updated = changed
    report.unchanged = existing - changed


_METRIC_SQL = {
    "members.total": "1",
    "members.probationary": "CASE WHEN {t}.status = 'probationary' THEN 1 ELSE 0 END",
    "members.outflow": "CASE WHEN {t}.mobility = 'outflow' THEN 1 ELSE 0 END",
    "members.inflow": "CASE WHEN {t}.mobility = 'inflow' THEN 1 ELSE 0 END",
    "members.lost_contact": "CASE WHEN {t}.lost_contact THEN 1 ELSE 0 END",
}


def _apply(
    report: ImportReport, actor: Any, ctx: Context, job_id: int | None, gathered: Gathered
) -> None:
    now = timezone.now()
    today = ctx.today
    actor_id = getattr(actor, "pk", None)
    pg = is_postgres()
    metrics = list(_METRIC_SQL)
    detail = '{"source": "import", "job": %s}' % (job_id if job_id is not None else "null")
    json = "%s::jsonb" if pg else "%s"
    with connection.cursor() as cursor:
        # Counter changes, per organization: new members count in full (every row new: the
        # sums the workers made); a changed member counts its new flags less its old ones
        # (same organization: a move is refused).
        all_new = not report.updated and not report.unchanged
        if all_new:
            changes = gathered.counts
        else:
            sums = ", ".join(
                f"sum({_METRIC_SQL[k].format(t='s')} - "
                f"CASE WHEN m.id IS NULL THEN 0 ELSE {_METRIC_SQL[k].format(t='m')} END)"
                for k in metrics
            )
            cursor.execute(
                f"SELECT s.org_path, {sums} FROM {STAGE} s "
                f"LEFT JOIN members_member m ON m.id_number_hash = s.id_number_hash "
                f"GROUP BY s.org_path"
            )
            changes = {
                path: {k: v for k, v in zip(metrics, values, strict=True) if v}
                for path, *values in cursor.fetchall()
            }
        changes = {p: d for p, d in changes.items() if d}
        report.mark("counting")

        # Changed members: remember who, then update them from the staging rows.
        cursor.execute("DROP TABLE IF EXISTS members_import_changed")
        temp = "CREATE TEMP TABLE members_import_changed" + (" ON COMMIT DROP" if pg else "")
        cursor.execute(
            f"{temp} AS SELECT m.id AS id, s.row_no AS row_no, m.phone_hash AS old_phone, "
            f"m.mobility AS old_mobility, m.lost_contact AS old_lost "
            f"FROM {STAGE} s JOIN members_member m ON m.id_number_hash = s.id_number_hash "
            f"WHERE {_changed_condition()}"
        )
        if report.updated:
            sets = [f"{c} = s.{c}" for c in COMPARED if c != "phone_hash"]
            sets += [
                "name_folded = s.name_folded",
                "phone_hash = s.phone_hash",
                # a new ciphertext only when the number changed
                "phone_enc = CASE WHEN m.phone_hash = s.phone_hash THEN m.phone_enc "
                "ELSE s.phone_enc END",
                "phone_masked = s.phone_masked",
                # what the template does not carry is kept while the state stays the same
                "mobility_since = CASE WHEN m.mobility = s.mobility THEN m.mobility_since END",
                "mobility_contact = CASE WHEN m.mobility = s.mobility THEN m.mobility_contact "
                "ELSE '' END",
                "attached_org_id = CASE WHEN s.mobility = 'inflow' THEN "
                "coalesce(CASE WHEN m.mobility = 'inflow' THEN m.attached_org_id END, s.org_id) END",
                "lost_since = CASE WHEN s.lost_contact THEN m.lost_since END",
                "found_on = CASE WHEN m.lost_contact AND NOT s.lost_contact THEN %s "
                "ELSE m.found_on END",
                "updated_at = %s",
            ]
            # SQLite's UPDATE … FROM does not let SET name the target's alias: qualify with
            # the table's name there.
            target = "members_member" if not pg else "m"
            set_sql = ", ".join(s.replace("m.", f"{target}.") for s in sets)
            alias = "" if not pg else " AS m"
            cursor.execute(
                f"UPDATE members_member{alias} SET {set_sql} FROM {STAGE} s "
                f"WHERE s.id_number_hash = {target}.id_number_hash "
                f"AND {target}.id IN (SELECT id FROM members_import_changed)",
                [today, now],
            )
            cursor.execute(
                f"{EVENT_INSERT} SELECT id, %s, %s, {json}, %s, %s FROM members_import_changed",
                [MemberEventKind.UPDATED, today, detail, actor_id, now],
            )

        # New members, with their entry in the roster. (Into an empty roster on PostgreSQL,
        # a first load took the other way: _load_first.)
        load = None
        if report.created:
            member_cols = [c for c in STAGE_COLUMNS if c != "row_no"]
            select_cols = ", ".join(f"s.{c}" for c in member_cols)
            inflow = "CASE WHEN s.mobility = 'inflow' THEN s.org_id END"
            event = f"%s, %s, {json}, %s, %s"
            event_args = [MemberEventKind.JOINED_ROSTER, today, detail, actor_id, now]
            load = None if pg else bulk_load_into_empty([MEMBERS])
            if load is not None and load.active:
                # SQLite, an empty roster: the row numbers as ids, the indexes built after
                cursor.execute(
                    f"INSERT INTO {MEMBERS} (id, {', '.join(member_cols)}, attached_org_id, "
                    f"created_at, updated_at) SELECT s.row_no, {select_cols}, {inflow}, %s, %s "
                    f"FROM {STAGE} s",
                    [now, now],
                )
                _entered(actor, job_id, today, after=0)
            else:
                new_members = (
                    f"INSERT INTO {MEMBERS} ({', '.join(member_cols)}, attached_org_id, "
                    f"created_at, updated_at) SELECT {select_cols}, {inflow}, %s, %s "
                    f"FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM {MEMBERS} m "
                    f"WHERE m.id_number_hash = s.id_number_hash) ORDER BY s.org_path, s.row_no"
                )
                if pg:
                    cursor.execute(
                        f"WITH new AS ({new_members} RETURNING id) {EVENT_INSERT} "
                        f"SELECT id, {event} FROM new",
                        [now, now, *event_args],
                    )
                    inserted = cursor.rowcount
                else:
                    # The transaction holds SQLite's write lock: every id above the old
                    # highest is one of ours, so one history entry covers them all.
                    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {MEMBERS}")
                    before = cursor.fetchone()[0]
                    cursor.execute(new_members, [now, now])
                    inserted = cursor.rowcount
                    _entered(actor, job_id, today, after=before)
                if all_new and inserted != report.created:
                    # (SQLite checked the rows before taking the lock) someone entered one
                    # of them meanwhile: the counts made for new members would be wrong
                    raise _changed_meanwhile()
        report.mark("inserting")
        if load is not None:
            load.restore()
        report.mark("indexes")
    if changes:
        org_counters.bump_many(changes)
    _record(report, actor, job_id)


def _write(
    report: ImportReport,
    actor: Any,
    ctx: Context,
    job_id: int | None,
    dry_run: bool,
    progress: Progress | None,
    gathered: Gathered,
    empty: bool,
) -> None:
    """Write the staged rows, when nothing is wrong and this is not a dry run."""
    if not report.ok or dry_run:
        raise _Rollback
    if progress is not None:
        progress(report.rows, report.rows, phase="writing")
    # (into an empty roster the index is built afterwards, and needs no such cache)
    big_cache = not ctx.postgres and not empty
    with _page_cache() if big_cache else contextlib.nullcontext(), transaction.atomic():
        if report.created or report.updated:
            _apply(report, actor, ctx, job_id, gathered)
        else:
            _record(report, actor, job_id)  # the same file again: nothing to write


#: SQLite's page cache while an import writes into a roster that has members, in KiB: room
#: for the ID number index of a province (1.3 million entries, about 100 MB), which every
#: new member's row is inserted into at a random place; with the connection's usual cache
#: most of those inserts would read and write pages outside it.
WRITE_CACHE_KIB = 256 * 1024


@contextlib.contextmanager
def _page_cache() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (usual,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(usual)}")


def _first_load() -> Any:
    """PostgreSQL, in the import's transaction: when the roster is empty (the first load of
    a province), the member table without its indexes and constraints
    (`bulk_load_into_empty`), for the rows to be copied straight in; None otherwise."""
    load = bulk_load_into_empty([MEMBERS])
    return load if load.active else None


def _load_first(
    load: Any,
    report: ImportReport,
    actor: Any,
    ctx: Context,
    job_id: int | None,
    gathered: Gathered,
) -> None:
    """The rest of a first load, its rows in the member table: the whole-file checks, then
    the indexes, history, counters and audit. Raises _Rollback when anything is wrong."""
    if not report.ok:
        _report(report, _duplicates(report, MEMBERS, "id") if gathered.may_repeat else [])
        raise _Rollback
    report.created = report.valid_rows
    # The unique index is built first: when it fails, the file has an ID number twice.
    try:
        with transaction.atomic():
            load.restore(MEMBERS)
    except IntegrityError:
        _report(report, _duplicates(report, MEMBERS, "id"))
        if report.ok:
            raise  # not a duplicate: the tree changed meanwhile
        raise _Rollback from None
    report.mark("indexes")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{MEMBERS}', 'id'), max(id)) FROM {MEMBERS}"
        )
    org_counters.bump_many(gathered.counts)  # every row is a new member
    report.mark("counters")
    _entered(actor, job_id, ctx.today, after=0)
    _record(report, actor, job_id)
    report.mark("recording")


def _entered(actor: Any, job_id: int | None, today: dt.date, *, after: int) -> None:
    """The new members' entry in the roster, for their history: one entry for the ids above
    `after`, which are all this import's (a first load numbers members by their rows; on
    SQLite the import holds the write lock), instead of a row per member."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {MEMBERS} WHERE id > %s", [after])
        first, last = cursor.fetchone()
    if first is None:
        return
    MemberEventRange.objects.create(
        first_id=first,
        last_id=last,
        kind=MemberEventKind.JOINED_ROSTER,
        on=today,
        detail={"source": "import", "job": job_id},
        actor=actor,
    )


def _record(report: ImportReport, actor: Any, job_id: int | None) -> None:
    audit_record(
        actor=actor,
        action="members.import",
        target_type="members.member",
        target_id=str(job_id or ""),
        target_label=report.file_name,
        after={
            "file": report.file_name,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "job": job_id,
        },
    )
