"""A campaign's coverage pages (decision 0020): members expected and reached at an
organization and each child (a click goes down one level), the members not yet reached a
page at a time, and at an organization where members take part, the list of them to record
who took part (or take a record back). Reads: coverage.py; rules: coverage_services.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from massline.access.permissions import CAMPAIGNS_RECORD
from massline.access.policy import access_org, can
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError, NotFound
from massline.members.rules import MEMBER_ORG_KINDS

from . import coverage, coverage_services
from .models import Reach, ReachWay
from .overview import overview_org
from .overview_views import above_in_campaign
from .selectors import campaign_for


class ReachForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    way = forms.ChoiceField(label=gettext_lazy("How"), choices=ReachWay.choices)


def _after(value: str) -> tuple[str, int] | None:
    path, _sep, pk = value.rpartition(":")
    return (path, int(pk)) if path and pk.isdigit() else None


@login_required
def coverage_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for(request.user, campaign_id)
    org = overview_org(request.user, campaign, request.GET.get("org"))
    cov = coverage.coverage(campaign, org)
    after = _after(request.GET.get("after", ""))
    context: dict[str, Any] = {
        "nav": "campaigns",
        "campaign": campaign,
        "cov": cov,
        "above": above_in_campaign(request.user, campaign, org),
        "first": after is None,
    }
    holds_members = org.kind in MEMBER_ORG_KINDS
    if holds_members and can(request.user, CAMPAIGNS_RECORD, org) and cov.own.participates:
        context["roster"] = coverage.expected_at(campaign, org)
        reached = coverage.reached_on(campaign, [m.pk for m in context["roster"]])
        for m in context["roster"]:
            m.reach = reached.get(m.pk)
        context["roster"].sort(key=lambda m: m.reach is not None)  # who is left, first
        context["recording"] = True
        context["form"] = ReachForm(initial={"on": timezone.localdate(), "way": ReachWay.MEETING})
    elif cov.own.missing or after is not None:
        rows, more = coverage.missing_page(campaign, org, after)
        context["listing"] = True
        context["missing"] = rows
        context["next_after"] = f"{more[0]}:{more[1]}" if more else ""
        context["hosted"] = (
            coverage.hosted_missing(campaign, org, cov.own.hosted) if after is None else []
        )
    return render(request, "campaigns/coverage.html", context)


@login_required
@require_POST
def reach_record(request: HttpRequest, campaign_id: int, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, CAMPAIGNS_RECORD)
    campaign = campaign_for(request.user, campaign_id)
    if not org.path.startswith(campaign.org_path):
        raise NotFound()
    back = reverse("campaigns:coverage", args=[campaign.pk]) + f"?org={org.pk}"
    form = ReachForm(request.POST)
    ids = [v for v in request.POST.getlist("members") if v.isdigit()]
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect(back)
    try:
        done = coverage_services.reach_record(
            actor=request_user(request),
            campaign=campaign,
            org=org,
            member_ids=[int(v) for v in ids],
            on=form.cleaned_data["on"],
            way=form.cleaned_data["way"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        text = _("%(added)d members recorded as having taken part.") % {"added": done.added}
        if done.already:
            text += " " + _("%(n)d were recorded already.") % {"n": done.already}
        messages.success(request, text)
    return redirect(back)


@login_required
@require_POST
def reach_withdraw(request: HttpRequest, campaign_id: int, member_id: int) -> HttpResponse:
    campaign = coverage_services.reach_campaign(request.user, campaign_id, member_id)
    org_id = Reach.objects.filter(campaign=campaign, member_id=member_id).values_list(
        "org_id", flat=True
    )[0]
    try:
        coverage_services.reach_withdraw(
            actor=request_user(request), campaign=campaign, member_id=member_id
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The record is taken back."))
    return redirect(reverse("campaigns:coverage", args=[campaign.pk]) + f"?org={org_id}")
