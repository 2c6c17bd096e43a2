"""Reads of the staff API (decision 0022, "API and the public board"): the problems and fixes a
user sees, an organization's problems and fixes with their filters in keyset pages by
(org_path, id), one of each, and the organizations, problems and opinions a request names.

Seen: a problem at the organization responsible for it or the one where it was found (the two
sides), or one escalated to an organization in view (the level above must see what it is asked
to claim); a fix by its two sides or as a co-organization."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from massline.access.permissions import RECTIFICATION_VIEW
from massline.access.policy import can, scope_q
from massline.core.errors import ApplicationError, NotFound
from massline.opinions.models import Opinion
from massline.orgs.models import Organization
from massline.orgs.paths import subtree_q

from .models import CoOrganization, Fix, Problem

PAGE = 50
PAGE_MAX = 200
CURSOR_MAX = 300

M = TypeVar("M", bound=Model)


def problems_q(user: Any) -> Q | None:
    """The problems the user may read; None: every one."""
    direct = scope_q(user, RECTIFICATION_VIEW, Problem)
    if direct is None:
        return None
    orgs = scope_q(user, RECTIFICATION_VIEW, Organization)
    if orgs is None:
        return None
    return direct | Q(escalated_to__in=Organization.objects.filter(orgs).values("pk"))


def fixes_q(user: Any) -> Q | None:
    """The fixes the user may read; None: every one."""
    direct = scope_q(user, RECTIFICATION_VIEW, Fix)
    if direct is None:
        return None
    co = scope_q(user, RECTIFICATION_VIEW, CoOrganization)
    if co is None:
        return None
    return direct | Q(pk__in=CoOrganization.objects.filter(co).values("fix_id"))


def _where(qs: QuerySet[M], cond: Q | None) -> QuerySet[M]:
    return qs if cond is None else qs.filter(cond)


def _key(pk: Any) -> int:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < key < 2**63:
        raise NotFound()
    return key


def problem_for(user: Any, pk: Any) -> Problem:
    """One problem the user sees; NotFound otherwise (out of view looks like missing)."""
    found = (
        _where(Problem.objects.all(), problems_q(user))
        .filter(pk=_key(pk))
        .select_related("org", "origin_org", "category", "escalated_to")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def fix_for(user: Any, pk: Any) -> Fix:
    """One fix the user sees, with what its detail and its actions read; NotFound otherwise."""
    found = (
        _where(Fix.objects.all(), fixes_q(user))
        .filter(pk=_key(pk))
        .select_related("org", "org__parent", "origin_org", "problem", "handover_org")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class ProblemFilter:
    source: str = ""
    status: str = ""
    category: int | None = None


@dataclass(frozen=True)
class FixFilter:
    state: str = ""  # a state, or "open" for every state but closed
    kind: str = ""
    overdue: bool | None = None
    published: bool | None = None
    problem: int | None = None


def _cursor(after: str) -> tuple[str, int]:
    path, _sep, last = after.rpartition(":")
    if not path or not last.isdigit() or len(after) > CURSOR_MAX or len(last) > 18:
        raise ApplicationError(_("This page link is not valid."), field="after")
    return path, int(last)


def _page(qs: QuerySet[M], after: str, limit: int) -> tuple[list[M], str]:
    if after:
        path, last = _cursor(after)
        qs = qs.filter(Q(org_path__gt=path) | Q(org_path=path, pk__gt=last))
    limit = max(1, min(limit, PAGE_MAX))
    rows = list(qs.order_by("org_path", "pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last_row: Any = rows[-1] if rows else None
    return rows, (f"{last_row.org_path}:{last_row.pk}" if more else "")


def problems_page(
    user: Any, org: Organization, f: ProblemFilter, *, after: str = "", limit: int = PAGE
) -> tuple[list[Problem], str]:
    """One page of the problems owned in the organization's subtree, found there, or escalated
    to it, within the user's view, in (org_path, id) order after `after`; the next cursor."""
    here = (
        subtree_q("org_path", org.path) | subtree_q("origin_path", org.path) | Q(escalated_to=org)
    )
    qs = _where(Problem.objects.all(), problems_q(user)).filter(here)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.category is not None:
        qs = qs.filter(category_id=f.category)
    return _page(qs.select_related("org", "origin_org", "category", "escalated_to"), after, limit)


def fixes_page(
    user: Any, org: Organization, f: FixFilter, *, after: str = "", limit: int = PAGE
) -> tuple[list[Fix], str]:
    """One page of the fixes responsible in the organization's subtree, found there, or with
    an organization of the subtree as co-organization, within the user's view."""
    here = (
        subtree_q("org_path", org.path)
        | subtree_q("origin_path", org.path)
        | Q(pk__in=CoOrganization.objects.filter(subtree_q("org_path", org.path)).values("fix"))
    )
    qs = _where(Fix.objects.all(), fixes_q(user)).filter(here)
    if f.state == "open":
        qs = qs.exclude(state="closed")
    elif f.state:
        qs = qs.filter(state=f.state)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.overdue is not None:
        qs = qs.filter(overdue=f.overdue)
    if f.published is not None:
        qs = qs.filter(published=f.published)
    if f.problem is not None:
        qs = qs.filter(problem_id=f.problem)
    return _page(qs.select_related("org", "origin_org", "problem"), after, limit)


def _out_of_scope(field: str) -> ApplicationError:
    return ApplicationError(
        _("Choose an organization within your scope."), field=field, code="out_of_scope"
    )


def orgs_in_view(user: Any, ids: Iterable[int], field: str) -> list[Organization]:
    """The organizations these ids name, in order and once each, each one the user sees; an
    unknown id is answered like one out of view, so ids cannot be probed."""
    wanted = list(dict.fromkeys(ids))
    found = {o.pk: o for o in Organization.objects.filter(pk__in=wanted)}
    for pk in wanted:
        if pk not in found or not can(user, "orgs.view", found[pk]):
            raise _out_of_scope(field)
    return [found[pk] for pk in wanted]


def org_in_view(user: Any, pk: int | None, field: str) -> Organization | None:
    return orgs_in_view(user, [pk], field)[0] if pk is not None else None


def problem_named(user: Any, pk: int) -> Problem:
    """The problem a new fix answers, among those the user sees (400 naming the field)."""
    found = _where(Problem.objects.all(), problems_q(user)).filter(pk=pk).first()
    if found is None:
        raise ApplicationError(
            _("No problem %(n)s within your scope.") % {"n": pk}, field="problem"
        )
    return found


def opinions_named(ids: Iterable[int]) -> list[Opinion]:
    """The opinions a problem comes from (the service checks the user sees each one); an
    unknown id gets the service's own answer for one out of view."""
    wanted = list(dict.fromkeys(ids))
    found = {
        o.pk: o for o in Opinion.objects.filter(pk__in=wanted).select_related("lead_org", "org")
    }
    for pk in wanted:
        if pk not in found:
            raise ApplicationError(
                _("No opinion %(n)s within your scope.") % {"n": pk}, field="opinions"
            )
    return [found[pk] for pk in wanted]
