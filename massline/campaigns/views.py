"""Campaign pages: the list, a new campaign from a template, the templates and their copies, a
campaign with its batches, and a batch's selection with the count it selects. The schedule,
overrides and an organization's window are in schedule_views.py. Permission checks: access app
and `selectors.campaign_for`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import CAMPAIGNS_MANAGE, CAMPAIGNS_VIEW
from massline.access.policy import (
    access_org_by_code,
    can,
    can_anywhere,
    scope_roots,
    scoped,
    sees_whole_subtree,
)
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError, Forbidden, NotFound
from massline.orgs.models import DivisionLevel, OrgKind, UnitType

from . import services
from .forms import BatchForm, CampaignForm, TemplateCopyForm
from .models import Batch, Participation, ScheduleOverride
from .selectors import batches_of, campaign_for, campaigns_visible, templates_for


def _refuse_unless_anywhere(request: HttpRequest, perm: str) -> None:
    if not can_anywhere(request.user, perm):
        raise Forbidden()


def _form_error(form: Any, exc: ApplicationError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    _refuse_unless_anywhere(request, CAMPAIGNS_VIEW)
    campaigns = list(campaigns_visible(request.user)[:200])
    return render(
        request,
        "campaigns/list.html",
        {
            "nav": "campaigns",
            "campaigns": campaigns,
            "can_create": can_anywhere(request.user, CAMPAIGNS_MANAGE),
        },
    )


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    _refuse_unless_anywhere(request, CAMPAIGNS_MANAGE)
    templates = list(templates_for(request.user))
    roots = scope_roots(request.user, CAMPAIGNS_MANAGE)
    initial: dict[str, Any] = {"org": roots[0].code if roots else ""}
    chosen = next((t for t in templates if t.code == request.GET.get("template")), None)
    if chosen is not None:
        initial.update(template=chosen.code, title=chosen.title)
    form = CampaignForm(request.POST or None, templates=templates, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = access_org_by_code(request.user, data["org"].strip(), CAMPAIGNS_MANAGE)
            campaign = services.campaign_create(
                actor=request_user(request),
                template=next(t for t in templates if t.code == data["template"]),
                org=org,
                title=data["title"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except ApplicationError as exc:
            if isinstance(exc, NotFound | Forbidden):
                exc = ApplicationError(
                    _("You cannot run campaigns at %(code)s.") % {"code": data["org"]},
                    field="org",
                )
            _form_error(form, exc)
        else:
            messages.success(request, _("Campaign created. Check its batches, then its schedule."))
            return redirect("campaigns:detail", campaign.pk)
    return render(request, "campaigns/new.html", {"nav": "campaigns", "form": form})


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    _refuse_unless_anywhere(request, CAMPAIGNS_VIEW)
    templates = templates_for(request.user).prefetch_related("phases", "batches")
    return render(
        request,
        "campaigns/templates.html",
        {
            "nav": "campaigns",
            "templates": templates,
            "can_manage": can_anywhere(request.user, CAMPAIGNS_MANAGE),
        },
    )


@login_required
def template_copy(request: HttpRequest, template_id: int) -> HttpResponse:
    _refuse_unless_anywhere(request, CAMPAIGNS_MANAGE)
    template = templates_for(request.user).filter(pk=template_id).first()
    if template is None:
        raise NotFound()
    roots = scope_roots(request.user, CAMPAIGNS_MANAGE)
    form = TemplateCopyForm(
        request.POST or None,
        initial={
            "org": roots[0].code if roots else "",
            "code": f"{template.code}-copy",
            "title": template.title,
            "level_offset_days": template.level_offset_days,
            "subordinate_offset_days": template.subordinate_offset_days,
            "min_concentrated_months": template.min_concentrated_months,
            "villages_flexible": template.villages_flexible,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = access_org_by_code(request.user, data.pop("org").strip(), CAMPAIGNS_MANAGE)
            services.template_copy(actor=request_user(request), template=template, org=org, **data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your template is ready."))
            return redirect("campaigns:templates")
    return render(
        request,
        "campaigns/template_copy.html",
        {"nav": "campaigns", "form": form, "template": template},
    )


@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = campaign_for(request.user, campaign_id)
    today = timezone.localdate()
    # Figures and overrides of the organizations in the user's view only.
    rows = scoped(Participation.objects.filter(campaign=campaign), request.user, CAMPAIGNS_VIEW)
    overrides = scoped(
        ScheduleOverride.objects.filter(campaign=campaign), request.user, CAMPAIGNS_VIEW
    )
    per_batch = dict(rows.values_list("batch").annotate(n=Count("id")).order_by())
    started = rows.filter(starts_on__lte=today).count()
    batches = batches_of(campaign)
    return render(
        request,
        "campaigns/detail.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "phases": list(campaign.phases.all()),
            "batches": [(b, _selection_words(b), per_batch.get(b.pk, 0)) for b in batches],
            "scheduled": sum(per_batch.values()),
            "started": started,
            "overrides": list(overrides.select_related("org").order_by("org_path")[:100]),
            "can_manage": can(request.user, CAMPAIGNS_MANAGE, campaign.org),
            "today": today,
            "sees_all": sees_whole_subtree(request.user, CAMPAIGNS_VIEW, campaign.org),
        },
    )


def _selection_words(batch: Batch) -> str:
    """A batch's selection in words: its criteria's labels and its picks."""
    if batch.rest:
        parts = [str(_("every organization not in another batch"))]
    else:
        levels = dict(DivisionLevel.choices)
        kinds = dict(OrgKind.choices)
        units = dict(UnitType.choices)
        parts = [
            "、".join(str(levels.get(v, v)) for v in batch.levels),
            "、".join(str(kinds.get(v, v)) for v in batch.kinds),
            "、".join(str(units.get(v, v)) for v in batch.unit_types),
        ]
    picks = [("+" if p.include else "−") + p.org.name for p in batch.picks.all()]
    return " · ".join(p for p in [*parts, *picks] if p)


def _batch_initial(batch: Batch) -> dict[str, Any]:
    picks = "\n".join(
        f"{'+' if p.include else '-'}{p.org.code}" for p in batch.picks.select_related("org")
    )
    return {
        "name": batch.name,
        "scope": batch.scope,
        "starts_on": batch.starts_on,
        "ends_on": batch.ends_on,
        "levels": batch.levels,
        "kinds": batch.kinds,
        "unit_types": batch.unit_types,
        "rest": batch.rest,
        "picks": picks,
    }


@login_required
def batch_edit(request: HttpRequest, campaign_id: int, batch_id: int | None = None) -> HttpResponse:
    """A batch's selection: "preview" counts what it selects, "save" stores it."""
    campaign = campaign_for(request.user, campaign_id, CAMPAIGNS_MANAGE)
    batch = None
    if batch_id is not None:
        batch = Batch.objects.filter(campaign=campaign, pk=batch_id).first()
        if batch is None:
            raise NotFound()
    initial = (
        _batch_initial(batch)
        if batch
        else {"starts_on": campaign.starts_on, "ends_on": campaign.ends_on}
    )
    form = BatchForm(request.POST or None, initial=initial)
    count = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            picks = [
                (access_org_by_code(request.user, code, CAMPAIGNS_VIEW), include)
                for code, include in data["picks"]
            ]
        except NotFound:
            form.add_error("picks", _("No organization in your view has one of these codes."))
        else:
            given = services.BatchInput(
                name=data["name"],
                scope=data["scope"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                levels=data["levels"],
                kinds=data["kinds"],
                unit_types=data["unit_types"],
                rest=data["rest"],
                picks=picks,
            )
            try:
                if request.POST.get("action") == "save":
                    services.batch_save(
                        actor=request_user(request), campaign=campaign, batch=batch, data=given
                    )
                    messages.success(
                        request, _("Batch saved. Preview the schedule to apply the change.")
                    )
                    return redirect("campaigns:detail", campaign.pk)
                count = services.batch_preview(campaign, batch, given)[1]
            except ApplicationError as exc:
                _form_error(form, exc)
    return render(
        request,
        "campaigns/batch.html",
        {"nav": "campaigns", "campaign": campaign, "batch": batch, "form": form, "count": count},
    )
