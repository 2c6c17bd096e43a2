"""Whose account a user may look after (reset the password, unlock): a user "under" them.

A user is under an administrator when every role assignment the user holds now or later
sits at an organization where the administrator has `accounts.manage`, and the user reaches
no further than the administrator does (a whole-tree scope only under a whole-tree scope).
Someone with no current assignment, and a superuser, are looked after by a system
administrator (a whole-tree scope) alone; nobody manages their own account here (they change
their own password)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from massline.accounts.models import User
from massline.orgs.paths import subtree_bounds

from .models import DataScope, RoleAssignment
from .permissions import ACCOUNTS_MANAGE
from .policy import can, grants


def _whole_tree(actor: Any) -> bool:
    return any(ACCOUNTS_MANAGE in g.permissions and g.scope == DataScope.ALL for g in grants(actor))


def current_assignments(user: Any) -> list[RoleAssignment]:
    """The assignments a user holds now or from a later date (ended ones no longer count)."""
    today = timezone.localdate()
    return list(
        RoleAssignment.objects.filter(user=user)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("org", "role")
        .order_by("valid_from", "pk")
    )


def may_manage(actor: Any, user: User, assignments: list[RoleAssignment] | None = None) -> bool:
    if not getattr(actor, "is_authenticated", False) or actor.pk == user.pk:
        return False
    whole_tree = _whole_tree(actor)
    if user.is_superuser:
        return whole_tree and bool(actor.is_superuser)
    held = current_assignments(user) if assignments is None else assignments
    if not held:
        return whole_tree
    for a in held:
        if a.scope == DataScope.ALL and not whole_tree:
            return False
        if not can(actor, ACCOUNTS_MANAGE, a.org):
            return False
    return True


def manages_anyone(actor: Any) -> bool:
    return any(ACCOUNTS_MANAGE in g.permissions for g in grants(actor))


def users_in_view(actor: Any, q: str = "") -> QuerySet[User]:
    """Users with a current assignment at an organization where the actor manages accounts
    (for a whole-tree administrator: every user), by username or name. `may_manage` decides
    each one."""
    today = timezone.localdate()
    qs = User.objects.all()
    if not _whole_tree(actor):
        cond = Q()
        for g in grants(actor):
            if ACCOUNTS_MANAGE not in g.permissions:
                continue
            if g.scope == DataScope.SUBTREE:
                low, high = subtree_bounds(g.org_path)
                cond |= Q(org__path__gte=low, org__path__lt=high)
            elif g.scope == DataScope.THIS_ORG:
                cond |= Q(org_id=g.org_id)
            elif g.scope == DataScope.CUSTOM:
                cond |= Q(org_id__in=g.custom_ids)
        if not cond:
            return User.objects.none()
        held = (
            RoleAssignment.objects.filter(cond)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .values("user_id")
        )
        everywhere = (
            RoleAssignment.objects.filter(scope=DataScope.ALL)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .values("user_id")
        )
        qs = qs.filter(pk__in=held).exclude(pk__in=everywhere)
    if not getattr(actor, "is_superuser", False):
        qs = qs.exclude(is_superuser=True)
    q = q.strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__contains=q))
    return qs.exclude(pk=actor.pk).order_by("username")
