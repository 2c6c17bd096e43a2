"""Import pages: upload a roster (a dry run always comes first), follow the job, read the
per-row report, then import the checked file; download the blank template."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from massline.access.permissions import MEMBERS_MANAGE
from massline.access.policy import can_anywhere
from massline.accounts.requests import request_user
from massline.core import jobs
from massline.core.errors import ApplicationError, Forbidden, NotFound, http_status
from massline.core.htmx import wants_fragment
from massline.core.models import Job
from massline.members import template

from .jobs import apply_import, get_import, recent_imports, start_upload
from .reading import ENCODINGS


def _job_or_404(request: HttpRequest, job_id: int) -> Job:
    return get_import(actor=request_user(request), job_id=job_id)


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    if not can_anywhere(request.user, MEMBERS_MANAGE):
        raise Forbidden()
    error = ""
    status = 200
    encoding = request.POST.get("encoding", "auto")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a roster file (.xlsx or .csv).")
            status = 400
        else:
            try:
                job = start_upload(
                    actor=request_user(request),
                    chunks=upload.chunks(),
                    file_name=upload.name or "",
                    dry_run=True,
                    encoding=encoding if encoding in ENCODINGS else "auto",
                )
            except ApplicationError as exc:
                error = exc.message
                status = http_status(exc)  # 503 when the queue cannot be reached
            else:
                return redirect("members:import_job", job_id=job.pk)
    recent = recent_imports(actor=request_user(request))
    return render(
        request,
        "members/import.html",
        {
            "nav": "members",
            "error": error,
            "encoding": encoding,
            "headers": template.REQUIRED_HEADERS,
            "optional_headers": template.OPTIONAL_HEADERS,
            "recent": recent,
            "max_mb": settings.ROSTER_UPLOAD_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    context = {
        "nav": "members",
        "job": job,
        "result": job.result,
        "problems": job.result.get("problems", []),
        "applied_job": job.result.get("applied_by_job"),
        "can_apply": job.params.get("dry_run")
        and job.status == "done"
        and not job.result.get("problem_count")
        and not job.result.get("applied_by_job"),
    }
    if wants_fragment(request, "import-status") and not job.finished:
        return render(request, "members/import_job.html#status", context)
    if wants_fragment(request, "import-status"):
        # finished: the whole page shows the report; htmx follows the redirect header
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "members/import_job.html", context)


@login_required
@require_POST
def import_apply(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    try:
        applied = apply_import(actor=request_user(request), job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("members:import_job", job_id=job.pk)
    return redirect("members:import_job", job_id=applied.pk)


@login_required
def import_report(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job_or_404(request, job_id)
    path = jobs.folder(job) / "report.csv"
    if not path.is_file():
        raise NotFound()
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"导入问题清单-{job.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
def import_template(request: HttpRequest, fmt: str) -> FileResponse:
    """The blank roster template."""
    if not can_anywhere(request.user, MEMBERS_MANAGE):
        raise Forbidden()
    if fmt == "csv":
        data = ("\ufeff" + ",".join(template.HEADERS) + "\r\n").encode("utf-8")
        content_type = "text/csv; charset=utf-8"
    else:
        data = template.blank_workbook()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=f"党员花名册模板.{fmt}",
        content_type=content_type,
    )
