"""The ledger export's page (decision 0022, "The ledger export"): the ledger's filters and a
button; the export runs as a job and its page shows the progress and the file."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from massline.access.permissions import RECTIFICATION_VIEW
from massline.access.policy import access_org
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError

from . import ledger_export
from .evaluation_services import k as evaluation_k
from .models import FixKind, FixState


@login_required
def ledger_export_page(request: HttpRequest, org_id: int) -> HttpResponse:
    """GET: the filters (prefilled from the ledger's query); POST: start the export."""
    org = access_org(request.user, org_id, RECTIFICATION_VIEW)
    data = request.POST if request.method == "POST" else request.GET
    chosen = {k: data.get(k, "") for k in ledger_export.FILTERS}
    error = None
    if request.method == "GET":
        try:
            ledger_export.clean_filters(data)  # a ledger's link with a bad value says so
        except ApplicationError as exc:
            error = exc
    if request.method == "POST":
        try:
            job = ledger_export.export_start(actor=request_user(request), org=org, filters=data)
        except ApplicationError as exc:
            error = exc
        else:
            return redirect("jobs:detail", job.pk)
    return render(
        request,
        "rectification/export.html",
        {
            "org": org,
            "chosen": chosen,
            "error": error,
            "states": FixState.choices,
            "kinds": FixKind.choices,
            "k": evaluation_k(),
        },
        status=400 if error else 200,
    )
