"""The opinion box poster for staff (decision 0021): a page with its preview and the PDF and
PNG to download, for an organization where the user may read opinions. The poster itself:
poster.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from massline.access.permissions import OPINIONS_VIEW
from massline.access.policy import access_org
from massline.orgs.models import Organization

from . import poster


@login_required
def poster_page(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, OPINIONS_VIEW)
    context = {
        "org": org,
        "box_url": poster.box_url(org, request),
        "missing": "".join(poster.missing_characters(org.name)),
    }
    return render(request, "opinions/poster.html", context)


_TYPES = {"pdf": "application/pdf", "png": "image/png"}


def _file(request: HttpRequest, org: Organization, content: bytes, kind: str) -> HttpResponse:
    """The poster file, shown in the browser, or saved with `?download=1`."""
    response = HttpResponse(content, content_type=_TYPES[kind])
    name = _("opinion-box-poster-%(code)s.%(kind)s") % {"code": org.code, "kind": kind}
    disposition = content_disposition_header(bool(request.GET.get("download")), name)
    if disposition:  # always, as there is a file name
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def poster_pdf(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, OPINIONS_VIEW)
    return _file(request, org, poster.poster_pdf(org, poster.box_url(org, request)), "pdf")


@login_required
def poster_png(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, OPINIONS_VIEW)
    return _file(request, org, poster.poster_png(org, poster.box_url(org, request)), "png")
