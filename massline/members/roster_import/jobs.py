"""Roster imports as background jobs: a dry run first, then, from a clean dry run, the import
itself (which checks the whole file again: the roster may have changed meanwhile). The pages,
the API and `massline worker` all go through here."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from massline.access.permissions import MEMBERS_MANAGE
from massline.access.policy import can_anywhere
from massline.core import jobs
from massline.core.errors import ApplicationError, Forbidden, NotFound
from massline.core.models import Job, JobStatus

from .importing import import_roster
from .reading import ENCODINGS
from .report import write_report_csv

JOB_KIND = "members.import"
#: Problems shown with a job (the page, the API); all of them are in its report file.
SHOWN_PROBLEMS = 1000
SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt")
#: How long the uploaded roster of a dry run is kept for importing it: it holds ID numbers in
#: clear, so it is deleted after that (and at once when it is imported).
KEEP_UPLOAD = dt.timedelta(hours=24)


def _input(job: Job) -> Path:
    return jobs.folder(job) / ("roster" + job.params.get("suffix", ".csv"))


def start_upload(
    *,
    actor: Any,
    chunks: Iterable[bytes],
    file_name: str,
    dry_run: bool = True,
    encoding: str = "auto",
) -> Job:
    """`start_import` of an upload (a page's or the API's), written to a spool file first;
    nothing is left behind when the import is refused."""
    spool = Path(settings.JOBS_DIR) / "uploads"
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=spool, delete=False) as handle:
        for chunk in chunks:
            handle.write(chunk)
    temp = Path(handle.name)
    try:
        return start_import(
            actor=actor,
            upload=temp,
            file_name=file_name or "roster.csv",
            dry_run=dry_run,
            encoding=encoding,
        )
    finally:
        temp.unlink(missing_ok=True)  # moved into the job's folder unless refused


def start_import(
    *, actor: Any, upload: Path, file_name: str, dry_run: bool = True, encoding: str = "auto"
) -> Job:
    """Queue an import of the uploaded file (moved into the job's folder)."""
    if not can_anywhere(actor, MEMBERS_MANAGE):
        raise Forbidden(_("You may not import members."))
    if encoding not in ENCODINGS:
        raise ApplicationError(
            _("Unknown encoding %(encoding)s.") % {"encoding": encoding}, field="encoding"
        )
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ApplicationError(
            _("%(name)s is neither a .csv nor an .xlsx file.") % {"name": Path(file_name).name},
            field="file",
            code="bad_file",
        )
    if upload.stat().st_size > settings.ROSTER_UPLOAD_MAX_BYTES:
        raise ApplicationError(
            _("The file is larger than %(mb)d MB.")
            % {"mb": settings.ROSTER_UPLOAD_MAX_BYTES // (1024 * 1024)},
            field="file",
        )
    params = {
        "file_name": Path(file_name).name[:200],
        "suffix": suffix,
        "encoding": encoding,
        "dry_run": dry_run,
        "language": get_language() or settings.LANGUAGE_CODE,
    }
    purge_stale_uploads()
    return jobs.enqueue(JOB_KIND, actor=actor, params=params, files={"roster" + suffix: upload})


def purge_stale_uploads(now: dt.datetime | None = None) -> int:
    """Delete the uploaded rosters of imports finished more than KEEP_UPLOAD ago; how many."""
    cutoff = (now or timezone.now()) - KEEP_UPLOAD
    removed = 0
    stale = Job.objects.filter(kind=JOB_KIND, finished_at__lt=cutoff).values_list("pk", "params")
    for pk, params in stale.iterator():
        path = Path(settings.JOBS_DIR) / str(pk) / ("roster" + params.get("suffix", ".csv"))
        if path.exists():
            path.unlink()
            removed += 1
    return removed


def get_import(*, actor: Any, job_id: int | str) -> Job:
    """An import job of this user; NotFound for anyone else's."""
    try:
        job = Job.objects.get(
            pk=int(job_id), kind=JOB_KIND, actor_id=getattr(actor, "pk", None) or -1
        )
    except (Job.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("There is no such import.")) from None
    return jobs.live(job)


def apply_import(*, actor: Any, job: Job) -> Job:
    """Import, for real, the file of a clean dry run."""
    if job.kind != JOB_KIND or job.actor_id != getattr(actor, "pk", None):
        raise NotFound(_("There is no such import."))
    if not job.params.get("dry_run") or job.status != JobStatus.DONE:
        raise ApplicationError(_("Only a finished dry run can be imported."), code="not_a_dry_run")
    if job.result.get("problem_count"):
        raise ApplicationError(
            _("The dry run found problems: correct the file and upload it again."),
            code="has_problems",
        )
    if job.result.get("applied_by_job"):
        raise ApplicationError(_("This file has already been imported."), code="already_applied")
    source = _input(job)
    if not source.exists():
        raise ApplicationError(
            _(
                "The file of this dry run is no longer kept (after %(hours)d hours): upload it again."
            )
            % {"hours": KEEP_UPLOAD.total_seconds() // 3600},
            code="upload_gone",
        )
    copy = source.with_name(source.name + ".apply")
    try:
        os.link(source, copy)  # the same bytes, without copying them
    except OSError:
        shutil.copyfile(source, copy)
    params = {**job.params, "dry_run": False, "dry_run_job": job.pk}
    applied = jobs.enqueue(
        JOB_KIND, actor=actor, params=params, files={"roster" + params["suffix"]: copy}
    )
    job.result = {**job.result, "applied_by_job": applied.pk}
    job.save(update_fields=["result"])
    return applied


def run_import(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    params = job.params
    report = import_roster(
        _input(job),
        actor=job.actor,
        dry_run=bool(params.get("dry_run", True)),
        file_name=params.get("file_name", ""),
        encoding=params.get("encoding", "auto"),
        progress=progress,
        job_id=job.pk,
    )
    result = report.as_dict(limit=SHOWN_PROBLEMS)
    if report.problems:
        write_report_csv(report, jobs.folder(job) / "report.csv")
        result["files"] = [{"name": "report.csv", "label": _("problem report (CSV)")}]
    if report.applied:
        _input(job).unlink(missing_ok=True)  # the roster's data now lives in the database
    return result


def recent_imports(*, actor: Any, limit: int = 10) -> list[Job]:
    return list(
        Job.objects.filter(kind=JOB_KIND, actor_id=getattr(actor, "pk", None) or -1).order_by(
            "-id"
        )[:limit]
    )
