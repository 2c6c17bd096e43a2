"""The schedule's pages: the preview of what applying it would change (paged, with counts) and
its apply; an override with its preview and apply; an organization's window in a campaign,
with its phase and its parent's window, and the button that moves its phase."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from massline.access.permissions import CAMPAIGNS_MANAGE, CAMPAIGNS_VIEW
from massline.access.policy import access_org, access_org_by_code, can
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError, Forbidden, NotFound

from . import phases, schedule, schedule_services, services
from .forms import OverrideForm
from .models import Batch, Campaign, ScheduleOverride
from .selectors import campaign_for, org_window, preview_page


def _page(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("page") or request.GET.get("page") or "1")
    except ValueError:
        return 1


@login_required
def schedule_preview(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """What applying the schedule would change; POST applies exactly that."""
    campaign = campaign_for(request.user, campaign_id, CAMPAIGNS_MANAGE)
    error = None
    if request.method == "POST":
        try:
            written = schedule_services.schedule_apply(
                actor=request_user(request), campaign=campaign, token=request.POST.get("token", "")
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("Schedule applied: %(new)s new, %(moved)s moved, %(removed)s removed.") % written,
            )
            return redirect("campaigns:detail", campaign.pk)
    return render(
        request,
        "campaigns/schedule.html",
        _plan_context(request, campaign, schedule.plan(campaign), error),
    )


def _plan_context(
    request: HttpRequest, campaign: Campaign, p: schedule.Plan | None, error: str | None
) -> dict[str, Any]:
    """A preview's page: one page of its changes with their organizations, and the error."""
    rows, pages = preview_page(p, _page(request)) if p is not None else ([], 1)
    return {
        "nav": "campaigns",
        "campaign": campaign,
        "plan": p,
        "rows": rows,
        "page": min(max(_page(request), 1), pages),
        "pages": pages,
        "error": error,
    }


@login_required
def override(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Dates set by hand: the form, then its preview, then (confirmed) the change."""
    campaign = campaign_for(request.user, campaign_id, CAMPAIGNS_MANAGE)
    form = OverrideForm(request.POST or request.GET or None, initial={"org": ""})
    p = None
    rows: list = []
    pages = 1
    page = 1
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            org = access_org_by_code(request.user, data["org"].strip(), CAMPAIGNS_MANAGE)
            values = {
                "campaign": campaign,
                "org": org,
                "subtree": data["subtree"],
                "starts_on": data["starts_on"],
                "ends_on": data["ends_on"],
                "reason": data["reason"],
            }
            if request.method == "POST" and request.POST.get("confirmed") == "1":
                schedule_services.override_set(
                    actor=request_user(request), token=request.POST.get("token", ""), **values
                )
                messages.success(request, _("Dates set for %(org)s.") % {"org": org.name})
                return redirect("campaigns:org", campaign.pk, org.pk)
            p = schedule_services.override_preview(**values)
            rows, pages = preview_page(p, _page(request))
            page = min(max(_page(request), 1), pages)
        except (NotFound, Forbidden):
            form.add_error(
                "org",
                _("You cannot set campaign dates at %(code)s.") % {"code": data["org"]},
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(
        request,
        "campaigns/override.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "form": form,
            "plan": p,
            "rows": rows,
            "pages": pages,
            "page": page,
        },
    )


@login_required
def org_schedule(request: HttpRequest, campaign_id: int, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, CAMPAIGNS_VIEW)
    campaign = campaign_for(request.user, campaign_id)
    if not org.path.startswith(campaign.org_path):
        raise NotFound()
    today = timezone.localdate()
    window = org_window(campaign, org, today)
    # Dates set by hand leave their reason on the row (or the row went with a batch change).
    own_override = (
        ScheduleOverride.objects.filter(campaign=campaign, org=org).first()
        if window.row is None or window.row.override_reason
        else None
    )
    parent_visible = bool(org.parent and can(request.user, CAMPAIGNS_VIEW, org.parent))
    return render(
        request,
        "campaigns/org.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "w": window,
            "parent_visible": parent_visible,
            "can_manage": can(request.user, CAMPAIGNS_MANAGE, org),
            "override": own_override,
            "can_clear": own_override is not None
            and not window.started
            and can(request.user, CAMPAIGNS_MANAGE, campaign.org)
            and can(request.user, CAMPAIGNS_MANAGE, org),
            "today": today,
        },
    )


@login_required
@require_POST
def phase_advance(request: HttpRequest, campaign_id: int, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, CAMPAIGNS_MANAGE)
    campaign = campaign_for(request.user, campaign_id)
    if not org.path.startswith(campaign.org_path):
        raise NotFound()
    try:
        row = services.phase_advance(actor=request_user(request), campaign=campaign, org=org)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(org)s moved to the phase “%(phase)s”.")
            % {"org": org.name, "phase": phases.phase_label(row.phase)},
        )
    return redirect("campaigns:org", campaign.pk, org.pk)


@login_required
def org_lookup(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """An organization's window by its code, from the campaign's page."""
    campaign = campaign_for(request.user, campaign_id)
    org = access_org_by_code(request.user, request.GET.get("code", "").strip(), CAMPAIGNS_VIEW)
    return redirect("campaigns:org", campaign.pk, org.pk)


# --- undoing (decision 0019): the preview is the confirmation; POST applies exactly that ------


def _confirm(
    request: HttpRequest,
    *,
    campaign: Campaign,
    preview: Callable[[], schedule.Plan],
    apply: Callable[[str], dict[str, int]],
    done: str,
    texts: dict[str, str],
) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            written = apply(request.POST.get("token", ""))
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, texts["done"] % written)
            return redirect(done)
    p = None
    try:
        p = preview()
    except ApplicationError as exc:
        error = exc.message  # the refusal, which also explains a failed apply
    return render(
        request,
        "campaigns/confirm_change.html",
        {**_plan_context(request, campaign, p, error), "back": done, **texts},
    )


@login_required
def override_clear(request: HttpRequest, campaign_id: int, org_id: int) -> HttpResponse:
    """An organization's dates set by hand, cleared: the preview of the computed dates coming
    back, then (confirmed) the change."""
    campaign = campaign_for(request.user, campaign_id, CAMPAIGNS_MANAGE)
    org = access_org(request.user, org_id, CAMPAIGNS_MANAGE)
    if not org.path.startswith(campaign.org_path):
        raise NotFound()
    return _confirm(
        request,
        campaign=campaign,
        preview=lambda: schedule_services.override_clear_preview(campaign=campaign, org=org),
        apply=lambda token: schedule_services.override_clear(
            actor=request_user(request), campaign=campaign, org=org, token=token
        ),
        done=reverse("campaigns:org", args=[campaign.pk, org.pk]),
        texts={
            "heading": _("Clear the dates set by hand for %(org)s") % {"org": org.name},
            "intro": _(
                "Its dates (and its subtree's) go back to those the rules give. Organizations "
                "that have started keep theirs."
            ),
            "confirm": _("Clear and apply these changes"),
            "done": _(
                "Dates set by hand cleared: %(new)s new, %(moved)s moved, %(removed)s removed."
            ),
        },
    )


@login_required
def batch_remove(request: HttpRequest, campaign_id: int, batch_id: int) -> HttpResponse:
    """A batch removed: the preview of where its organizations go, then (confirmed) the
    removal with that schedule."""
    campaign = campaign_for(request.user, campaign_id, CAMPAIGNS_MANAGE)
    batch = Batch.objects.filter(campaign=campaign, pk=batch_id).first()
    if batch is None:
        raise NotFound()
    return _confirm(
        request,
        campaign=campaign,
        preview=lambda: schedule_services.batch_remove_preview(campaign=campaign, batch=batch),
        apply=lambda token: schedule_services.batch_remove(
            actor=request_user(request), campaign=campaign, batch=batch, token=token
        ),
        done=reverse("campaigns:detail", args=[campaign.pk]),
        texts={
            "heading": _("Remove the batch %(batch)s") % {"batch": batch.name},
            "intro": _(
                "Its organizations go to the batch that selects them now, or leave the "
                "campaign. A batch whose organizations have started stays."
            ),
            "confirm": _("Remove the batch and apply these changes"),
            "done": _("Batch removed: %(new)s new, %(moved)s moved, %(removed)s removed."),
        },
    )
