"""A fix's staff page (decision 0022, "Staff pages"): its timeline grouped by round, its
commitment, the present round's evaluation count, and one form per step the workflow map gives
this user (`workflow.actions_for`), each with the inputs its Transition asks for and the
version read. A refusal comes back at its field with what was typed; a step's files are
downloaded through an access-checked view."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from massline.access.permissions import RECTIFICATION_VIEW
from massline.access.policy import can
from massline.accounts.requests import request_user
from massline.campaigns import evidence
from massline.core.errors import ApplicationError, Forbidden, NotFound, http_status

from . import workflow
from .fix_services import fix_act
from .ledger_selectors import evidence_for, fix_for, rounds_of
from .models import Audience, Fix

#: The inputs of a step's form: a refusal naming one (or the version) comes back with the form.
STEP_INPUTS = ("note", "until", "audience", "promised_on", "attachments", "confirmed", "version")


def _context(request: HttpRequest, fix: Fix, **extra: Any) -> dict[str, Any]:
    user = request_user(request)
    return {
        "nav": "rectification",
        "fix": fix,
        "p": fix.problem,
        "ledger_org": fix.org if can(user, RECTIFICATION_VIEW, fix.org) else fix.origin_org,
        "rounds": rounds_of(fix),
        "co_orgs": [c.org for c in fix.co_orgs.select_related("org").order_by("org__path")],
        "buttons": [workflow.TRANSITIONS[(fix.state, a)] for a in workflow.actions_for(user, fix)],
        "audiences": [(a.value, a.label) for a in (Audience.SUBMITTERS, Audience.PUBLIC)],
        "upper": workflow.upper_org(fix.org),
        "today": timezone.localdate(),
        **extra,
    }


@login_required
def fix_page(request: HttpRequest, fix_id: int) -> HttpResponse:
    fix = fix_for(request_user(request), fix_id)
    return render(request, "rectification/fix.html", _context(request, fix))


def _day(value: str, field: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApplicationError(
            _("“%(value)s” is not a day (year-month-day).") % {"value": value[:20]}, field=field
        ) from None


def _version(value: str) -> int:
    value = value.strip()
    if not value.isdigit() or len(value) > 9:
        raise ApplicationError(_("This form is out of date: reload the page."), field="version")
    return int(value)


def _take(request: HttpRequest, fix: Fix, action: str) -> Fix:
    post = request.POST
    step = workflow.TRANSITIONS.get((fix.state, action))
    if step is not None and step.confirm and post.get("confirmed") != "1":
        raise ApplicationError(
            _("Tick the box to confirm: %(step)s.") % {"step": step.button}, field="confirmed"
        )
    files = request.FILES.getlist("attachments")
    return fix_act(
        actor=request_user(request),
        fix=fix,
        action=action,
        version=_version(post.get("version", "")),
        note=post.get("note", ""),
        until=_day(post.get("until", ""), "until"),
        audience=post.get("audience", ""),
        promised_on=_day(post.get("promised_on", ""), "promised_on"),
        public=post.get("public") == "1",
        files=[(f.name or "", f) for f in files],
    )


@login_required
@require_POST
def fix_post(request: HttpRequest, fix_id: int, action: str) -> HttpResponse:
    """Take a step on the fix from its page."""
    user = request_user(request)
    fix = fix_for(user, fix_id)
    if action not in workflow.ACTIONS:
        raise NotFound()
    try:
        done = _take(request, fix, action)
    except Forbidden:
        raise
    except ApplicationError as exc:
        # the fix as it is now (another may have acted), with what was typed kept
        fresh = fix_for(user, fix_id)
        context = _context(request, fresh, error=exc.message, error_action=action)
        shown = any(b.action == action for b in context["buttons"])
        # at its field in the step's form when the form is still there; else above, with
        # the words typed shown so that nothing is lost
        context["error_field"] = exc.field if shown and exc.field in STEP_INPUTS else ""
        context["typed"] = request.POST
        context["lost_note"] = "" if shown else request.POST.get("note", "").strip()
        status = 200 if exc.field in STEP_INPUTS else http_status(exc)
        return render(request, "rectification/fix.html", context, status=status)
    step = workflow.TRANSITIONS[(fix.state, action)]
    names = {"deadline": done.deadline.isoformat() if done.deadline else "", "round": done.round}
    messages.success(request, workflow.describe(step, **names))
    return redirect("rectification:fix", done.pk)


@login_required
def fix_file(request: HttpRequest, file_id: int) -> FileResponse:
    """A file of a fix's step, for those who see the fix."""
    f = evidence_for(request_user(request), file_id)
    try:
        handle = evidence.path_of(f.stored).open("rb")
    except (OSError, ValueError):
        raise NotFound() from None
    return FileResponse(handle, as_attachment=True, filename=f.name, content_type=f.content_type)
