"""How many members a roster list's filters keep: exact from the counters where a counter
serves the filters and the user sees the whole of each subtree the list covers, else counted
up to a bound where that is cheap, else unknown. The roster page shows it; the page and the
API both let it decide how a sorted list is read (`sorting`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from massline.access.permissions import MEMBERS_VIEW
from massline.access.policy import scope_roots, sees_whole_subtree
from massline.orgs.models import Organization
from massline.orgs.selectors import org_figures

from .counters import METRICS
from .models import Member
from .selectors import MemberFilter, count_up_to, counter_conditions, member_queryset

# Counting the rows a filter keeps reads at most this many: past it the page says "10,000+".
COUNT_LIMIT = 10_000
# A search for words reads every row of the scope it cannot rule out; it is counted only
# where the scope holds at most this many members (from the counters).
SEARCH_COUNT_SCOPE = 100_000


@dataclass(frozen=True)
class ListTotal:
    value: int | None  # None: not counted (a search over a large scope)
    exact: bool  # False: "more than `value`"
    scope: list[tuple[str, int]] | None  # (label, figure) of the list's scope, from counters


def _scope_orgs(user: Any, org: Organization | None) -> list[Organization] | None:
    """The organizations whose subtrees the list covers, when the user sees all of each
    (then the counters speak for the list); else None."""
    orgs = [org] if org is not None else scope_roots(user, MEMBERS_VIEW)
    if not orgs or not all(sees_whole_subtree(user, MEMBERS_VIEW, o) for o in orgs):
        return None
    return orgs


def _scope_figures(orgs: list[Organization] | None) -> list[tuple[str, int]] | None:
    if orgs is None:
        return None
    figures = org_figures(org_ids=[o.pk for o in orgs])
    return [
        (str(metric.label), sum(figures[o.pk].get(metric.code) for o in orgs)) for metric in METRICS
    ]


def list_total(user: Any, filters: MemberFilter, visible: QuerySet[Member]) -> ListTotal:
    orgs = _scope_orgs(user, filters.org)
    scope = _scope_figures(orgs)
    when = counter_conditions(filters)
    if scope is not None and when is not None:
        for metric, (_label, value) in zip(METRICS, scope, strict=True):
            if dict(metric.when) == when:
                return ListTotal(value, True, scope)
    in_scope = scope[0][1] if scope else None
    if filters.q.strip() and (in_scope is None or in_scope > SEARCH_COUNT_SCOPE):
        return ListTotal(None, False, scope)
    counted = count_up_to(member_queryset(visible=visible, filters=filters), COUNT_LIMIT)
    return ListTotal(min(counted, COUNT_LIMIT), counted <= COUNT_LIMIT, scope)


def sort_in_memory(total: ListTotal, limit: int, bound: int) -> bool | None:
    """Whether a sorted page is cheaper cut from all the rows the filters keep (read through
    the path index: the whole of the list's subtrees, `bound` rows kept at most) than walked
    on the sort's index (about `limit` × the whole roster ÷ the rows kept, when the kept rows
    are spread over the order). None when the total is not known."""
    if total.value is None:
        return None
    if not total.exact or total.value > bound:
        return False
    if total.scope is None:
        return True
    read_in_memory = total.scope[0][1]
    roots = Organization.objects.filter(parent__isnull=True).values_list("pk", flat=True)
    figures = org_figures(org_ids=list(roots))
    everyone = sum(f.get(METRICS[0].code) for f in figures.values())
    read_walking = limit * everyone / max(total.value, 1)
    return read_in_memory <= max(bound, read_walking)
