"""/api/v1/rectification/orgs/{id}/export: start the export of an organization's ledger
(decision 0022, "The ledger export") as a job; poll GET /api/v1/jobs/{id} or the job's page.
Errors: 400 (an unknown filter value, with its field), 401, 404 (the organization outside the
caller's view), 422."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema

from massline.access.permissions import RECTIFICATION_VIEW
from massline.access.policy import access_org
from massline.accounts.requests import request_user
from massline.core.api_schemas import RequestBody, errors

from . import ledger_export

router = Router(tags=["rectification"])


class LedgerExportIn(RequestBody):
    state: str = ""
    kind: str = ""
    overdue: str = ""


class LedgerExportOut(Schema):
    id: int
    status: str
    url: str


@router.post(
    "/orgs/{org_id}/export",
    response={202: LedgerExportOut, **errors(400, 401, 404, 422)},
    summary="Export an organization's rectification ledger (.xlsx) as a job",
)
def ledger_export_start(
    request: HttpRequest, org_id: int, body: LedgerExportIn
) -> tuple[int, dict[str, Any]]:
    """Filters as on the ledger: `state`, `kind`, `overdue` ("1" or "0"), `{}` for none; a body
    that is not such an object is refused (422). Returns the job;
    its page (`url`) shows the progress and the file."""
    org = access_org(request.user, org_id, RECTIFICATION_VIEW)
    job = ledger_export.export_start(actor=request_user(request), org=org, filters=body.dict())
    return 202, {"id": job.pk, "status": job.status, "url": reverse("jobs:detail", args=[job.pk])}
