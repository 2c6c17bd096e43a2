"""The pages of background jobs: a user's own jobs, one job with its progress (polled by
htmx while it runs), and the files it produced. A job is seen only by the user who asked for
it; anyone else gets 404, as for a job that does not exist."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import Template
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import get_template
from django.views.decorators.http import require_GET

from . import jobs, watch
from .errors import NotFound
from .models import Job, JobStatus

MY_JOBS = 50


def _own_job(request: HttpRequest, job_id: int) -> Job:
    job = Job.objects.filter(pk=job_id, actor_id=request.user.pk).first()
    if job is None:
        raise NotFound()
    jobs.live(job)
    return job


def result_template_name(kind: str) -> str:
    """The template a kind of job may provide for its result section."""
    return f"jobs/result/{kind.replace('.', '_')}.html"


def _result_template(kind: str) -> Template | None:
    try:
        return get_template(result_template_name(kind))  # type: ignore[return-value]
    except TemplateDoesNotExist:
        return None


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    rows = list(Job.objects.filter(actor_id=request.user.pk).order_by("-id")[:MY_JOBS])
    for job in rows:
        job.kind_label = jobs.label(job.kind)  # type: ignore[attr-defined]
    return render(request, "jobs/list.html", {"nav": "jobs", "jobs": rows})


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    context = {
        "nav": "jobs",
        "job": job,
        "kind_label": jobs.label(job.kind),
        "phase_label": jobs.phase_label(job.kind, job.phase) if job.phase else "",
        "files": (
            jobs.result_files(job)
            if job.status == JobStatus.DONE and not job.files_removed_at
            else []
        ),
        "result": job.result,
        # a job waiting while no consumer runs: say so rather than wait in silence
        "no_consumer": job.status == JobStatus.QUEUED
        and settings.JOBS_MODE != "immediate"
        and not watch.any_alive(),
        "result_template": _result_template(job.kind) if job.finished else None,
    }
    template = "jobs/detail.html#panel" if getattr(request, "htmx", False) else "jobs/detail.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def job_file(request: HttpRequest, job_id: int, name: str) -> FileResponse:
    job = _own_job(request, job_id)
    found = jobs.result_file(job, name) if job.status == JobStatus.DONE else None
    if found is None:
        raise NotFound()
    path, entry = found
    response = FileResponse(path.open("rb"), as_attachment=True, filename=entry["filename"])
    response["Cache-Control"] = "no-store"
    return response
