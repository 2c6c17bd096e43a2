"""The notice a user gets when a background job they started ends (导出已完成, 导入失败…).
core.jobs knows nothing of notices: it calls the hooks registered with `jobs.on_finished`,
and this module is one (subscribed from apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from massline.core import jobs
from massline.core.models import Job, JobStatus

from .kinds import register_notice_kind
from .services import send

JOB_FINISHED = "jobs.finished"


def _title(params: Mapping[str, Any]) -> str:
    what = jobs.label(str(params.get("job_kind", "")))
    if params.get("status") == JobStatus.DONE:
        return _("%(job)s has finished") % {"job": what}
    return _("%(job)s has failed") % {"job": what}


def _body(params: Mapping[str, Any]) -> str:
    if params.get("status") == JobStatus.DONE:
        return _("Open the job to see its result and download its files.")
    return _("Open the job to see what went wrong.")


def register() -> None:
    register_notice_kind(
        JOB_FINISHED, gettext_lazy("Background job finished"), title=_title, body=_body
    )


def job_finished(job: Job) -> None:
    """Tell the job's user that it ended, once per run (a job tried again ends again)."""
    if job.kind == jobs.QUEUE_CHECK:  # the system page's probe, not a user's work
        return
    if job.actor_id is None or job.status not in (JobStatus.DONE, JobStatus.FAILED):
        return
    send(
        [job.actor_id],
        JOB_FINISHED,
        f"job:{job.pk}:{job.attempts}:{job.status}",
        params={"job_kind": job.kind, "job": job.pk, "status": job.status},
        link=reverse("jobs:detail", args=[job.pk]),
    )
