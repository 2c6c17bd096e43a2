"""Whose account a user may look after (reset the password, unlock): a user "under" them.

A user is under an administrator when, for every role assignment the user holds now or
later, the administrator has `accounts.manage` over all that assignment reaches (its
organization, the whole subtree for a subtree scope, each organization of a custom list, the
whole tree for an `all` scope) and holds there every permission the assignment's role gives.
Otherwise a reset would let the administrator sign in as someone who sees or does more.
Someone with no current assignment, and a superuser, are looked after by a system
administrator alone; nobody manages their own account here (they change their own
password)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from massline.accounts.models import User
from massline.orgs.paths import subtree_bounds

from .models import DataScope, Role, RoleAssignment
from .permissions import ACCOUNTS_MANAGE
from .policy import Grant, grants


def _whole_tree(actor: Any) -> bool:
    return any(ACCOUNTS_MANAGE in g.permissions and g.scope == DataScope.ALL for g in grants(actor))


def current_assignments(user: Any) -> list[RoleAssignment]:
    """The assignments a user holds now or from a later date (ended ones no longer count)."""
    return current_assignments_of([user]).get(user.pk, [])


def current_assignments_of(users: list[Any]) -> dict[int, list[RoleAssignment]]:
    """`current_assignments` of several users in one query, by user id."""
    today = timezone.localdate()
    out: dict[int, list[RoleAssignment]] = {}
    for a in (
        RoleAssignment.objects.filter(user__in=users)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("org", "role")
        .order_by("valid_from", "pk")
    ):
        out.setdefault(a.user_id, []).append(a)
    return out


def _reach_and_rights(actor_grants: list[Grant], a: RoleAssignment) -> bool:
    """Does some of the actor's `accounts.manage` cover all the assignment reaches, with
    every permission of its role?"""
    managing = [g for g in actor_grants if ACCOUNTS_MANAGE in g.permissions]
    path = a.org.path

    def covers(g: Grant, org_id: int, org_path: str, whole_subtree: bool) -> bool:
        if g.scope == DataScope.ALL:
            return True
        if g.scope == DataScope.SUBTREE:
            low, high = subtree_bounds(g.org_path)
            return low <= org_path < high
        if whole_subtree:
            return False
        if g.scope == DataScope.THIS_ORG:
            return g.org_id == org_id
        return g.scope == DataScope.CUSTOM and org_id in g.custom_ids

    if a.scope == DataScope.ALL:
        reached = any(g.scope == DataScope.ALL for g in managing)
    elif a.scope == DataScope.CUSTOM:
        orgs = list(a.custom_orgs.values_list("pk", "path"))
        reached = all(any(covers(g, pk, p, False) for g in managing) for pk, p in orgs)
    else:
        whole = a.scope == DataScope.SUBTREE
        reached = any(covers(g, a.org_id, path, whole) for g in managing)
    if not reached:
        return False
    rights: set[str] = set()
    for g in actor_grants:
        if covers(g, a.org_id, path, False):
            rights |= g.permissions
    return set(a.role.permissions) <= rights


def may_manage(actor: Any, user: User, assignments: list[RoleAssignment] | None = None) -> bool:
    if not getattr(actor, "is_authenticated", False) or actor.pk == user.pk:
        return False
    whole_tree = _whole_tree(actor)
    if user.is_superuser:
        return whole_tree and bool(actor.is_superuser)
    held = current_assignments(user) if assignments is None else assignments
    if not held:
        return whole_tree
    actor_grants = grants(actor)
    return all(_reach_and_rights(actor_grants, a) for a in held)


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


def holders_at(org_ids: list[int], perm: str) -> dict[int, list[int]]:
    """Per organization, the active users whose role assignment at that very organization
    (not above it) holds `perm` today: its own administrators, for notices about it. One
    query over the assignments of the roles that hold the permission."""
    today = timezone.localdate()
    roles = [r.pk for r in Role.objects.only("pk", "permissions") if perm in r.permissions]
    out: dict[int, list[int]] = {}
    if not roles or not org_ids:
        return out
    rows = (
        RoleAssignment.objects.filter(org_id__in=org_ids, role_id__in=roles, user__is_active=True)
        .filter(valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .values_list("org_id", "user_id")
        .order_by("org_id", "user_id")
    )
    for org_id, user_id in rows:
        out.setdefault(org_id, []).append(user_id)
    return out
