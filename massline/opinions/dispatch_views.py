"""The staff pages of the dispatch (decision 0021, "Dispatch"): an organization's opinion inbox
(filters, keyset pages), the campaign office's triage and dispatch page, and one opinion with
its history and the buttons the workflow map gives this user. Each asks access first; the
rules are the service's (`dispatch_services.opinion_act`)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from massline.access.permissions import (
    OPINIONS_DISPATCH,
    OPINIONS_ENTER,
    OPINIONS_VIEW,
    RECTIFICATION_MANAGE,
)
from massline.access.policy import access_org, can, scope_roots, scoped
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError, Forbidden, NotFound, http_status
from massline.orgs.models import Organization
from massline.orgs.selectors import org_by_words

from . import workflow
from .dispatch_selectors import (
    PAGE,
    InboxFilter,
    dispatch_targets,
    filter_from,
    inbox,
    opinion_for,
    opinion_named,
    orgs_named,
    triage_list,
)
from .dispatch_services import opinion_act
from .entry_selectors import duplicates_for
from .follow import followers
from .models import Channel, Opinion, OpinionCategory, OpinionStatus, Urgency

#: The inputs of a step's form: an error naming one comes back with the form (200).
STEP_INPUTS = ("note", "lead_org", "co_orgs", "category", "urgency", "into", "confirmed")


@login_required
def opinions_home(request: HttpRequest) -> HttpResponse:
    """The inbox of the organization picked (`org`, or the words `org_q`), else of the
    highest organization in the user's view."""
    user = request_user(request)
    roots = scope_roots(user, OPINIONS_VIEW)
    if not roots:
        raise Forbidden()
    org_id: Any = request.GET.get("org", "")
    words = request.GET.get("org_q", "")
    if not org_id and words.strip():
        visible = scoped(Organization.objects.all(), user, OPINIONS_VIEW)
        found, error = org_by_words(visible=visible, words=words)
        if found is None:
            messages.error(request, error)
        else:
            org_id = found.pk
    return redirect("opinions:inbox", int(org_id) if str(org_id).isdigit() else roots[0].pk)


def _categories(org: Organization) -> list[OpinionCategory]:
    """The categories used at an organization: the checklists and the local ones of it and
    the organizations above it."""
    ancestors = [org.path[:i] for i in range(1, len(org.path) + 1)]
    return list(
        OpinionCategory.objects.filter(org__isnull=True)
        | OpinionCategory.objects.filter(org_path__in=ancestors)
    )


@login_required
def inbox_page(request: HttpRequest, org_id: int) -> HttpResponse:
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_VIEW)
    error = ""
    try:
        f = filter_from(request.GET)
        rows, cursor = inbox(user, org, f, after=request.GET.get("after", "")[:300], limit=PAGE)
    except ApplicationError as exc:
        f, rows, cursor, error = InboxFilter(), [], "", exc.message
    query = {k: v for k, v in request.GET.items() if k != "after" and v}
    return render(
        request,
        "opinions/inbox.html",
        {
            "nav": "opinions",
            "org": org,
            "rows": rows,
            "next_after": cursor,
            "query": query,
            "f": f,
            "error": error,
            "statuses": OpinionStatus.choices,
            "channels": Channel.choices,
            "categories": _categories(org),
            "can_dispatch": can(user, OPINIONS_DISPATCH, org),
            "can_enter": can(user, OPINIONS_ENTER, org),
            "now": timezone.now(),
        },
        status=400 if error else 200,
    )


@login_required
def triage_page(request: HttpRequest, org_id: int) -> HttpResponse:
    """The received and returned opinions below the organization, to categorize, merge and
    dispatch (opinions.dispatch there)."""
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_DISPATCH)
    rows = triage_list(user, org)
    for o in rows:
        o.buttons = [  # type: ignore[attr-defined]
            workflow.TRANSITIONS[(o.status, a)] for a in workflow.actions_for(user, o)
        ]
    return render(
        request,
        "opinions/triage.html",
        {
            "nav": "opinions",
            "org": org,
            "rows": rows,
            "categories": _categories(org),
            "urgencies": Urgency.choices,
        },
    )


def _detail_context(request: HttpRequest, o: Opinion) -> dict[str, Any]:
    user = request_user(request)
    actions = workflow.actions_for(user, o)
    can_merge = workflow.MERGE in actions
    # where the user may record a problem raised in it (整改): the organization addressed,
    # else the lead
    problem_org = next(
        (g for g in (o.org, o.lead_org) if g is not None and can(user, RECTIFICATION_MANAGE, g)),
        None,
    )
    return {
        "nav": "opinions",
        "o": o,
        "problem_org": problem_org,
        # the inbox the page belongs to: the organization addressed, else the lead's
        "inbox_org": o.org if can(user, OPINIONS_VIEW, o.org) else (o.lead_org or o.org),
        "buttons": [workflow.TRANSITIONS[(o.status, a)] for a in actions],
        # the triage's suggestions: what this user could merge the opinion into
        "can_merge": can_merge,
        "duplicates": duplicates_for(user, o) if can_merge else [],
        "steps": list(o.steps.select_related("org", "actor")),
        "co_orgs": [c.org for c in o.co_orgs.select_related("org")],
        "followers": followers(o),
        "categories": _categories(o.org),
        "urgencies": Urgency.choices,
        "now": timezone.now(),
    }


@login_required
def opinion_page(request: HttpRequest, opinion_id: int) -> HttpResponse:
    o = opinion_for(request_user(request), opinion_id)
    return render(request, "opinions/detail.html", _detail_context(request, o))


def _lead(request: HttpRequest) -> Organization | None:
    """The lead organization the picker chose (its id), or the words typed without script."""
    pk = request.POST.get("lead_org", "").strip()
    if pk:
        if not pk.isdigit() or len(pk) > 18:
            raise ApplicationError(
                _("The lead organization must be within your scope: choose another one."),
                field="lead_org",
                code="out_of_scope",
            )
        return orgs_named([int(pk)], "lead_org")[0]
    words = request.POST.get("lead_org_q", "")
    if not words.strip():
        return None
    found, error = org_by_words(visible=dispatch_targets(request_user(request)), words=words)
    if found is None:
        raise ApplicationError(error, field="lead_org")
    return found


def _co_orgs(request: HttpRequest) -> list[Organization]:
    """The co-organizations typed as codes, separated by spaces or commas."""
    codes = [c for c in re.split(r"[\s,，、]+", request.POST.get("co_orgs", "")[:2000]) if c]
    found = {o.code: o for o in Organization.objects.filter(code__in=codes)}
    if any(c not in found for c in codes):
        raise ApplicationError(
            _("Every co-organization must be within your scope: choose others."),
            field="co_orgs",
            code="out_of_scope",
        )
    return [found[c] for c in dict.fromkeys(codes)]


def _number(value: str, field: str, message: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ApplicationError(message, field=field)
    return int(value)


def _take(request: HttpRequest, o: Opinion, action: str) -> Opinion:
    post = request.POST
    seen = post.get("status", "")
    step = workflow.TRANSITIONS.get((seen, action))
    if step is not None and step.confirm and post.get("confirmed") != "1":
        raise ApplicationError(
            _("Tick the box to confirm: %(step)s.") % {"step": step.button}, field="confirmed"
        )
    category = None
    cat_id = _number(post.get("category", ""), "category", _("Unknown category."))
    if cat_id is not None:
        category = OpinionCategory.objects.filter(pk=cat_id).first()
        if category is None:
            raise ApplicationError(_("Unknown category."), field="category")
    into = _number(post.get("into", ""), "into", _("Give the number of the opinion to merge into."))
    return opinion_act(
        actor=request_user(request),
        opinion=o,
        action=action,
        note=post.get("note", ""),
        seen=seen or None,
        lead_org=_lead(request) if step is not None and step.to_org else None,
        co_orgs=_co_orgs(request) if step is not None and step.to_org else (),
        category=category,
        urgency=post.get("urgency", "").strip(),
        into=opinion_named(into),
    )


@login_required
@require_POST
def opinion_post(request: HttpRequest, opinion_id: int, action: str) -> HttpResponse:
    """Take a step from the opinion's page (or the triage page: `back` names its org)."""
    o = opinion_for(request_user(request), opinion_id)
    if action not in workflow.ACTIONS:
        raise NotFound()
    back = request.POST.get("back", "")
    try:
        done = _take(request, o, action)
    except Forbidden:
        raise
    except ApplicationError as exc:
        status = 200 if exc.field in STEP_INPUTS else http_status(exc)
        if back.isdigit():
            messages.error(request, exc.message)
            return redirect("opinions:triage", int(back))
        context = {**_detail_context(request, o), "error": exc.message, "error_action": action}
        return render(request, "opinions/detail.html", context, status=status)
    step = workflow.TRANSITIONS[(o.status, action)]
    names = {
        "org": done.lead_org.name if done.lead_org else "",
        "due": timezone.localtime(done.due_at).strftime("%Y-%m-%d %H:%M") if done.due_at else "",
    }
    messages.success(request, str(step.done) % names if step.to_org else str(step.done))
    if back.isdigit():
        return redirect("opinions:triage", int(back))
    return redirect("opinions:detail", done.pk)
