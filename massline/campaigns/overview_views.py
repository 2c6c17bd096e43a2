"""The campaign overview's pages: the Gantt chart of the children's windows with the figures
per level at an organization (a click on a bar or a row goes down one level), and the lists
of organizations in its subtree (not started, and those other apps register), paged by path
and exported to `.xlsx` in the background. Reads: overview.py; access: the access app."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from massline.access.permissions import CAMPAIGNS_VIEW
from massline.access.policy import can
from massline.accounts.requests import request_user
from massline.orgs.models import Organization
from massline.orgs.paths import ancestor_ids

from . import overview_export
from .models import Campaign
from .overview import Overview, list_page, org_list, overview, overview_org, registered_lists
from .selectors import campaign_for


def gantt_data(ov: Overview) -> dict[str, Any]:
    """What static/js/gantt.js draws: one row per child, its span, and its drill-down link."""
    base = reverse("campaigns:overview", args=[ov.campaign.pk])
    return {
        "today": ov.today.isoformat(),
        "labels": {
            "today": _("today"),
            "started": _("started"),
            "total": _("organizations"),
            "waves": _("windows open"),
        },
        "rows": [
            {
                "name": b.org.name,
                "group": f"{b.level_label} {b.region}".strip(),
                "start": b.starts_on.isoformat(),
                "end": b.ends_on.isoformat(),
                "last_start": b.last_start.isoformat(),
                "count": b.participating,
                "started": b.started,
                "url": f"{base}?org={b.org.pk}",
            }
            for b in ov.bars
        ],
    }


def above_in_campaign(user: Any, campaign: Campaign, org: Organization) -> list[Any]:
    """The organizations above this one, up to the campaign's, that the user may view."""
    ids = ancestor_ids(org.path, include_self=False)
    found = Organization.objects.in_bulk(ids)
    return [
        found[i]
        for i in ids
        if i in found
        and found[i].path.startswith(campaign.org_path)
        and can(user, CAMPAIGNS_VIEW, found[i])
    ]


@login_required
def campaign_overview(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for(request.user, campaign_id)
    org = overview_org(request.user, campaign, request.GET.get("org"))
    ov = overview(campaign, org, timezone.localdate())
    return render(
        request,
        "campaigns/overview.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "ov": ov,
            "above": above_in_campaign(request.user, campaign, org),
            "gantt": gantt_data(ov),
            "lists": registered_lists(),
        },
    )


@login_required
def org_list_page(request: HttpRequest, campaign_id: int, code: str) -> HttpResponse:
    campaign = campaign_for(request.user, campaign_id)
    org = overview_org(request.user, campaign, request.GET.get("org"))
    lst = org_list(code)
    today = timezone.localdate()
    rows, after = list_page(lst, campaign, org, today, request.GET.get("after", ""))
    return render(
        request,
        "campaigns/overview_list.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "org": org,
            "lst": lst,
            "rows": rows,
            "after": after,
            "today": today,
            "first": not request.GET.get("after"),
        },
    )


@login_required
@require_POST
def org_list_export(request: HttpRequest, campaign_id: int, code: str) -> HttpResponse:
    campaign = campaign_for(request.user, campaign_id)
    org = overview_org(request.user, campaign, request.POST.get("org"))
    org_list(code)
    job = overview_export.export_start(
        actor=request_user(request), campaign=campaign, org=org, code=code
    )
    return redirect("jobs:detail", job.pk)
