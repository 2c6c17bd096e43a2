"""/api/v1/opinions/imports: a hotline or petition spreadsheet checked (`dry_run`, the
default) or imported into an organization's opinions (decision 0021, "Hotline and petition
import"). Importing needs the `token` the dry run of the same file answered."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from massline.access.permissions import OPINIONS_ENTER
from massline.access.policy import access_org
from massline.accounts.requests import request_user
from massline.core.api_schemas import errors, one_of
from massline.members.roster_import.reading import ENCODINGS

from .hotline_uploads import hotline_upload

router = Router(tags=["opinions"])


class HotlineProblemOut(Schema):
    """`row` as the spreadsheet numbers it (the header is row 1); None: the whole file."""

    row: int | None
    column: str
    value: str
    message: str


class HotlineReportOut(Schema):
    """`added`: rows that would be (dry run) or were imported; `refused`: rows with a
    problem; `duplicates`: rows whose ticket was imported before or repeats in the file.
    `token`: give it back with `dry_run=false` to import the same file."""

    dry_run: bool
    file_name: str
    rows: int
    added: int
    refused: int
    duplicates: int
    problem_count: int
    problems: list[HotlineProblemOut]
    token: str
    applied: bool


@router.post(
    "/imports",
    response={200: HotlineReportOut, **errors(400, 401, 403, 404, 422)},
    summary="Check or import a hotline or petition spreadsheet (.xlsx or .csv)",
)
def hotline_import_post(
    request: HttpRequest,
    org: int = Query(..., ge=1, le=2**31 - 1),
    file: UploadedFile = File(...),  # noqa: B008
    dry_run: bool = Form(True),
    token: str = Form("", max_length=64),
    encoding: Annotated[str, one_of(ENCODINGS)] = Form("auto"),
) -> dict[str, Any]:
    """A dry run answers the report and writes nothing; `dry_run=false` with the dry run's
    `token` imports every row or none (400 when a row has a problem)."""
    user = request_user(request)
    target = access_org(user, org, OPINIONS_ENTER)
    report, _kept = hotline_upload(
        actor=user,
        org=target,
        chunks=file.chunks(),
        file_name=file.name or "",
        encoding=encoding,
        dry_run=dry_run,
        token=token,
    )
    return report.as_dict()
