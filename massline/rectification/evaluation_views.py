"""A fix's evaluation by the public, for staff (decision 0022, "Evaluation by the public"):
the results of every round under the k rule, and the form that issues evaluation codes and
answers with their printable slips (a PDF; the codes exist nowhere else)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from massline.access.permissions import RECTIFICATION_MANAGE, RECTIFICATION_VIEW
from massline.access.policy import access_scoped, can
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError

from . import slips
from .evaluation_services import TOKENS_MAX, k, rework_min_answers, rework_share, rounds
from .evaluation_services import tokens_issue as issue
from .models import Fix


def _fix(request: HttpRequest, fix_id: int) -> Fix:
    return access_scoped(
        Fix.objects.select_related("org", "problem"),
        request_user(request),
        fix_id,
        RECTIFICATION_VIEW,
        view_perm=RECTIFICATION_VIEW,
    )


def _page(request: HttpRequest, fix: Fix, **extra: Any) -> HttpResponse:
    context = {
        "fix": fix,
        "rounds": rounds(fix),
        "k": k(),
        "rework_min": rework_min_answers(),
        "rework_share": f"{rework_share() * 100:g}%",
        "may_issue": can(request.user, RECTIFICATION_MANAGE, fix.org),
        "tokens_max": TOKENS_MAX,
        "evaluate_url": slips.evaluate_url(request),
        **extra,
    }
    return render(request, "rectification/evaluation.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def evaluation_page(request: HttpRequest, fix_id: int) -> HttpResponse:
    return _page(request, _fix(request, fix_id))


@login_required
@require_http_methods(["POST"])
def slips_issue(request: HttpRequest, fix_id: int) -> HttpResponse:
    """Issue `count` evaluation codes and answer with their slips as a PDF to save."""
    fix = _fix(request, fix_id)
    try:
        codes = issue(actor=request_user(request), fix=fix, count=request.POST.get("count"))
    except ApplicationError as exc:
        return _page(request, fix, error=exc.message, count=request.POST.get("count", ""))
    pdf = slips.slips_pdf(fix, codes, slips.evaluate_url(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = _("evaluation-slips-%(fix)s-round-%(round)s.pdf") % {"fix": fix.pk, "round": fix.round}
    disposition = content_disposition_header(True, name)
    if disposition:  # always, as there is a file name
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response
