"""Roster pages: the member list of a subtree with filters, a member's page with history,
and revealing a full ID or phone number (audited). Permission checks: access app."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from massline.access.permissions import MEMBERS_TRANSFER, MEMBERS_VIEW, MEMBERS_VIEW_SENSITIVE
from massline.access.policy import access_org, access_scoped, can, can_anywhere, scoped
from massline.core import crypto
from massline.core.audit import audit_record
from massline.core.reference import ETHNIC_GROUPS

from .models import Category, Member, MemberStatus, Mobility
from .selectors import AGE_BANDS, MemberFilter, member_list, with_overdue


def _filters(request: HttpRequest) -> tuple[MemberFilter, dict[str, Any]]:
    g = request.GET
    org = None
    if g.get("org", "").isdigit():
        org = access_org(request.user, g["org"], MEMBERS_VIEW)
    lost = {"1": True, "0": False}.get(g.get("lost_contact", ""))
    f = MemberFilter(
        org=org,
        q=g.get("q", "")[:64],
        status=g.get("status", "") if g.get("status") in MemberStatus.values else "",
        category=g.get("category", "") if g.get("category") in Category.values else "",
        ethnicity=g.get("ethnicity", "") if g.get("ethnicity") in dict(ETHNIC_GROUPS) else "",
        age=g.get("age", "") if g.get("age") in AGE_BANDS else "",
        mobility=g.get("mobility", "") if g.get("mobility") in [*Mobility.values, "any"] else "",
        lost_contact=lost,
    )
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
    }
    return render(request, "members/list.html", context)


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
