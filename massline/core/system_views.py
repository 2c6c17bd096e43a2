"""The system administrators' pages for background work: every job that failed, with a
button to try it again, and the periodic tasks (计划任务) with their schedule, last and next
run, and a button to run one now. Only a system administrator (a superuser) sees them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import jobs, schedule, watch
from .errors import Forbidden, NotFound
from .models import Job, JobStatus, ScheduledRun

PAGE = 50


def _system_admin(request: HttpRequest) -> None:
    if not request.user.is_superuser:
        raise Forbidden(_("Only a system administrator may see the platform's background work."))


@login_required
@require_GET
def failed_jobs(request: HttpRequest) -> HttpResponse:
    _system_admin(request)
    status = request.GET.get("status") or JobStatus.FAILED
    if status not in JobStatus.values:
        status = JobStatus.FAILED
    rows = Job.objects.filter(status=status).select_related("actor").order_by("-id")
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    for job in page.object_list:
        job.kind_label = jobs.label(job.kind)  # type: ignore[attr-defined]
        job.retryable = (  # type: ignore[attr-defined]
            job.status == JobStatus.FAILED
            and jobs.registered(job.kind) is not None
            and job.files_removed_at is None
        )
    return render(
        request,
        "system/jobs.html",
        {
            "nav": "system",
            "page": page,
            "status": status,
            "statuses": JobStatus.choices,
        },
    )


@login_required
@require_POST
def retry_job(request: HttpRequest, job_id: int) -> HttpResponse:
    _system_admin(request)
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    again = jobs.retry(job, actor=request.user)
    messages.success(
        request,
        _("Job #%(id)s (%(kind)s) is queued again.")
        % {"id": again.pk, "kind": jobs.label(again.kind)},
    )
    return redirect("system:jobs")


@login_required
@require_GET
def scheduled_tasks(request: HttpRequest) -> HttpResponse:
    _system_admin(request)
    return render(
        request,
        "system/schedule.html",
        {"nav": "system", "rows": schedule.overview(), "consumer_alive": watch.any_alive()},
    )


@login_required
@require_GET
def scheduled_task(request: HttpRequest, name: str) -> HttpResponse:
    _system_admin(request)
    task = next((t for t in schedule.periodic_tasks() if t.name == name), None)
    if task is None:
        raise NotFound()
    runs = ScheduledRun.objects.filter(task=name).select_related("requested_by").order_by("-id")
    return render(
        request,
        "system/task.html",
        {
            "nav": "system",
            "task": task,
            "schedule": schedule.describe(task.cron),
            "next": schedule.next_due(task),
            "runs": runs[:PAGE],
        },
    )


@login_required
@require_POST
def run_task(request: HttpRequest, name: str) -> HttpResponse:
    _system_admin(request)
    run = schedule.run_now(name, actor=request.user)
    task = next(t for t in schedule.periodic_tasks() if t.name == name)
    messages.success(
        request,
        _("%(task)s is queued to run now (run #%(id)s).") % {"task": task.label, "id": run.pk},
    )
    return redirect("system:task", name)
