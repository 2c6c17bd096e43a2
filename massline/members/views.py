"""Roster pages: the member list of a subtree with filters, a member's page with history,
and revealing a full ID or phone number (audited). Permission checks: access app."""

from __future__ import annotations

import tempfile
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from massline.access.permissions import MEMBERS_VIEW, MEMBERS_VIEW_SENSITIVE
from massline.access.policy import access_scoped, can, can_anywhere, scoped
from massline.core import crypto, jobs
from massline.core.audit import audit_record
from massline.core.reference import ETHNIC_GROUPS

from . import export
from .models import Category, Member, MemberStatus
from .selectors import FILTER_PARAMS, MemberFilter, filter_members, filters_from_params, member_list


def _filters(request: HttpRequest) -> tuple[MemberFilter, dict[str, Any]]:
    g = request.GET
    f = filters_from_params(request.user, g)
    query = {k: v for k, v in g.items() if k != "after" and v}
    return f, query


@login_required
def member_list_view(request: HttpRequest) -> HttpResponse:
    if not can_anywhere(request.user, MEMBERS_VIEW):
        raise PermissionDenied
    filters, query = _filters(request)
    visible = scoped(Member.objects.all(), request.user, MEMBERS_VIEW)
    members, cursor = member_list(
        visible=visible, filters=filters, after=request.GET.get("after", "")
    )
    context = {
        "nav": "members",
        "members": members,
        "cursor": cursor,
        "filters": filters,
        "query": query,
        "statuses": MemberStatus.choices,
        "categories": Category.choices,
        "ethnicities": ETHNIC_GROUPS,
        "age_bands": [
            ("under35", "35岁以下"),
            ("35to45", "35–45岁"),
            ("46to60", "46–60岁"),
            ("over60", "60岁以上"),
        ],
        "register": "lost" if filters.lost_contact else ("mobile" if filters.mobility else "all"),
        "export_query": urlencode({k: v for k, v in query.items() if k in FILTER_PARAMS}),
    }
    return render(request, "members/list.html", context)


@login_required
@require_POST
def member_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered roster (filters in the query string, as on the list page) as a file in
    the import template: sent at once up to `export.stream_max()` rows, else made by a
    background job, and the user is sent to the job's page."""
    if not can_anywhere(request.user, MEMBERS_VIEW):
        raise PermissionDenied
    fmt = request.POST.get("format", "")
    if fmt not in export.FORMATS:
        return HttpResponseBadRequest()
    filters = filters_from_params(request.user, request.GET)
    members = filter_members(scoped(Member.objects.all(), request.user, MEMBERS_VIEW), filters)
    limit = export.stream_max()
    count = members.order_by()[: limit + 1].count()
    if count > limit:
        job = jobs.enqueue(
            export.JOB_KIND,
            actor=request.user,
            params=export.job_params(request.GET.dict(), fmt, get_language()),
        )
        return redirect("jobs:detail", job.pk)
    full = export.may_show_full(request.user, filters)
    export.record_export(
        actor=request.user, filters=filters, fmt=fmt, count=count, full_numbers=full
    )
    rows = export.iter_rows(members, full_numbers=full)
    filename = export.download_name(filters, fmt)
    response: HttpResponseBase
    if fmt == "csv":
        response = StreamingHttpResponse(
            export.csv_chunks(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    else:
        # The workbook is written to an anonymous temporary file in constant memory, then
        # streamed from it; the file goes away when the response closes it.
        handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response)
        export.write_xlsx(rows, handle)
        handle.seek(0)
        response = FileResponse(handle, as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    member = access_scoped(
        Member.objects.select_related("org", "attached_org"),
        request.user,
        member_id,
        MEMBERS_VIEW,
        view_perm=MEMBERS_VIEW,
    )
    return render(
        request,
        "members/detail.html",
        {
            "nav": "members",
            "member": member,
            "events": list(member.events.select_related("actor")[:50]),
            "can_reveal": can(request.user, MEMBERS_VIEW_SENSITIVE, member.org),
        },
    )


@login_required
@require_POST
@sensitive_variables("number", "phone")
def member_reveal(request: HttpRequest, member_id: int) -> HttpResponse:
    """The full ID and phone number, for a role that needs them; every view is audited."""
    member = access_scoped(
        Member.objects.select_related("org"),
        request.user,
        member_id,
        MEMBERS_VIEW_SENSITIVE,
        view_perm=MEMBERS_VIEW,
    )
    number = crypto.decrypt(member.id_number_enc)
    phone = crypto.decrypt(member.phone_enc) if member.phone_enc else ""
    audit_record(
        actor=request.user,
        action="members.reveal",
        org=member.org,
        target=member,
        after={"fields": ["id_number", "phone"]},
    )
    response = render(
        request,
        "members/detail.html#revealed",
        {"member": member, "number": number, "phone": phone},
    )
    response["Cache-Control"] = "no-store"
    return response
