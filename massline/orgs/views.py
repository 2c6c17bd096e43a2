"""Organization pages. Permission checks come from the access app (docs/decisions/0002)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from massline.access.permissions import ORGS_VIEW, STATS_VIEW
from massline.access.policy import access_org, can, scope_roots, scoped
from massline.core.htmx import wants_fragment

from .models import Organization
from .selectors import CHILDREN_PAGE, org_ancestors, org_children, org_figures, org_search


def _nodes(orgs: list[Organization]) -> list[dict]:
    figures = org_figures(org_ids=[o.pk for o in orgs])
    return [
        {
            "org": o,
            "subtree": figures[o.pk].get("orgs.total"),
            "has_children": figures[o.pk].get("orgs.total") > 1,
        }
        for o in orgs
    ]


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    visible = scoped(Organization.objects.all(), request.user, ORGS_VIEW)
    results = _nodes(org_search(visible=visible, q=q)) if q else None
    if wants_fragment(request, "search-results"):
        return render(request, "orgs/tree.html#search-results", {"q": q, "results": results})
    roots = scope_roots(request.user, ORGS_VIEW)
    return render(
        request,
        "orgs/tree.html",
        {
            "nav": "orgs",
            "q": q,
            "results": results,
            "nodes": _nodes(roots),
        },
    )


@login_required
def children(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, ORGS_VIEW)
    visible = scoped(Organization.objects.all(), request.user, ORGS_VIEW)
    kids = list(org_children(org=org, visible=visible)[: CHILDREN_PAGE + 1])
    more = len(kids) > CHILDREN_PAGE
    return render(
        request,
        "orgs/tree.html#nodes",
        {
            "nodes": _nodes(kids[:CHILDREN_PAGE]),
            "more": more,
            "parent": org,
        },
    )


@login_required
def detail(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org(request.user, org_id, ORGS_VIEW)
    visible = scoped(Organization.objects.all(), request.user, ORGS_VIEW)
    page = Paginator(org_children(org=org, visible=visible), 100).get_page(request.GET.get("page"))
    kids = list(page.object_list)
    figures = org_figures(org_ids=[org.pk, *[k.pk for k in kids]])
    context = {
        "nav": "orgs",
        "org": org,
        "ancestors": org_ancestors(org=org, visible=visible),
        "figures": figures[org.pk] if can(request.user, STATS_VIEW, org) else None,
        "page": page,
        "children": [{"org": k, "subtree": figures[k.pk].get("orgs.total")} for k in kids],
    }
    if wants_fragment(request, "children-table"):
        return render(request, "orgs/detail.html#children-table", context)
    return render(request, "orgs/detail.html", context)
