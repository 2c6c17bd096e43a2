"""The audit log pages: the rows in the reader's view, in words, filtered and paged, and the
export of what the filters keep."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from massline.accounts.requests import request_user
from massline.core import jobs
from massline.core.audit import action_labels
from massline.core.errors import Forbidden

from ..permissions import AUDIT_VIEW
from ..policy import can_anywhere
from . import export
from .selectors import audit_page, filters_from_params
from .words import describe


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    """The audit trail within the viewer's scope, newest first, keyset-paginated both ways."""
    if not can_anywhere(request.user, AUDIT_VIEW):
        raise Forbidden()
    filters = filters_from_params(request.user, request.GET.dict())
    page = audit_page(
        request.user,
        filters,
        before=request.GET.get("before", ""),
        after=request.GET.get("after", ""),
    )
    query = filters.params()
    context = {
        "nav": "audit",
        "events": describe(page.events),
        "filters": filters,
        "values": {k: request.GET.get(k, "") for k in ("date_from", "date_to", "person")},
        "actions": action_labels(),
        "older_url": f"?{urlencode({**query, 'before': page.older})}" if page.older else "",
        "newer_url": f"?{urlencode({**query, 'after': page.newer})}" if page.newer else "",
        "first_page": not page.newer,
        "query": query,
    }
    return render(request, "access/audit.html", context)


@login_required
@require_POST
def audit_export(request: HttpRequest) -> HttpResponse:
    """The rows the filters keep, to `.xlsx`, in a background job."""
    if not can_anywhere(request.user, AUDIT_VIEW):
        raise Forbidden()
    filters = filters_from_params(request.user, request.POST.dict())
    if filters.errors:
        sent = {k: v for k, v in request.POST.dict().items() if k != "csrfmiddlewaretoken"}
        return redirect(f"{reverse('access:audit')}?{urlencode(sent)}")
    job = jobs.enqueue(
        export.JOB_KIND, actor=request_user(request), params=export.job_params(filters.params())
    )
    return redirect("jobs:detail", job.pk)
