"""All permission code: `can`, `scoped`, `access_*`, and the data-scope rules behind them.

A user may hold several role assignments (user x organization x role x period). Each active
assignment whose role has the permission contributes the organizations its data scope covers;
the user's reach is their union. No assignment: nothing (deny by default).

- all: every organization;
- custom: exactly the organizations in the assignment's list (a supervision team);
- this_org: the assignment's organization only;
- subtree: the assignment's organization and everything below it (a path range);
- self: only records the user owns (for organizations themselves: none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from massline.core.errors import Forbidden, NotFound
from massline.core.models import AuditEvent
from massline.orgs.models import Organization
from massline.orgs.paths import subtree_bounds, subtree_q

from .models import DataScope, RoleAssignment

M = TypeVar("M", bound=Model)

# How each scoped model reaches its organization: (path field, org id field, owner field).
SCOPE_FIELDS: dict[type[Model], tuple[str, str, str | None]] = {
    Organization: ("path", "pk", None),
    AuditEvent: ("org_path", "org_id", "actor"),
}


# Models that belong to two organizations at once, each through a named side (a member
# transfer: the sending and the receiving side): a row is in scope when any side is.
# {model: {side: (path field, org id field)}}
SCOPE_SIDES: dict[type[Model], dict[str, tuple[str, str]]] = {}


def register_scoped_model(
    model: type[Model],
    *,
    path_field: str = "org_path",
    org_field: str = "org_id",
    owner_field: str | None = None,
) -> None:
    SCOPE_FIELDS[model] = (path_field, org_field, owner_field)


def register_two_sided_model(model: type[Model], sides: Mapping[str, tuple[str, str]]) -> None:
    """A model reached through several organizations, each a named side
    (`{"sending": ("from_path", "from_org_id"), ...}`): `scoped` and `access_scoped` keep the
    rows where any side is in the user's scope; `scoped_side` and `sides_of` ask about one."""
    SCOPE_SIDES[model] = dict(sides)
    path_field, org_field = next(iter(sides.values()))
    SCOPE_FIELDS[model] = (path_field, org_field, None)


@dataclass(frozen=True)
class Grant:
    """What one active assignment gives: a permission set over a scope."""

    scope: str
    org_id: int
    org_path: str
    custom_ids: frozenset[int]
    permissions: frozenset[str]


def _today() -> date:
    return timezone.localdate()


def grants(user: Any) -> list[Grant]:
    """The user's active grants, read once per request and kept on the user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    today = _today()
    cached = getattr(user, "_massline_grants", None)
    if cached is not None and cached[0] == today:
        return list(cached[1])
    rows = (
        RoleAssignment.objects.filter(user=user, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("role", "org")
        .prefetch_related("custom_orgs")
    )
    result = [
        Grant(
            scope=a.scope,
            org_id=a.org_id,
            org_path=a.org.path,
            custom_ids=frozenset(o.pk for o in a.custom_orgs.all())
            if a.scope == DataScope.CUSTOM
            else frozenset(),
            permissions=frozenset(a.role.permissions),
        )
        for a in rows
    ]
    user._massline_grants = (today, result)
    return list(result)


def forget_grants(user: Any) -> None:
    """Drop the cached grants after the user's assignments change."""
    if hasattr(user, "_massline_grants"):
        del user._massline_grants


def _covers(grant: Grant, path: str, org_id: int) -> bool:
    if grant.scope == DataScope.ALL:
        return True
    if grant.scope == DataScope.SUBTREE:
        return path.startswith(grant.org_path)
    if grant.scope == DataScope.THIS_ORG:
        return org_id == grant.org_id
    if grant.scope == DataScope.CUSTOM:
        return org_id in grant.custom_ids
    return False


def can(user: Any, perm: str, org: Organization) -> bool:
    """May the user do `perm` at this organization?"""
    return any(perm in g.permissions and _covers(g, org.path, org.pk) for g in grants(user))


def sides_of(user: Any, perm: str, obj: Model) -> set[str]:
    """The sides of a row of a two-sided model at whose organization the user may `perm`."""
    return {
        side
        for side, (path_field, org_field) in SCOPE_SIDES[type(obj)].items()
        if any(
            perm in g.permissions and _covers(g, getattr(obj, path_field), getattr(obj, org_field))
            for g in grants(user)
        )
    }


def can_anywhere(user: Any, perm: str) -> bool:
    return any(perm in g.permissions for g in grants(user))


def scope_q(user: Any, perm: str, model: type[Model], *, path_index: bool = True) -> Q | None:
    """The filter for the rows of `model` the user may `perm`; None means every row.
    `path_index=False` writes subtrees as a condition no index serves (`subtree_q`)."""
    if model in SCOPE_SIDES:
        conditions = Q(pk__in=[])
        for path_field, org_field in SCOPE_SIDES[model].values():
            side = _scope_q_fields(user, perm, path_field, org_field, None, path_index)
            if side is None:
                return None
            conditions |= side
        return conditions
    return _scope_q_fields(user, perm, *SCOPE_FIELDS[model], path_index)


def _scope_q_fields(
    user: Any,
    perm: str,
    path_field: str,
    org_field: str,
    owner_field: str | None,
    path_index: bool = True,
) -> Q | None:
    conditions = Q(pk__in=[])
    for g in grants(user):
        if perm not in g.permissions:
            continue
        if g.scope == DataScope.ALL:
            return None
        if g.scope == DataScope.SUBTREE:
            conditions |= subtree_q(path_field, g.org_path, indexed=path_index)
        elif g.scope == DataScope.THIS_ORG:
            conditions |= Q(**{org_field: g.org_id})
        elif g.scope == DataScope.CUSTOM:
            conditions |= Q(**{f"{org_field}__in": sorted(g.custom_ids)})
        elif g.scope == DataScope.SELF and owner_field:
            conditions |= Q(**{owner_field: user.pk})
    return conditions


def scoped(qs: QuerySet[M], user: Any, perm: str, *, path_index: bool = True) -> QuerySet[M]:
    """The rows of `qs` the user may `perm`: the only way to get a list. `path_index=False`
    for a list that walks another index (see `subtree_q`)."""
    cond = scope_q(user, perm, qs.model, path_index=path_index)
    return qs if cond is None else qs.filter(cond)


def scoped_side(qs: QuerySet[M], user: Any, perm: str, side: str) -> QuerySet[M]:
    """The rows of a two-sided model's `qs` whose `side` is in the user's `perm` scope."""
    cond = side_q(user, perm, qs.model, side)
    return qs if cond is None else qs.filter(cond)


def side_q(user: Any, perm: str, model: type[Model], side: str) -> Q | None:
    """The filter for the rows of a two-sided `model` whose `side` the user may `perm`; None
    means every row."""
    path_field, org_field = SCOPE_SIDES[model][side]
    return _scope_q_fields(user, perm, path_field, org_field, None)


def access_org(user: Any, org_id: int | str, perm: str) -> Organization:
    """The only way to get one organization: NotFound when outside the user's view (as if it
    did not exist), Forbidden when seen but `perm` is not allowed there."""
    try:
        org = Organization.objects.select_related("division", "parent").get(pk=int(org_id))
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not can(user, "orgs.view", org):
        raise NotFound()
    if perm != "orgs.view" and not can(user, perm, org):
        raise Forbidden()
    return org


def access_org_by_code(user: Any, code: str, perm: str) -> Organization:
    pk = Organization.objects.filter(code=code).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound()
    return access_org(user, pk, perm)


def scope_roots(user: Any, perm: str = "orgs.view") -> list[Organization]:
    """The highest organizations the user reaches with `perm`, for the start of a tree."""
    ids: set[int] = set()
    covering: list[str] = []
    root_level = False
    for g in grants(user):
        if perm not in g.permissions:
            continue
        if g.scope == DataScope.ALL:
            root_level = True
        elif g.scope in (DataScope.SUBTREE, DataScope.THIS_ORG):
            ids.add(g.org_id)
            if g.scope == DataScope.SUBTREE:
                covering.append(g.org_path)
        elif g.scope == DataScope.CUSTOM:
            ids.update(g.custom_ids)
    if root_level:
        return list(Organization.objects.filter(parent__isnull=True).order_by("code"))
    orgs = Organization.objects.filter(pk__in=ids).select_related("parent").order_by("path")
    # A root is a reachable organization whose parent is out of view; one whose parent is in
    # view shows up when that parent is expanded, so listing it again would repeat it.
    return [o for o in orgs if o.parent is None or not can(user, perm, o.parent)]


def covered_orgs(user: Any, perm: str, org: Organization | None) -> list[Organization | None]:
    """Where a read over the user's view is recorded: the organization it was narrowed to,
    else each organization at the top of the view ([None] when there is none), so that every
    level above sees it in its audit log."""
    if org is not None:
        return [org]
    return [*scope_roots(user, perm)] or [None]


def sees_whole_subtree(user: Any, perm: str, org: Organization) -> bool:
    """Does one of the user's scopes cover everything below this organization? (Then its
    figures and children are all in view; under a custom list or `this_org` they may not be.)"""
    return any(
        perm in g.permissions
        and (
            g.scope == DataScope.ALL
            or (g.scope == DataScope.SUBTREE and org.path.startswith(g.org_path))
        )
        for g in grants(user)
    )


def access_scoped(qs: QuerySet[M], user: Any, pk: int | str, perm: str, *, view_perm: str) -> M:
    """One row of a scoped model: NotFound when outside what the user may `view_perm`,
    Forbidden when seen but `perm` is not allowed on it."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    obj = scoped(qs, user, view_perm).filter(pk=key).first()
    if obj is None:
        raise NotFound()
    if (
        perm != view_perm
        and not scoped(qs.model._default_manager.all(), user, perm).filter(pk=key).exists()
    ):
        raise Forbidden()
    return obj


def reaches_all_of(
    user: Any, perm: str, *, of_perm: str, under: Organization | None = None
) -> bool:
    """Does `perm` reach every organization that `of_perm` reaches (within `under`'s subtree,
    when given)? E.g. may an export of everything the user sees be written with full numbers.

    Cautious: a region of `of_perm` counts as covered only when one grant of `perm` covers it
    whole (a subtree inside one `perm` subtree, or each listed organization one by one)."""
    gs = grants(user)
    strong = [g for g in gs if perm in g.permissions]
    if any(g.scope == DataScope.ALL for g in strong):
        return True
    strong_paths = [g.org_path for g in strong if g.scope == DataScope.SUBTREE]

    def covered(path: str) -> bool:
        return any(path.startswith(p) for p in strong_paths)

    if under is not None and covered(under.path):
        return True
    single_ids: set[int] = set()
    for g in gs:
        if of_perm not in g.permissions:
            continue
        if g.scope == DataScope.ALL:
            return False  # everything (or all of `under`), which no `perm` subtree covers
        if g.scope == DataScope.SUBTREE:
            path = g.org_path
            if under is not None:
                if under.path.startswith(path):
                    return False  # the region is `under`'s whole subtree: not covered
                if not path.startswith(under.path):
                    continue  # beside `under`: not part of the region
            if not covered(path):
                return False
        elif g.scope == DataScope.THIS_ORG:
            single_ids.add(g.org_id)
        elif g.scope == DataScope.CUSTOM:
            single_ids |= g.custom_ids
    if single_ids:
        orgs = Organization.objects.filter(pk__in=single_ids)
        if under is not None:
            low, high = subtree_bounds(under.path)
            orgs = orgs.filter(path__gte=low, path__lt=high)
        if not all(can(user, perm, o) for o in orgs.only("pk", "path")):
            return False
    return True
