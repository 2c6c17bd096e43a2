"""The hotline and petition import page: upload a file, read the dry run's per-row report,
confirm the import; and the blank template (decision 0021, "Hotline and petition import")."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from massline.access.permissions import OPINIONS_ENTER
from massline.access.policy import access_org
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError
from massline.members.roster_import.reading import ENCODINGS
from massline.orgs.models import Organization

from .hotline_import import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    REQUIRED,
    TEMPLATE_HEADERS,
    HotlineReport,
    hotline_import,
)
from .hotline_uploads import hotline_upload, kept_upload


def _page(
    request: HttpRequest,
    org: Organization,
    *,
    report: HotlineReport | None = None,
    key: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "opinions/hotline_import.html",
        {
            "nav": "opinions",
            "org": org,
            "report": report,
            "key": key,
            "error": error,
            "encoding": request.POST.get("encoding", "auto"),
            "required": [COLUMNS[k][0] for k in REQUIRED],
            "optional": [names[0] for k, names in COLUMNS.items() if k not in REQUIRED],
            "max_rows": MAX_ROWS,
            "max_mb": MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@login_required
def import_page(request: HttpRequest, org_id: int) -> HttpResponse:
    """GET: the upload form. POST: a dry run of the uploaded file and its report; a clean
    file is kept for the confirmation."""
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_ENTER)
    if request.method != "POST":
        return _page(request, org)
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, org, error=_("Choose a file (.xlsx or .csv)."), status=400)
    try:
        report, kept = hotline_upload(
            actor=user,
            org=org,
            chunks=upload.chunks(),
            file_name=upload.name or "",
            encoding=request.POST.get("encoding", "auto"),
            keep=True,
        )
    except ApplicationError as exc:
        return _page(request, org, error=exc.message, status=400)
    return _page(request, org, report=report, key=kept.name if kept else "")


@login_required
@require_POST
def import_confirm(request: HttpRequest, org_id: int) -> HttpResponse:
    """Import the file the dry run checked (kept under the key the page gives back)."""
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_ENTER)
    path = kept_upload(actor=user, key=request.POST.get("key", "")[:100])
    if path is None:
        return _page(
            request,
            org,
            error=_("The checked file is no longer here: upload it again."),
            status=400,
        )
    try:
        report = hotline_import(
            actor=user,
            org=org,
            path=path,
            file_name=request.POST.get("file_name", "")[:200],
            encoding=request.POST.get("encoding", "auto")
            if request.POST.get("encoding") in ENCODINGS
            else "auto",
            dry_run=False,
            token=request.POST.get("token", "")[:64],
        )
    except ApplicationError as exc:
        return _page(request, org, error=exc.message, status=400)
    finally:
        path.unlink(missing_ok=True)
    messages.success(
        request,
        _("%(n)d opinions were imported from %(name)s.")
        % {"n": report.added, "name": report.file_name},
    )
    return redirect("opinions:inbox", org_id=org.pk)


@login_required
def import_template(request: HttpRequest, org_id: int) -> FileResponse:
    """A blank workbook with the columns the import reads."""
    access_org(request_user(request), org_id, OPINIONS_ENTER)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "热线信访记录"
    sheet.append(list(TEMPLATE_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter in "ABCDEFGHIJ":
        sheet.column_dimensions[letter].width = 16
    sheet.column_dimensions["B"].width = 60
    out = io.BytesIO()
    book.save(out)
    return FileResponse(
        io.BytesIO(out.getvalue()),
        as_attachment=True,
        filename="热线信访导入模板.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
