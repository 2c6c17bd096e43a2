"""Member export: any filtered roster to `.csv` or `.xlsx`, in exactly the import template.

The file is the roster import template (`template.py`: its headers, its Chinese labels, dates
as `template.DATE_FORMAT`), so an exported file imports again unchanged. Rules:

- **Formula injection.** Every free-text cell (name, ID number, organization code, phone,
  place) goes through `template.protect`; the labels and dates are the template's own and
  never start like a formula (checked when this module is imported). A text starting with
  `=`, `+`, `-`, `@`, a tab or a carriage return (or an apostrophe) is written behind one
  apostrophe, so no spreadsheet runs it; the importer drops that apostrophe again. In `.xlsx`
  every cell is also written as text (never a formula, number or link), and the columns are
  formatted as text so that an ID number stays 18 characters when edited.
- **Numbers.** ID and phone numbers are written in full only for a user whose
  `members.view_sensitive` reaches everything the export covers (`may_show_full`); otherwise
  their masked forms are. Each export writes an audit row (how many rows, the filters, the
  format, whether numbers were in full) and never a number.
- **Streaming.** Members are read in keyset batches on (org_path, id) of
  settings.MEMBER_EXPORT_BATCH (5,000) rows, decrypted a batch at a time; memory holds one
  batch whatever the size of the roster. A CSV is produced in chunks; an `.xlsx` is written
  by xlsxwriter in constant-memory mode (a row at a time, to a temporary file).
- **Size.** On the web, up to settings.MEMBER_EXPORT_STREAM_MAX (10,000) rows are sent at
  once in the response; more become a background job (`members.export`) whose file is
  downloaded from the job page.
- **The sheet limit.** An `.xlsx` sheet holds 1,048,576 rows. A larger export goes on in a
  second sheet (`花名册2`, then `花名册3`...), each starting with the same header row; the
  importer reads every sheet of a workbook. (CSV has no limit: the province in one file.)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import MEMBERS_VIEW, MEMBERS_VIEW_SENSITIVE
from massline.access.policy import can_anywhere, reaches_all_of, scoped
from massline.core import crypto, jobs
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden, NotFound
from massline.core.models import Job

from . import template
from .models import Member
from .selectors import FILTER_PARAMS, MemberFilter, filter_members, filters_from_params

FORMATS = ("csv", "xlsx")
JOB_KIND = "members.export"
#: Rows per sheet of an .xlsx workbook, the header included (Excel's limit).
XLSX_SHEET_ROWS = 1_048_576
SHEET_NAME = "花名册"
BOM = "\ufeff"
# What one export row is read from: (id, org_path) first, for the keyset.
_FIELDS = (
    "id",
    "org_path",
    "name",
    "gender",
    "ethnicity",
    "id_number_enc",
    "id_masked",
    "birth_date",
    "education",
    "category",
    "join_date",
    "full_date",
    "status",
    "org__code",
    "phone_enc",
    "phone_masked",
    "mobility",
    "mobility_place",
    "lost_contact",
)
# Column widths of the .xlsx sheet, in characters, in template order.
_WIDTHS = (12, 6, 10, 21, 12, 12, 10, 12, 12, 10, 20, 13, 9, 20, 9)

Row = tuple[str, ...]
Counter = Callable[[int], None]


def batch_size() -> int:
    return int(getattr(settings, "MEMBER_EXPORT_BATCH", 5_000))


def stream_max() -> int:
    """Up to this many rows a web export is sent at once; above it, a background job."""
    return int(getattr(settings, "MEMBER_EXPORT_STREAM_MAX", 10_000))


def format_of(path: Path) -> str:
    """The format a file name asks for (.csv or .xlsx)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ApplicationError(
            _("The roster is written as a .csv or .xlsx file, not %(name)s.") % {"name": path.name},
            field="output",
            code="bad_format",
        )
    return fmt


def may_show_full(user: Any, filters: MemberFilter) -> bool:
    """Full ID and phone numbers only when `members.view_sensitive` reaches every member the
    export can hold (everything the user's roster view reaches, within the filtered org)."""
    return can_anywhere(user, MEMBERS_VIEW_SENSITIVE) and reaches_all_of(
        user, MEMBERS_VIEW_SENSITIVE, of_perm=MEMBERS_VIEW, under=filters.org
    )


# -- rows ------------------------------------------------------------------------------------


def iter_rows(
    members: QuerySet[Member], *, full_numbers: bool, batch: int | None = None
) -> Iterator[Row]:
    """The members as template rows (without the header), in tree order, read in keyset
    batches of `batch` rows: the list is never loaded whole."""
    size = batch or batch_size()
    base = members.order_by("org_path", "id").values_list(*_FIELDS)
    last: tuple[str, int] | None = None
    while True:
        page = base
        if last is not None:
            path, pk = last
            # The cursor's bound comes first in the WHERE clause, before the scope's: SQLite
            # takes the first bounds on org_path as the index range (see member_queryset).
            page = (
                (Member.objects.filter(org_path__gte=path) & members)
                .filter(Q(org_path__gt=path) | Q(org_path=path, id__gt=pk))
                .order_by("org_path", "id")
                .values_list(*_FIELDS)
            )
        rows = list(page[:size])
        if not rows:
            return
        yield from _format(rows, full_numbers)
        if len(rows) < size:
            return
        last = (rows[-1][1], rows[-1][0])


def _format(rows: list[tuple[Any, ...]], full_numbers: bool) -> Iterator[Row]:
    # Dates: isoformat() is DATE_FORMAT (checked at import) and several times faster.
    gender, ethnicity = template.GENDER_LABELS, template.ETHNICITY_LABELS
    education, category = template.EDUCATION_LABELS, template.CATEGORY_LABELS
    status, mobility = template.STATUS_LABELS, template.MOBILITY_LABELS
    lost = template.LOST_CONTACT_LABELS
    # Only the cells of free text go through `protect`: the labels and dates are the
    # template's own, and none of them starts like a formula.
    protect = template.protect
    if full_numbers:
        numbers = crypto.decrypt_many([r[5] for r in rows])
        phones = iter(crypto.decrypt_many([r[14] for r in rows if r[14]]))
    for k, r in enumerate(rows):
        if full_numbers:
            number = numbers[k]
            phone = next(phones) if r[14] else ""
        else:
            number, phone = r[6], r[15]
        full_date: dt.date | None = r[11]
        yield (
            protect(r[2]),
            gender.get(r[3], ""),
            ethnicity.get(r[4], ""),
            protect(number),
            r[7].isoformat(),
            education.get(r[8], ""),
            category.get(r[9], ""),
            r[10].isoformat(),
            full_date.isoformat() if full_date else "",
            status.get(r[12], ""),
            protect(r[13]),
            protect(phone),
            mobility.get(r[16], ""),
            protect(r[17]),
            lost[bool(r[18])],
        )


assert template.DATE_FORMAT == "%Y-%m-%d", "the export writes dates with isoformat()"
_LABELS = (
    template.GENDER_LABELS,
    template.ETHNICITY_LABELS,
    template.EDUCATION_LABELS,
    template.CATEGORY_LABELS,
    template.STATUS_LABELS,
    template.MOBILITY_LABELS,
    template.LOST_CONTACT_LABELS,
)
assert all(template.protect(v) == v for labels in _LABELS for v in labels.values())


def _counted(rows: Iterable[Row], counter: Counter | None, every: int) -> Iterator[Row]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if counter is not None and done % every == 0:
            counter(done)
    if counter is not None:
        counter(done)


# -- writers ---------------------------------------------------------------------------------


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
    """The rows as a workbook in the template, a row at a time (constant memory); past the
    sheet limit, on further sheets with the same header. Every cell is text."""
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
            if line >= XLSX_SHEET_ROWS:
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


# -- recording -------------------------------------------------------------------------------


def describe_filters(filters: MemberFilter) -> dict[str, Any]:
    """The filters for the audit row; a search that holds digits (maybe an ID number) is
    recorded only as having been given."""
    out: dict[str, Any] = {}
    if filters.org is not None:
        out["org"] = filters.org.code
    q = filters.q.strip()
    if q:
        out["q"] = "***" if any(c.isdigit() for c in q) else q
    for key in ("status", "category", "ethnicity", "age", "mobility"):
        value = getattr(filters, key)
        if value:
            out[key] = value
    if filters.lost_contact is not None:
        out["lost_contact"] = filters.lost_contact
    return out


def record_export(
    *, actor: Any, filters: MemberFilter, fmt: str, count: int, full_numbers: bool
) -> None:
    audit_record(
        actor=actor,
        action="members.export",
        org=filters.org,
        target_type="members.member",
        after={
            "count": count,
            "format": fmt,
            "full_numbers": full_numbers,
            "filters": describe_filters(filters),
        },
    )


def download_name(filters: MemberFilter, fmt: str) -> str:
    """党员花名册-<organization>-<date>.<format>: what the user's browser saves."""
    parts = ["党员花名册"]
    if filters.org is not None:
        parts.append(re.sub(r'[\\/:*?"<>|\s]+', "_", filters.org.name))
    parts.append(timezone.localdate().strftime("%Y%m%d"))
    return "-".join(parts) + "." + fmt


def format_label(fmt: str) -> str:
    return _("Excel workbook (.xlsx)") if fmt == "xlsx" else _("CSV file (.csv)")


# -- the background job ----------------------------------------------------------------------


def job_params(query: dict[str, str], fmt: str, language: str) -> dict[str, Any]:
    return {
        "filters": {k: query[k] for k in FILTER_PARAMS if query.get(k)},
        "format": fmt,
        "language": language,
    }


def run_export_job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """`members.export`: the requesting user's filtered roster into the job's folder, with
    the user's rights as they are when the job runs."""
    user = job.actor
    fmt = job.params.get("format")
    if user is None or not user.is_active or fmt not in FORMATS:
        raise ApplicationError(_("This export can no longer be made."), code="invalid_job")
    if not can_anywhere(user, MEMBERS_VIEW):
        raise ApplicationError(_("You may no longer view the member roster."), code="forbidden")
    try:
        filters = filters_from_params(user, job.params.get("filters") or {})
    except (NotFound, Forbidden):
        raise ApplicationError(
            _("The organization of this export is no longer in your view."), code="forbidden"
        ) from None
    members = filter_members(scoped(Member.objects.all(), user, MEMBERS_VIEW), filters)
    full = may_show_full(user, filters)
    total = members.count()
    progress(0, total, phase="writing")
    name = f"members.{fmt}"
    count = write_file(
        iter_rows(members, full_numbers=full),
        jobs.folder(job) / name,
        fmt,
        counter=lambda done: progress(done, max(total, done)),
    )
    record_export(actor=user, filters=filters, fmt=fmt, count=count, full_numbers=full)
    return {
        "count": count,
        "format": fmt,
        "full_numbers": full,
        "files": [
            {
                "name": name,
                "label": format_label(fmt),
                "filename": download_name(filters, fmt),
            }
        ],
    }
