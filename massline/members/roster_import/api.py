"""/api/v1/imports: roster imports as jobs. POST a file (a dry run unless dry_run=false: the
file is then checked whole and written only if nothing is wrong); GET the job for its status,
progress and per-row report; POST …/apply to import a clean dry run."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from massline.accounts.requests import request_user
from massline.core.api_schemas import errors, one_of
from massline.core.models import Job

from .jobs import apply_import, get_import, start_upload
from .reading import ENCODINGS

router = Router(tags=["imports"])


class ProblemOut(Schema):
    row: int | None
    column: str
    value: str
    message: str


class ImportOut(Schema):
    id: int
    status: str
    dry_run: bool
    file_name: str
    phase: str
    percent: int
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    blank_rows: int = 0
    problem_count: int = 0
    problems: list[ProblemOut] = []
    applied_by_job: int | None = None


def _out(job: Job) -> dict[str, Any]:
    r = job.result
    return {
        "id": job.pk,
        "status": job.status,
        "dry_run": bool(job.params.get("dry_run")),
        "file_name": job.params.get("file_name", ""),
        "phase": job.phase,
        "percent": job.percent,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        **{
            k: r.get(k, 0)
            for k in ("rows", "created", "updated", "unchanged", "blank_rows", "problem_count")
        },
        "problems": r.get("problems", []),
        "applied_by_job": r.get("applied_by_job"),
    }


@router.post(
    "/members",
    response={202: ImportOut, **errors(400, 401, 403, 422)},
    summary="Import a roster (.xlsx or .csv)",
)
def import_members(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
    dry_run: bool = Form(True),
    encoding: Annotated[str, one_of(ENCODINGS)] = Form("auto"),  # unknown: 400
) -> tuple[int, dict[str, Any]]:
    """Starts a job; poll GET /imports/{id}. Up to 1,000 problems come with the job."""
    job = start_upload(
        actor=request_user(request),
        chunks=file.chunks(),
        file_name=file.name or "",
        dry_run=dry_run,
        encoding=encoding,
    )
    return 202, _out(job)


@router.get(
    "/{job_id}",
    response={200: ImportOut, **errors(401, 404, 422)},
    summary="An import: status, progress, report",
)
def import_get(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return _out(get_import(actor=request_user(request), job_id=job_id))


@router.post(
    "/{job_id}/apply",
    response={202: ImportOut, **errors(400, 401, 403, 404, 422)},
    summary="Import a clean dry run",
)
def import_apply(request: HttpRequest, job_id: int) -> tuple[int, dict[str, Any]]:
    job = get_import(actor=request_user(request), job_id=job_id)
    return 202, _out(apply_import(actor=request_user(request), job=job))
