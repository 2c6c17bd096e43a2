"""The actions' pages (decision 0017): an organization's checklist in a campaign (phone-first:
one card per action), recording a completion with its evidence and withdrawing it, an
evidence file's download, and the page where a campaign office defines actions for its
subtree. Each asks access first; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from massline.access.permissions import CAMPAIGNS_MANAGE, CAMPAIGNS_RECORD, CAMPAIGNS_VIEW
from massline.access.policy import access_org, can
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError, NotFound
from massline.orgs.models import Organization

from . import action_services, checklist, evidence, phases
from .forms import ActionForm, CompletionForm
from .models import ActionDefinition, Campaign, Completion, EvidenceFile
from .selectors import campaign_for


def _org_in(
    request: HttpRequest, campaign_id: int, org_id: Any, perm: str
) -> tuple[Campaign, Organization]:
    org = access_org(request.user, org_id, perm)
    campaign = campaign_for(request.user, campaign_id)
    if not org.path.startswith(campaign.org_path):
        raise NotFound()
    return campaign, org


def _form_error(form: Any, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def checklist_page(request: HttpRequest, campaign_id: int, org_id: int) -> HttpResponse:
    campaign, org = _org_in(request, campaign_id, org_id, CAMPAIGNS_VIEW)
    today = timezone.localdate()
    window = checklist.window_of(campaign, org)
    items = checklist.checklist(campaign, org, today, window)
    counts = {
        s: sum(1 for i in items if i.status == s) for s in ("done", "due", "late", "not_open")
    }
    return render(
        request,
        "campaigns/checklist.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "org": org,
            "window": window,
            "items": items,
            "counts": counts,
            "can_record": can(request.user, CAMPAIGNS_RECORD, org),
            "can_define": can(request.user, CAMPAIGNS_MANAGE, org),
            "today": today,
        },
    )


@login_required
def complete(request: HttpRequest, campaign_id: int, org_id: int, action_id: int) -> HttpResponse:
    campaign, org = _org_in(request, campaign_id, org_id, CAMPAIGNS_RECORD)
    item = checklist.item_for(campaign, org, action_id, timezone.localdate())
    if item is None:
        raise NotFound()
    form = CompletionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action_services.completion_record(
                actor=request_user(request),
                campaign=campaign,
                org=org,
                action_id=action_id,
                text=data["text"],
                links=data["links"],
                files=[(f.name, f) for f in data["attachments"]],
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, _("“%(title)s” is recorded as done.") % {"title": item.action.title}
            )
            return redirect("campaigns:checklist", campaign.pk, org.pk)
    return render(
        request,
        "campaigns/complete.html",
        {"nav": "campaigns", "campaign": campaign, "org": org, "item": item, "form": form},
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, campaign_id: int, org_id: int, action_id: int) -> HttpResponse:
    campaign, org = _org_in(request, campaign_id, org_id, CAMPAIGNS_RECORD)
    try:
        action_services.completion_withdraw(
            actor=request_user(request), campaign=campaign, org=org, action_id=action_id
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The completion is withdrawn."))
    return redirect("campaigns:checklist", campaign.pk, org.pk)


@login_required
def evidence_file(request: HttpRequest, campaign_id: int, file_id: int) -> FileResponse:
    f = (
        EvidenceFile.objects.select_related("completion")
        .filter(pk=file_id, completion__campaign_id=campaign_id)
        .first()
    )
    if f is None:
        raise NotFound()
    _org_in(request, campaign_id, f.completion.org_id, CAMPAIGNS_VIEW)
    try:
        handle = evidence.path_of(f.stored).open("rb")
    except (OSError, ValueError):
        raise NotFound() from None
    return FileResponse(handle, as_attachment=True, filename=f.name, content_type=f.content_type)


def _kind_choices() -> list[tuple[str, Any]]:
    return list(phases.ACTION_KINDS.items())


@login_required
def actions_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The actions defined for an organization's subtree (`?org=`, the campaign's own by
    default): inherited ones read-only, its own with a form to add and a button to remove."""
    campaign = campaign_for(request.user, campaign_id)
    campaign, org = _org_in(
        request, campaign_id, request.GET.get("org") or campaign.org_id, CAMPAIGNS_MANAGE
    )
    form = ActionForm(request.POST or None, kinds=_kind_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action_services.action_define(
                actor=request_user(request), campaign=campaign, org=org, **data
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The action is defined."))
            return redirect(f"{request.path}?org={org.pk}")
    defined = checklist.definitions_along(campaign, org)
    return render(
        request,
        "campaigns/actions.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "org": org,
            "own": [a for a in defined if a.org_id == org.pk],
            "inherited": [a for a in defined if a.org_id != org.pk],
            "kinds": phases.ACTION_KINDS,
            "form": form,
        },
    )


@login_required
@require_POST
def action_remove(request: HttpRequest, campaign_id: int, action_id: int) -> HttpResponse:
    a = ActionDefinition.objects.filter(pk=action_id, campaign_id=campaign_id).first()
    if a is None:
        raise NotFound()
    campaign, org = _org_in(request, campaign_id, a.org_id, CAMPAIGNS_MANAGE)
    try:
        action_services.action_remove(actor=request_user(request), action=a)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The action is removed."))
    return redirect(reverse("campaigns:actions", args=[campaign.pk]) + f"?org={org.pk}")


def _action_initial(a: ActionDefinition) -> dict[str, Any]:
    return {f: getattr(a, f) for f in action_services.EDITABLE}


@login_required
def action_edit(request: HttpRequest, campaign_id: int, action_id: int) -> HttpResponse:
    """Change a definition (decision 0019): the define form, filled in; the rules that keep
    recorded completions valid are the service's."""
    a = ActionDefinition.objects.filter(pk=action_id, campaign_id=campaign_id).first()
    if a is None:
        raise NotFound()
    campaign, org = _org_in(request, campaign_id, a.org_id, CAMPAIGNS_MANAGE)
    form = ActionForm(request.POST or None, kinds=_kind_choices(), initial=_action_initial(a))
    if request.method == "POST" and form.is_valid():
        try:
            action_services.action_update(
                actor=request_user(request), action=a, **form.cleaned_data
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The action is changed."))
            return redirect(reverse("campaigns:actions", args=[campaign.pk]) + f"?org={org.pk}")
    return render(
        request,
        "campaigns/action_edit.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "org": org,
            "action": a,
            "recorded": Completion.objects.filter(action=a).count(),
            "form": form,
        },
    )
