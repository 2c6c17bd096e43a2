"""The audit log to `.xlsx`: a background job (`access.audit_export`) that writes the rows
the reader's filters keep, in words, newest first, in constant memory (past a sheet's
limit on further sheets), with the reader's rights as they are when the job runs. The
export is itself audited against the organizations it covers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from massline.core import jobs
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError
from massline.core.models import Job

from ..permissions import AUDIT_VIEW
from ..policy import can_anywhere, covered_orgs
from .selectors import FILTER_PARAMS, AuditFilter, audit_queryset, filters_from_params
from .words import Entry, describe

if TYPE_CHECKING:
    from massline.accounts.models import User

JOB_KIND = "access.audit_export"
SHEET_ROWS = 1_048_576  # Excel's limit, the header included
CHUNK = 1_000
FILENAME = "audit.xlsx"


def job_params(query: dict[str, str]) -> dict[str, Any]:
    return {"filters": {k: query[k] for k in FILTER_PARAMS if query.get(k)}}


def headers() -> list[str]:
    return [
        _("Time"),
        _("Person"),
        _("Action"),
        pgettext("audit log", "Organization"),
        _("Target"),
        _("What changed"),
    ]


def _entries(qs: Any) -> Iterator[Entry]:
    """The rows in words, newest first, a chunk at a time (keyset on the id)."""
    last: int | None = None
    while True:
        page = qs.select_related("actor").order_by("-pk")
        if last is not None:
            page = page.filter(pk__lt=last)
        events = list(page[:CHUNK])
        if not events:
            return
        yield from describe(events)
        last = events[-1].pk


def _cells(entry: Entry) -> list[str]:
    when = timezone.localtime(entry.event.created_at).strftime("%Y-%m-%d %H:%M:%S")
    return [when, entry.actor, entry.action, entry.org, entry.target, entry.summary()]


def write_workbook(entries: Iterator[Entry], path: Any, counter: Any = None) -> int:
    import xlsxwriter  # only exports need it

    part = f"{path}.part"
    count = 0
    try:
        book = xlsxwriter.Workbook(
            part,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        bold = book.add_format({"bold": True})
        sheets = 0
        line = SHEET_ROWS

        for entry in entries:
            if line >= SHEET_ROWS:
                sheets += 1
                sheet = book.add_worksheet(_("Audit log") + (f"{sheets}" if sheets > 1 else ""))
                for col, (title, width) in enumerate(
                    zip(headers(), (20, 12, 24, 24, 24, 60), strict=True)
                ):
                    sheet.set_column(col, col, width)
                    sheet.write_string(0, col, title, bold)
                sheet.freeze_panes(1, 0)
                line = 1
            for col, value in enumerate(_cells(entry)):
                if value:
                    sheet.write_string(line, col, value)
            line += 1
            count += 1
            if counter is not None and count % CHUNK == 0:
                counter(count)
        if sheets == 0:
            sheet = book.add_worksheet(_("Audit log"))
            for col, title in enumerate(headers()):
                sheet.write_string(0, col, title, bold)
        book.close()
        os.replace(part, path)
    except BaseException:
        if os.path.exists(part):
            os.unlink(part)
        raise
    return count


@transaction.atomic
def record_export(*, actor: User, filters: AuditFilter, count: int) -> None:
    """The export's own audit rows: against the organization filtered on, else against each
    organization at the top of the reader's view, so every level above sees it."""
    after = {"count": count, "format": "xlsx", "filters": filters.params()}
    for org in covered_orgs(actor, AUDIT_VIEW, filters.org):
        audit_record(
            actor=actor, action=JOB_KIND, org=org, target_type="core.auditevent", after=after
        )


def run_audit_export(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    user = job.actor
    if user is None or not user.is_active or not can_anywhere(user, AUDIT_VIEW):
        raise ApplicationError(_("You may no longer view the audit log."), code="forbidden")
    filters = filters_from_params(user, job.params.get("filters") or {})
    if filters.errors:
        raise ApplicationError(" ".join(filters.errors.values()), code="invalid_job")
    qs = audit_queryset(user, filters)
    # rows written after the job started are left for the next export
    newest = qs.order_by("-pk").values_list("pk", flat=True).first()
    qs = qs.filter(pk__lte=newest or 0)
    total = qs.count()
    progress(0, total, phase="writing")
    count = write_workbook(
        _entries(qs), jobs.folder(job) / FILENAME, lambda done: progress(done, total)
    )
    record_export(actor=user, filters=filters, count=count)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return {
        "count": count,
        "files": [
            {
                "name": FILENAME,
                "label": "Excel (.xlsx)",
                "filename": f"{_('Audit log')}-{stamp}.xlsx",
            }
        ],
    }
