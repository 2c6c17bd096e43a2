"""The roster page: filters (with an organization picker), pages both ways in tree order, a
page size, a sort (the tree's order, by name in pinyin order, by join date: `sorting`), and the
total for the filters: exact from the counters where a counter serves, else counted up to a
bound where that is cheap."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from massline.access.permissions import MEMBERS_MANAGE, MEMBERS_VIEW
from massline.access.policy import can, can_anywhere, scoped
from massline.core.errors import Forbidden
from massline.core.reference import ETHNIC_GROUPS
from massline.orgs.models import Organization
from massline.orgs.selectors import org_by_words

from . import roster_export, services
from .models import Category, Member, MemberStatus
from .selectors import (
    FILTER_PARAMS,
    PAGE,
    filters_from_params,
    member_page,
)
from .sorting import IN_MEMORY, SORT_CHOICES, SORTS, TREE, sorted_page, too_many_to_sort
from .totals import list_total, sort_in_memory

PAGE_SIZES = (20, 50, 100, 200)


def _org_from_words(request: HttpRequest) -> tuple[dict[str, str], str]:
    """The query with `org` filled from the words typed in the picker when script did not,
    and a message when the words do not name one organization in the user's view."""
    params: dict[str, str] = {k: v for k, v in request.GET.dict().items() if v}
    words = params.pop("org_q", "")
    if not words.strip() or params.get("org"):
        return params, ""
    visible = scoped(Organization.objects.all(), request.user, MEMBERS_VIEW)
    org, error = org_by_words(visible=visible, words=words)
    if org is not None:
        params["org"] = str(org.pk)
    return params, error


@login_required
def member_list_view(request: HttpRequest) -> HttpResponse:
    if not can_anywhere(request.user, MEMBERS_VIEW):
        raise Forbidden()
    params, org_error = _org_from_words(request)
    filters = filters_from_params(request.user, params)
    size = int(params["size"]) if params.get("size", "").isdigit() else PAGE
    size = size if size in PAGE_SIZES else PAGE
    visible = scoped(Member.objects.all(), request.user, MEMBERS_VIEW)
    sort = SORTS.get(params.get("sort", ""))
    sort_error = ""
    counted = list_total(request.user, filters, visible)
    total, exact, totals = counted.value, counted.exact, counted.scope
    cursors = {"after": params.get("after", ""), "before": params.get("before", "")}
    page = None
    if sort is not None:
        page = sorted_page(
            user=request.user,
            filters=filters,
            sort=sort,
            limit=size,
            # the total says whether the rows can be sorted here (None: not counted)
            small=sort_in_memory(counted, size, IN_MEMORY),
            **cursors,
        )
        if page is None:  # a search by name with too many to sort: the tree's order
            sort_error = too_many_to_sort()
            sort = None
            cursors = {}
    if page is None:
        page = member_page(visible=visible, filters=filters, limit=size, **cursors)
    query = {k: v for k, v in params.items() if k in FILTER_PARAMS or k == "size"}
    if sort is not None:
        query["sort"] = sort.code
    filtered = any(k in query for k in (*FILTER_PARAMS, "sort") if k != "org")
    context = {
        "nav": "members",
        "members": page.rows,
        "next_url": f"?{urlencode({**query, 'after': page.next})}" if page.next else "",
        "previous_url": f"?{urlencode({**query, 'before': page.previous})}"
        if page.previous
        else "",
        "filters": filters,
        "filtered": filtered or bool(filters.org),
        "org_error": org_error,
        "query": query,
        "size": size,
        "page_sizes": PAGE_SIZES,
        "sort": sort.code if sort else TREE,
        "sort_error": sort_error,
        "sort_by_join": sort is not None and sort.field == "join_date",
        "sorts": SORT_CHOICES,
        "total": total,
        "total_exact": exact,
        "statuses": MemberStatus.choices,
        "categories": Category.choices,
        "ethnicities": ETHNIC_GROUPS,
        "age_bands": [
            ("under35", _("under 35")),
            ("35to45", _("35 to 45")),
            ("46to60", _("46 to 60")),
            ("over60", _("over 60")),
        ],
        "register": "lost" if filters.lost_contact else ("mobile" if filters.mobility else "all"),
        "totals": totals,
        "can_add": filters.org is not None
        and filters.org.kind in services.MEMBER_ORG_KINDS
        and can(request.user, MEMBERS_MANAGE, filters.org),
        "can_import": can_anywhere(request.user, MEMBERS_MANAGE),
        "export_query": urlencode({k: v for k, v in query.items() if k in FILTER_PARAMS}),
        "export_masked": not roster_export.may_show_full(request.user, filters),
    }
    return render(request, "members/list.html", context)
