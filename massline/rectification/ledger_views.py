"""The staff pages of problems (decision 0022, "Staff pages"): an organization's ledger
(整改台账) with its filters, figures and the button that publishes its prepared commitments; a
new problem (from an opinion, a self-review, supervision, or assigned from above); a problem's
page with its fixes and the forms to escalate, claim, decline and add a fix. Each asks access
first; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from massline.access.permissions import (
    RECTIFICATION_APPROVE,
    RECTIFICATION_MANAGE,
    RECTIFICATION_VIEW,
)
from massline.access.policy import access_org, can, scope_roots
from massline.accounts.requests import request_user
from massline.core.errors import ApplicationError, Forbidden, NotFound, http_status
from massline.opinions.dispatch_selectors import opinion_for
from massline.opinions.intake_services import categories_for
from massline.orgs.models import Organization

from . import problem_services
from .counters import FIX_METRICS
from .fix_services import commitments_publish, fix_create
from .ledger_forms import FixForm, ProblemForm
from .ledger_selectors import (
    PAGE,
    LedgerFilter,
    figures,
    filter_from,
    fixes_of,
    ledger,
    prepared_commitments,
    problem_for,
)
from .models import FixKind, FixState, Problem, ProblemSource, ProblemStatus

LABELS = {m.code: m.label for m in FIX_METRICS}
#: The problem page's forms (besides adding a fix) and the inputs each one takes.
PROBLEM_ACTIONS = {
    "escalate": ("reason",),
    "claim": ("responsible_person",),
    "decline": ("reason",),
}


@login_required
def ledger_home(request: HttpRequest) -> HttpResponse:
    """The ledger of the highest organization in the user's view (their own)."""
    roots = scope_roots(request_user(request), RECTIFICATION_VIEW)
    if not roots:
        raise Forbidden()
    return redirect("rectification:ledger", roots[0].pk)


@login_required
def ledger_page(request: HttpRequest, org_id: int) -> HttpResponse:
    user = request_user(request)
    org = access_org(user, org_id, RECTIFICATION_VIEW)
    error, error_field = "", ""
    try:
        f = filter_from(request.GET)
        rows, cursor = ledger(user, org, f, after=request.GET.get("after", "")[:40], limit=PAGE)
    except ApplicationError as exc:
        f, rows, cursor, error = LedgerFilter(), [], "", exc.message
        error_field = exc.field or ""
    may_manage = can(user, RECTIFICATION_MANAGE, org)
    return render(
        request,
        "rectification/ledger.html",
        {
            "nav": "rectification",
            "org": org,
            "rows": rows,
            "next_after": cursor,
            "query": {k: v for k, v in request.GET.items() if k != "after" and v},
            "f": f,
            "error": error,
            "error_field": error_field,
            "figures": [(code, LABELS[code], n) for code, n in figures(org)],
            "states": FixState.choices,
            "kinds": FixKind.choices,
            "sources": ProblemSource.choices,
            "categories": categories_for(org),
            "may_manage": may_manage,
            "prepared": prepared_commitments(org) if may_manage else 0,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def publish_post(request: HttpRequest, org_id: int) -> HttpResponse:
    """Publish all the organization's prepared commitments at once (答复统一公开)."""
    user = request_user(request)
    org = access_org(user, org_id, RECTIFICATION_MANAGE)
    n = commitments_publish(actor=user, org=org)
    if n:
        messages.success(
            request,
            ngettext("%(n)d commitment was published.", "%(n)d commitments were published.", n)
            % {"n": n},
        )
    else:
        messages.info(request, _("No commitment was waiting to be published."))
    return redirect("rectification:ledger", org.pk)


def _from_opinion(request: HttpRequest) -> dict[str, Any]:
    """What `?opinion=` fills in: the opinion the problem was raised in, its words and its
    category (a checklist item, when it is one used here)."""
    pk = request.GET.get("opinion", "")
    if not pk:
        return {"source": ProblemSource.OPINION}
    o = opinion_for(request_user(request), pk)
    return {
        "source": ProblemSource.OPINION,
        "opinions": str(o.pk),
        "description": o.text,
        "category": str(o.category_id or ""),
    }


@login_required
def problem_new(request: HttpRequest, org_id: int) -> HttpResponse:
    """Record a problem of the organization (rectification.manage there)."""
    user = request_user(request)
    org = access_org(user, org_id, RECTIFICATION_MANAGE)
    categories = categories_for(org)
    if request.method == "POST":
        form = ProblemForm(request.POST, categories=categories)
        if form.is_valid():
            try:
                p = problem_services.problem_create(actor=user, org=org, **form.service_args(user))
            except Forbidden:
                raise
            except ApplicationError as exc:
                form.refused(exc)
            else:
                messages.success(request, _("The problem is recorded; add its fixes below."))
                return redirect("rectification:problem", p.pk)
    else:
        form = ProblemForm(initial=_from_opinion(request), categories=categories)
    return render(
        request,
        "rectification/problem_new.html",
        {"nav": "rectification", "org": org, "form": form},
    )


def _problem_context(request: HttpRequest, p: Problem, **extra: Any) -> dict[str, Any]:
    user = request_user(request)
    is_open = p.status == ProblemStatus.OPEN
    may_manage = can(user, RECTIFICATION_MANAGE, p.org)
    upper = p.escalated_to
    return {
        "nav": "rectification",
        "p": p,
        # the ledger the page belongs to: the owner's, else where it was found
        "ledger_org": p.org if can(user, RECTIFICATION_VIEW, p.org) else p.origin_org,
        "opinions": list(p.opinions.select_related("org").order_by("pk")),
        "fixes": fixes_of(user, p),
        "may_escalate": is_open and may_manage and p.org.parent_id is not None,
        "may_answer": not is_open and upper is not None and can(user, RECTIFICATION_APPROVE, upper),
        "may_add_fix": is_open and may_manage,
        "fix_form": extra.pop("fix_form", None) or FixForm(initial={"kind": FixKind.TIME_LIMITED}),
        **extra,
    }


@login_required
def problem_page(request: HttpRequest, problem_id: int) -> HttpResponse:
    p = problem_for(request_user(request), problem_id)
    return render(request, "rectification/problem.html", _problem_context(request, p))


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise ApplicationError(_("This form is out of date: reload the page."), field="version")
    return int(value)


def _problem_step(request: HttpRequest, p: Problem, action: str) -> Problem:
    user = request_user(request)
    post = request.POST
    version = _version(request)
    if action == "escalate":
        return problem_services.problem_escalate(
            actor=user, problem=p, reason=post.get("reason", ""), version=version
        )
    if action == "claim":
        return problem_services.problem_claim(
            actor=user,
            problem=p,
            responsible_person=post.get("responsible_person", ""),
            version=version,
        )
    return problem_services.problem_decline(
        actor=user, problem=p, reason=post.get("reason", ""), version=version
    )


DONE = {
    "escalate": gettext_lazy(
        "The problem is escalated; the level above decides whether to claim it."
    ),
    "claim": gettext_lazy("The problem and its open fixes are yours now."),
    "decline": gettext_lazy("The problem stays with the organization below."),
}


@login_required
@require_POST
def problem_post(request: HttpRequest, problem_id: int, action: str) -> HttpResponse:
    """Escalate, claim or decline the problem, or add a fix to it (`fix`)."""
    user = request_user(request)
    p = problem_for(user, problem_id)
    if action not in (*PROBLEM_ACTIONS, "fix"):
        raise NotFound()
    if action == "fix":
        return _add_fix(request, p)
    try:
        done = _problem_step(request, p, action)
    except Forbidden:
        raise
    except ApplicationError as exc:
        fresh = problem_for(user, problem_id)
        context = _problem_context(
            request,
            fresh,
            error=exc.message,
            error_field=exc.field,
            error_action=action,
            typed=request.POST,
        )
        status = 200 if exc.field in (*PROBLEM_ACTIONS[action], "version") else http_status(exc)
        return render(request, "rectification/problem.html", context, status=status)
    messages.success(request, str(DONE[action]))
    if not can(user, RECTIFICATION_VIEW, done.org) and not can(
        user, RECTIFICATION_VIEW, done.origin_org
    ):
        return redirect("rectification:home")
    return redirect("rectification:problem", done.pk)


def _add_fix(request: HttpRequest, p: Problem) -> HttpResponse:
    user = request_user(request)
    form = FixForm(request.POST)
    if form.is_valid():
        try:
            args = form.service_args()
            org: Organization | None = args["org"]
            if org is not None and not can(user, RECTIFICATION_MANAGE, org):
                raise ApplicationError(
                    _("The responsible organization must be within your scope."), field="org"
                )
            fix = fix_create(actor=user, problem=p, **args)
        except Forbidden:
            raise
        except ApplicationError as exc:
            form.refused(exc)
        else:
            messages.success(request, _("The fix is recorded."))
            return redirect("rectification:fix", fix.pk)
    context = _problem_context(request, p, fix_form=form, error_action="fix")
    return render(request, "rectification/problem.html", context)
