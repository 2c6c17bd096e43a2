"""Roster pages sorted by name (pinyin order, `core.collation`) or by join date, keyset-paged
both ways over any subtree.

Each sort has an index on (key, id). Which way to read is not left to the planner, which
cannot tell a subtree of 300 members from one of 300,000 when the bounds are parameters:

- a filter that keeps at most `IN_MEMORY` rows (known from the list's total, else found by
  reading up to that bound) is read through the path index, its (key, id) pairs sorted here, and the
  page's rows fetched by id;
- a larger one walks the sort's index from the cursor, with the subtree written as a condition
  no index serves (`orgs.paths.subtree_q`), so the database cannot choose to read and sort the
  whole subtree. The filter keeps more than `IN_MEMORY` rows, so at a province's scale (1.3
  million rows) a page is found within about 6,500 rows of the index;
- except a search by name that finds more than `IN_MEMORY`: its rows are not spread over the
  sort's order but bunched (all the 王 together), and the walk could read most of the index
  before the first. It is not sorted (`sorted_page` answers None) and the page says why.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from massline.access.permissions import MEMBERS_VIEW
from massline.access.policy import scoped

from .models import Member
from .selectors import MemberFilter, MemberPage, is_name_search, member_queryset

IN_MEMORY = 10_000


@dataclass(frozen=True)
class Sort:
    code: str
    label: Any
    field: str
    descending: bool = False

    def parse(self, raw: str) -> tuple[Any, int] | None:
        """A cursor `value:id` of this sort, or None when it is not one."""
        value, _sep, pk = raw.rpartition(":")
        if not pk.isdigit():
            return None
        if self.field == "join_date":
            try:
                return dt.date.fromisoformat(value), int(pk)
            except ValueError:
                return None
        if not value or not value.isascii() or not value.isalnum():
            return None
        return value, int(pk)

    def key_of(self, member: Member) -> str:
        value = getattr(member, self.field)
        return f"{value.isoformat() if isinstance(value, dt.date) else value}:{member.pk}"


TREE = "tree"
SORTS = {
    s.code: s
    for s in (
        Sort("name", _("by name (pinyin)"), "name_key"),
        Sort("joined", _("by join date, earliest first"), "join_date"),
        Sort("joined_desc", _("by join date, latest first"), "join_date", descending=True),
    )
}
#: The `sort` values the API accepts.
SORT_PATTERN = "^(" + "|".join([TREE, *SORTS]) + ")$"


def too_many_to_sort() -> str:
    return gettext("More than %(n)s members match: narrow the search to sort them.") % {
        "n": f"{IN_MEMORY:,}"
    }


#: (code, label) of every order the roster offers, the tree's first.
SORT_CHOICES = [(TREE, _("by organization")), *((s.code, s.label) for s in SORTS.values())]


def _beyond(sort: Sort, value: Any, pk: int, *, forward: bool) -> Q:
    """The rows after (value, pk) in the sort's order, or before it."""
    greater = forward != sort.descending
    op, bound = ("gt", "gte") if greater else ("lt", "lte")
    f = sort.field
    # The bare bound first: the index range; the pair decides the rows equal to it.
    return Q(**{f"{f}__{bound}": value}) & (
        Q(**{f"{f}__{op}": value}) | Q(**{f: value, f"id__{op}": pk})
    )


def sorted_page(
    *,
    user: Any,
    filters: MemberFilter,
    sort: Sort,
    after: str = "",
    before: str = "",
    limit: int,
    small: bool | None = None,
) -> MemberPage | None:
    """One page of the members in `user`'s view in `sort` order, forwards from `after` or
    backwards from `before`: their scope as path ranges to read in memory, as conditions no
    index serves (`access.policy.scoped(..., path_index=False)`) to walk; `small` says
    whether the filters keep at most IN_MEMORY rows, when the caller knows (the list's total,
    `totals.list_total`); None: not known, so they are read up to that bound to find out.
    Answers None for a search by name that finds too many to sort."""
    cursor = sort.parse(after) if after else None
    back = sort.parse(before) if before and cursor is None else None
    if small is not False:  # known to be few, or not known: read them, up to the bound
        visible = scoped(Member.objects.all(), user, MEMBERS_VIEW)
        qs = member_queryset(visible=visible, filters=filters)
        pairs = list(qs.order_by().values_list(sort.field, "id")[: IN_MEMORY + 1])
        if len(pairs) <= IN_MEMORY:
            return _page_in_memory(pairs, sort, cursor, back, limit)
    if is_name_search(filters.q):
        return None
    walking = scoped(Member.objects.all(), user, MEMBERS_VIEW, path_index=False)
    walk = member_queryset(visible=walking, filters=filters, path_index=False)
    return _page_by_walk(walk, sort, cursor, back, limit)


def _page_in_memory(
    pairs: list[tuple[Any, int]],
    sort: Sort,
    cursor: tuple[Any, int] | None,
    back: tuple[Any, int] | None,
    limit: int,
) -> MemberPage:
    pairs.sort(reverse=sort.descending)
    # positions in a list sorted ascending whatever the sort: a descending sort is read back
    keys = pairs if not sort.descending else pairs[::-1]

    def index_after(c: tuple[Any, int]) -> int:
        if not sort.descending:
            return bisect.bisect_right(keys, c)
        return len(keys) - bisect.bisect_left(keys, c)

    def index_before(c: tuple[Any, int]) -> int:
        if not sort.descending:
            return bisect.bisect_left(keys, c)
        return len(keys) - bisect.bisect_right(keys, c)

    if back is not None:
        end = index_before(back)
        start = max(0, end - limit)
    else:
        start = index_after(cursor) if cursor is not None else 0
        end = start + limit
    ids = [pk for _value, pk in pairs[start:end]]
    found = Member.objects.select_related("org", "attached_org").in_bulk(ids)
    rows = [found[pk] for pk in ids if pk in found]
    return MemberPage(
        rows,
        next=sort.key_of(rows[-1]) if rows and end < len(pairs) else "",
        previous=sort.key_of(rows[0]) if rows and start > 0 else "",
    )


def _page_by_walk(
    qs: QuerySet[Member],
    sort: Sort,
    cursor: tuple[Any, int] | None,
    back: tuple[Any, int] | None,
    limit: int,
) -> MemberPage:
    f = sort.field
    ascending = (f, "id")
    descending = (f"-{f}", "-id")
    qs = qs.select_related("org", "attached_org")
    if back is not None:
        order = ascending if sort.descending else descending
        rows = list(qs.filter(_beyond(sort, *back, forward=False)).order_by(*order)[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit][::-1]
        return MemberPage(
            rows,
            next=sort.key_of(rows[-1]) if rows else "",
            previous=sort.key_of(rows[0]) if more and rows else "",
        )
    if cursor is not None:
        qs = qs.filter(_beyond(sort, *cursor, forward=True))
    rows = list(qs.order_by(*(descending if sort.descending else ascending))[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return MemberPage(
        rows,
        next=sort.key_of(rows[-1]) if more and rows else "",
        previous=sort.key_of(rows[0]) if cursor is not None and rows else "",
    )
