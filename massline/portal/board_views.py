"""The public board of an organization's commitments (整改承诺公开, decision 0022, "API and the
public board"): `/p/b/<org>/`, no login, phone-first, newest first with a link to older ones.
What it shows and leaves out is `rectification.board`'s."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from massline.core.errors import ApplicationError, http_status
from massline.rectification.board import board_org, commitments


@require_http_methods(["GET", "HEAD"])
def board(request: HttpRequest, org_id: str) -> HttpResponse:
    before = request.GET.get("before", "")[:60]
    try:
        org = board_org(org_id)
        rows, cursor = commitments(org, before=before)
    except ApplicationError as exc:
        return render(request, "portal/board.html", {"error": exc.message}, status=http_status(exc))
    return render(
        request,
        "portal/board.html",
        {"org": org, "commitments": rows, "next_before": cursor, "older": bool(before)},
    )
