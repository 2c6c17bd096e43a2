"""Accounts pages that need roles: a user's own profile with their role assignments, and the
users an administrator looks after (reset a password, unlock a locked account)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from massline.accounts.forms import NewPasswordForm
from massline.accounts.models import User
from massline.accounts.requests import request_user
from massline.accounts.services import login_locked_until
from massline.core.errors import ApplicationError, Forbidden, NotFound

from .models import RoleAssignment
from .services import user_password_reset, user_unlock
from .users import (
    current_assignments,
    current_assignments_of,
    manages_anyone,
    may_manage,
    users_in_view,
)

USERS_PAGE = 100


def _assignment_rows(assignments: list[RoleAssignment]) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [
        {
            "a": a,
            "state": _("from %(date)s") % {"date": a.valid_from.isoformat()}
            if a.valid_from > today
            else _("in force"),
        }
        for a in assignments
    ]


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    ended = (
        RoleAssignment.objects.filter(user=user, valid_to__lt=timezone.localdate())
        .select_related("org", "role")
        .order_by("-valid_to")[:20]
    )
    context = {
        "nav": "profile",
        "assignments": _assignment_rows(current_assignments(user)),
        "ended": list(ended),
    }
    return render(request, "access/profile.html", context)


def _managed(request: HttpRequest, user_id: int) -> tuple[User, list[RoleAssignment]]:
    """A user the requester may look after: 404 when they are not under the requester."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    held = current_assignments(user)
    if not may_manage(request.user, user, held):
        raise NotFound()
    return user, held


@login_required
def users(request: HttpRequest) -> HttpResponse:
    if not manages_anyone(request.user):
        raise Forbidden()
    q = request.GET.get("q", "")[:64]
    found = list(users_in_view(request.user, q)[: USERS_PAGE + 1])
    held = current_assignments_of(found[:USERS_PAGE])
    rows = [
        {"user": u, "locked_until": login_locked_until(username=u.username)}
        for u in found[:USERS_PAGE]
        if may_manage(request.user, u, held.get(u.pk, []))
    ]
    context = {"nav": "users", "rows": rows, "q": q, "more": len(found) > USERS_PAGE}
    return render(request, "access/users.html", context)


@sensitive_post_parameters()
@login_required
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    user, held = _managed(request, user_id)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_password_reset(
                actor=request_user(request),
                user=user,
                new_password=form.cleaned_data["new_password1"],
                repeated=form.cleaned_data["new_password2"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("The password of %(user)s has been reset. Tell them to change it at once.")
                % {"user": user},
            )
            return redirect("access:user", user.pk)
    context = {
        "nav": "users",
        "subject": user,
        "assignments": _assignment_rows(held),
        "locked_until": login_locked_until(username=user.username),
        "form": form,
    }
    return render(request, "access/user.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def user_unlock_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user, _held = _managed(request, user_id)
    if user_unlock(actor=request_user(request), user=user):
        messages.success(request, _("%(user)s may sign in again.") % {"user": user})
    else:
        messages.info(request, _("%(user)s was not locked.") % {"user": user})
    return redirect("access:user", user.pk)
