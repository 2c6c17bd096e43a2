"""Roster pages: the member list of a subtree with filters, a member's page with history,
and revealing a full ID or phone number (audited). Permission checks: access app."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from massline.access.permissions import (
    MEMBERS_MANAGE,
    MEMBERS_TRANSFER,
    MEMBERS_VIEW,
    MEMBERS_VIEW_SENSITIVE,
    ORGS_VIEW,
)
from massline.access.policy import (
    access_org,
    access_scoped,
    can,
    can_anywhere,
    scoped,
)
from massline.accounts.requests import request_user
from massline.core import jobs
from massline.core.errors import ApplicationError, Forbidden, NotFound
from massline.orgs.models import Organization
from massline.orgs.selectors import org_search

from . import roster_export, services
from .forms import (
    FoundForm,
    LostForm,
    MakeFullForm,
    MemberCreateForm,
    MobilityForm,
    TracingForm,
)
from .models import Member, Mobility
from .selectors import (
    filter_members,
    filters_from_params,
    member_history,
)
from .transfers.selectors import with_overdue


def _transfer_context(request: HttpRequest, member: Member) -> dict[str, Any]:
    """The member's transfers (those the viewer may see) and whether a new one may start."""
    visible = scoped(member.transfers.all(), request.user, MEMBERS_VIEW)
    transfers = list(
        with_overdue(visible).select_related("from_org", "to_org").order_by("-pk")[:20]
    )
    open_transfer = next((t for t in transfers if t.is_open), None)
    return {
        "transfers": transfers,
        "open_transfer": open_transfer,
        "can_transfer": open_transfer is None
        and not member.lost_contact
        and can(request.user, MEMBERS_TRANSFER, member.org),
    }


@login_required
@require_POST
def member_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered roster (filters in the query string, as on the list page) as a file in
    the import template: sent at once up to `roster_export.stream_max()` rows, else made by a
    background job, and the user is sent to the job's page."""
    if not can_anywhere(request.user, MEMBERS_VIEW):
        raise Forbidden()
    fmt = request.POST.get("format", "")
    if fmt not in roster_export.FORMATS:
        return HttpResponseBadRequest()
    filters = filters_from_params(request.user, request.GET)
    members = filter_members(scoped(Member.objects.all(), request.user, MEMBERS_VIEW), filters)
    limit = roster_export.stream_max()
    count = members.order_by()[: limit + 1].count()
    if count > limit:
        job = jobs.enqueue(
            roster_export.JOB_KIND,
            actor=request_user(request),
            params=roster_export.job_params(request.GET.dict(), fmt, get_language()),
        )
        return redirect("jobs:detail", job.pk)
    full = roster_export.may_show_full(request.user, filters)
    roster_export.record_export(
        actor=request_user(request), filters=filters, fmt=fmt, count=count, full_numbers=full
    )
    rows = roster_export.iter_rows(members, full_numbers=full)
    filename = roster_export.download_name(filters, fmt)
    response: HttpResponseBase
    if fmt == "csv":
        response = StreamingHttpResponse(
            roster_export.csv_chunks(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    else:
        # The workbook is written to an anonymous temporary file in constant memory, then
        # streamed from it; the file goes away when the response closes it.
        handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response)
        roster_export.write_xlsx(rows, handle)
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
            "events": member_history(member),
            "can_reveal": can(request.user, MEMBERS_VIEW_SENSITIVE, member.org),
            "can_manage": can(request.user, MEMBERS_MANAGE, member.org),
            **_transfer_context(request, member),
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
    number, phone = services.member_reveal(actor=request_user(request), member=member)
    response = render(
        request,
        "members/detail.html#revealed",
        {"member": member, "number": number, "phone": phone},
    )
    response["Cache-Control"] = "no-store"
    return response


# Keeping the roster: each form is a page of its own; a POST that succeeds goes back to the
# member's page with a message, one that fails shows the form again with the error next to
# its field.


def _apply_error(form: forms.Form, exc: ApplicationError) -> None:
    form.add_error(exc.field, exc.message)


def _managed_member(request: HttpRequest, member_id: int) -> Member:
    """The member, for a change: 404 outside what the user may see, 403 when the user may
    see but not keep the member's organization."""
    return access_scoped(
        Member.objects.select_related("org", "attached_org"),
        request.user,
        member_id,
        MEMBERS_MANAGE,
        view_perm=MEMBERS_VIEW,
    )


def _member_form(
    request: HttpRequest,
    member_id: int,
    *,
    form_class: type[forms.Form],
    initial: Callable[[Member], dict[str, Any]],
    apply: Callable[[Member, dict[str, Any]], str],
    title: str,
    submit: str,
    intro: str = "",
    form_css: str = "",
) -> HttpResponse:
    member = _managed_member(request, member_id)
    form = form_class(request.POST or None, initial=initial(member))
    if request.method == "POST" and form.is_valid():
        try:
            done = apply(member, form.cleaned_data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("members:detail", member.pk)
    return render(
        request,
        "members/form.html",
        {
            "nav": "members",
            "member": member,
            "form": form,
            "title": title,
            "submit": submit,
            "intro": intro,
            "form_css": form_css,
        },
    )


@login_required
def member_make_full_view(request: HttpRequest, member_id: int) -> HttpResponse:
    def apply(member: Member, data: dict[str, Any]) -> str:
        services.member_make_full(actor=request_user(request), member=member, on=data["full_date"])
        return _("%(name)s is now a full member.") % {"name": member.name}

    return _member_form(
        request,
        member_id,
        form_class=MakeFullForm,
        initial=lambda m: {"full_date": timezone.localdate()},
        apply=apply,
        title=_("Make full member"),
        submit=_("Make full member"),
    )


def _attached_org(request: HttpRequest, typed: str) -> Organization:
    """The local organization an inflow member takes part at, from its code or its name,
    among the branches the user sees."""
    typed = typed.strip()
    visible = scoped(
        Organization.objects.filter(kind__in=services.MEMBER_ORG_KINDS), request.user, ORGS_VIEW
    )
    by_code = visible.filter(code=typed.upper()).first()
    if by_code is not None:
        return by_code
    exact = list(visible.filter(name=typed)[:2])
    if len(exact) == 1:
        return exact[0]
    found = exact or org_search(visible=visible, q=typed, limit=2)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ApplicationError(
            _("No branch with this code or name in your scope."), field="attached_org"
        )
    raise ApplicationError(
        _("Several branches match: choose one from the list or type its code."),
        field="attached_org",
    )


@login_required
def member_mobility_view(request: HttpRequest, member_id: int) -> HttpResponse:
    def initial(m: Member) -> dict[str, Any]:
        return {
            "mobility": m.mobility,
            "since": m.mobility_since,
            "place": m.mobility_place,
            "contact": m.mobility_contact,
            "attached_org": m.attached_org.code if m.attached_org else "",
        }

    def apply(member: Member, data: dict[str, Any]) -> str:
        attached = None
        if data["mobility"] == Mobility.INFLOW and data["attached_org"].strip():
            attached = _attached_org(request, data["attached_org"])
        services.member_set_mobility(
            actor=request_user(request),
            member=member,
            mobility=data["mobility"],
            since=data["since"],
            place=data["place"],
            contact=data["contact"],
            attached_org=attached,
        )
        if not data["mobility"]:
            return _("%(name)s is no longer registered as mobile.") % {"name": member.name}
        return _("Mobility of %(name)s saved.") % {"name": member.name}

    return _member_form(
        request,
        member_id,
        form_class=MobilityForm,
        initial=initial,
        apply=apply,
        title=_("Mobility"),
        submit=_("Save"),
        intro=_(
            "Outflow: the member lives or works elsewhere for a long time. Inflow: a member "
            "from elsewhere who takes part in a local organization. Choose “not mobile” when "
            "the member is back."
        ),
        form_css="ml-mobility",
    )


@login_required
def org_options(request: HttpRequest) -> HttpResponse:
    """The branches in the user's scope whose code or name matches what is typed, as the
    options of the mobility form's list."""
    if not can_anywhere(request.user, MEMBERS_MANAGE):
        raise Forbidden()
    q = request.GET.get("attached_org", "").strip()[:64]
    visible = scoped(
        Organization.objects.filter(kind__in=services.MEMBER_ORG_KINDS), request.user, ORGS_VIEW
    )
    found = org_search(visible=visible, q=q, limit=20) if q else []
    return render(request, "members/_org_options.html", {"options": found})


@login_required
def member_lost_view(request: HttpRequest, member_id: int) -> HttpResponse:
    def apply(member: Member, data: dict[str, Any]) -> str:
        services.member_mark_lost(
            actor=request_user(request),
            member=member,
            since=data["lost_since"],
            notes=data["lost_notes"],
        )
        return _("%(name)s is marked as lost contact.") % {"name": member.name}

    return _member_form(
        request,
        member_id,
        form_class=LostForm,
        initial=lambda m: {},
        apply=apply,
        title=_("Mark as lost contact"),
        submit=_("Mark as lost contact"),
    )


@login_required
def member_found_view(request: HttpRequest, member_id: int) -> HttpResponse:
    def apply(member: Member, data: dict[str, Any]) -> str:
        services.member_mark_found(
            actor=request_user(request),
            member=member,
            on=data["found_on"],
            notes=data["notes"],
        )
        return _("%(name)s is in contact again.") % {"name": member.name}

    return _member_form(
        request,
        member_id,
        form_class=FoundForm,
        initial=lambda m: {"found_on": timezone.localdate()},
        apply=apply,
        title=_("Found again"),
        submit=_("Mark as found again"),
    )


@login_required
def member_tracing_view(request: HttpRequest, member_id: int) -> HttpResponse:
    def apply(member: Member, data: dict[str, Any]) -> str:
        services.member_set_tracing_notes(
            actor=request_user(request), member=member, notes=data["notes"]
        )
        return _("Tracing notes of %(name)s saved.") % {"name": member.name}

    return _member_form(
        request,
        member_id,
        form_class=TracingForm,
        initial=lambda m: {"notes": m.lost_notes},
        apply=apply,
        title=_("Tracing notes"),
        submit=_("Save"),
    )


@login_required
@sensitive_post_parameters("id_number", "phone")
def member_new(request: HttpRequest) -> HttpResponse:
    """A new member in a branch (`?org=<id>`): the ID number is checked by the service;
    the page never writes it back but in the field the user typed it into."""
    org_id = request.GET.get("org", "")
    if not org_id.isdigit():
        raise NotFound()
    org = access_org(request.user, org_id, MEMBERS_MANAGE)
    takes_members = org.kind in services.MEMBER_ORG_KINDS
    form = MemberCreateForm(request.POST or None)
    if request.method == "POST" and takes_members and form.is_valid():
        try:
            member = services.member_create(
                actor=request_user(request), org=org, **form.cleaned_data
            )
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(
                request, _("%(name)s is entered in the roster.") % {"name": member.name}
            )
            return redirect("members:detail", member.pk)
    return render(
        request,
        "members/new.html",
        {"nav": "members", "org": org, "form": form, "takes_members": takes_members},
    )
