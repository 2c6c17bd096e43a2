"""Reads of the roster: filtered, keyset-paginated lists over a scoped queryset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from massline.access.permissions import MEMBERS_VIEW
from massline.access.policy import access_org
from massline.core import crypto
from massline.core.normalize import fold_for_search, to_halfwidth
from massline.core.reference import ETHNIC_GROUPS
from massline.orgs.models import Organization
from massline.orgs.paths import subtree_q

from .idnumber import InvalidNumber, validate_id
from .models import (
    Category,
    Member,
    MemberEvent,
    MemberEventRange,
    MemberStatus,
    Mobility,
)

PAGE = 50
# Age bands as users of such rosters ask for them: (code, youngest, oldest).
AGE_BANDS = {
    "under35": (0, 34),
    "35to45": (35, 45),
    "46to60": (46, 60),
    "over60": (61, 200),
}


@dataclass(frozen=True)
class MemberFilter:
    org: Organization | None = None
    q: str = ""
    status: str = ""
    category: str = ""
    ethnicity: str = ""
    age: str = ""
    mobility: str = ""  # "", "outflow", "inflow", "any"
    lost_contact: bool | None = None


#: The query parameters that are filters, as the roster page and exports read them.
FILTER_PARAMS = ("org", "q", "status", "category", "ethnicity", "age", "mobility", "lost_contact")


def filters_from_params(user: Any, params: Mapping[str, str]) -> MemberFilter:
    """The filters of a roster page's query string (unknown values are ignored). An `org`
    outside the user's view is 404, one without the roster permission 403 (access_org)."""
    g = params
    org = None
    if str(g.get("org", "")).isdigit():
        org = access_org(user, g["org"], MEMBERS_VIEW)
    lost = {"1": True, "0": False}.get(g.get("lost_contact", ""))
    return MemberFilter(
        org=org,
        q=g.get("q", "")[:64],
        status=g.get("status", "") if g.get("status") in MemberStatus.values else "",
        category=g.get("category", "") if g.get("category") in Category.values else "",
        ethnicity=g.get("ethnicity", "") if g.get("ethnicity") in dict(ETHNIC_GROUPS) else "",
        age=g.get("age", "") if g.get("age") in AGE_BANDS else "",
        mobility=g.get("mobility", "") if g.get("mobility") in [*Mobility.values, "any"] else "",
        lost_contact=lost,
    )


def _birth_range(band: str, today: dt.date) -> Q:
    youngest, oldest = AGE_BANDS[band]

    def years_ago(n: int) -> dt.date:
        try:
            return today.replace(year=today.year - n)
        except ValueError:
            return today.replace(year=today.year - n, day=28)

    # Age n means born after (today - (n+1) years) and on or before (today - n years).
    return Q(birth_date__gt=years_ago(oldest + 1), birth_date__lte=years_ago(youngest))


def is_name_search(q: str) -> bool:
    """Whether the words search names (not an ID number or its last digits)."""
    compact = to_halfwidth(q).replace(" ", "").upper()
    if not compact:
        return False
    if len(compact) == 18:
        try:
            validate_id(compact)
        except InvalidNumber:
            return True
        return False
    return not (len(compact) <= 4 and all(c in "0123456789X" for c in compact))


def _search(q: str) -> Q:
    text = to_halfwidth(q).strip()
    compact = text.replace(" ", "").upper()
    if len(compact) == 18:
        try:
            info = validate_id(compact)
        except InvalidNumber:
            pass
        else:
            return Q(id_number_hash=crypto.lookup_hash(info.number))
    if compact and len(compact) <= 4 and all(c in "0123456789X" for c in compact):
        return Q(id_tail__endswith=compact)
    return Q(name_folded__contains=fold_for_search(text))


def _cursor(after: str) -> tuple[str, int] | None:
    path, _, last_id = after.rpartition(":")
    return (path, int(last_id)) if path and last_id.isdigit() else None


def counter_conditions(f: MemberFilter) -> dict[str, str | bool] | None:
    """The filters as the field equalities a counter metric declares (`Counted.when`), or
    None when a filter no counter can serve is set (a search, an age band, ...)."""
    if f.q.strip() or f.age or f.ethnicity or f.category or f.mobility == "any":
        return None
    out: dict[str, str | bool] = {}
    if f.status:
        out["status"] = f.status
    if f.mobility:
        out["mobility"] = f.mobility
    if f.lost_contact is not None:
        out["lost_contact"] = f.lost_contact
    return out


def member_queryset(
    *,
    visible: QuerySet[Member],
    filters: MemberFilter,
    after: str = "",
    before: str = "",
    path_index: bool = True,
) -> QuerySet[Member]:
    """The members of `visible` that pass the filters, after the keyset cursor `after` (the
    `org_path:id` of the last row seen), unordered and unpaginated.

    The conditions that narrow the path range come first in the WHERE clause, the scope's
    (`visible`, the widest) after them: SQLite's planner cannot tell which of several bounds
    on `org_path` is the tightest when they are parameters, and takes the first lower and the
    first upper bound as the index range, testing the others row by row. With the scope's
    range first, the 500th page at the root read every row before it, and an organization
    chosen in the filter was reached by reading the scope from its start. (PostgreSQL keeps
    the tightest bound whatever the order.) `path_index=False` writes the organization's
    subtree as a condition no index serves, for pages in another order (`sorting`)."""
    f = filters
    bounds = Q()
    cursor = _cursor(after) if after else None
    back = _cursor(before) if before and cursor is None else None
    if cursor is not None:
        bounds &= Q(org_path__gte=cursor[0])
    if back is not None:
        bounds &= Q(org_path__lte=back[0])
    if f.org is not None and path_index:
        bounds &= subtree_q("org_path", f.org.path)
    qs = (Member.objects.filter(bounds) & visible) if bounds else visible
    if f.org is not None and not path_index:
        qs = qs.filter(subtree_q("org_path", f.org.path, indexed=False))
    if cursor is not None:
        path, last_id = cursor
        qs = qs.filter(Q(org_path__gt=path) | Q(org_path=path, id__gt=last_id))
    if back is not None:
        path, first_id = back
        qs = qs.filter(Q(org_path__lt=path) | Q(org_path=path, id__lt=first_id))
    if f.q.strip():
        qs = qs.filter(_search(f.q))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.ethnicity:
        qs = qs.filter(ethnicity=f.ethnicity)
    if f.age in AGE_BANDS:
        qs = qs.filter(_birth_range(f.age, timezone.localdate()))
    if f.mobility == "any":
        qs = qs.exclude(mobility="")
    elif f.mobility:
        qs = qs.filter(mobility=f.mobility)
    if f.lost_contact is not None:
        qs = qs.filter(lost_contact=f.lost_contact)
    return qs


def filter_members(visible: QuerySet[Member], filters: MemberFilter) -> QuerySet[Member]:
    """The members of `visible` that pass the filters (the roster page, the API, exports)."""
    return member_queryset(visible=visible, filters=filters)


@dataclass
class MemberPage:
    rows: list[Member]
    next: str  # the `after` cursor of the next page ("" at the end)
    previous: str  # the `before` cursor of the previous page ("" on the first)


def member_page(
    *,
    visible: QuerySet[Member],
    filters: MemberFilter,
    after: str = "",
    before: str = "",
    limit: int = PAGE,
) -> MemberPage:
    """One page of members in tree order, forwards from `after` or backwards from `before`
    (the `org_path:id` of a row), with the cursors of the pages on either side. Never
    counts."""
    if before and not after:
        qs = member_queryset(visible=visible, filters=filters, before=before)
        rows = list(
            qs.select_related("org", "attached_org").order_by("-org_path", "-id")[: limit + 1]
        )
        more = len(rows) > limit
        rows = rows[:limit][::-1]
        return MemberPage(
            rows,
            next=_key(rows[-1]) if rows else "",
            previous=_key(rows[0]) if more and rows else "",
        )
    qs = member_queryset(visible=visible, filters=filters, after=after)
    rows = list(qs.select_related("org", "attached_org").order_by("org_path", "id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return MemberPage(
        rows,
        next=_key(rows[-1]) if more and rows else "",
        previous=_key(rows[0]) if after and rows else "",
    )


def _key(m: Member) -> str:
    return f"{m.org_path}:{m.pk}"


def member_list(
    *, visible: QuerySet[Member], filters: MemberFilter, after: str = "", limit: int = PAGE
) -> tuple[list[Member], str]:
    """One page of members in tree order, and the cursor for the next page ("" at the end)
    (the API's pages)."""
    page = member_page(visible=visible, filters=filters, after=after, limit=limit)
    return page.rows, page.next


def count_up_to(qs: QuerySet[Member], limit: int) -> int:
    """How many rows, counting no further than `limit` + 1 (a bounded read)."""
    return qs.order_by()[: limit + 1].count()


def member_history(member: Member, limit: int = 50) -> list[MemberEvent | MemberEventRange]:
    """A member's history, newest first: their own events and the entries of the bulk loads
    that created them (`MemberEventRange`).

    Entries stand at the date they took effect (`on`), so one recorded late with an earlier
    date (back-dated: a lost contact noticed in March, since January) takes its place among
    the older ones. Entries of one date stand in the order they were recorded, the last
    first: by the time they were written, then, within one table, by id; a bulk load's entry,
    written before any of the member's own, goes below them should the times be equal."""
    order = ("-on", "-created_at", "-id")
    own = list(member.events.select_related("actor").order_by(*order)[:limit])
    shared = list(
        MemberEventRange.objects.filter(first_id__lte=member.pk, last_id__gte=member.pk)
        .select_related("actor")
        .order_by(*order)[:limit]
    )
    entries: list[MemberEvent | MemberEventRange] = [*own, *shared]
    entries.sort(key=lambda e: (e.on, e.created_at, isinstance(e, MemberEvent), e.pk), reverse=True)
    return entries[:limit]
