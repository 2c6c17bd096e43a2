"""/api/v1/orgs: the organization tree, with the same access rules as the pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from massline.access.permissions import ORGS_VIEW, STATS_VIEW
from massline.access.policy import access_org, scoped

from .models import Organization
from .selectors import CHILDREN_PAGE, org_children, org_figures, org_search

router = Router(tags=["organizations"])


class OrgOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    unit_type: str
    area_type: str
    depth: int
    parent: int | None = Field(None, alias="parent_id")
    division: str | None = Field(None, alias="division_id")


class OrgPage(Schema):
    items: list[OrgOut]
    next_after: str | None = Field(None, description="pass as `after` for the next page")


class MetricOut(Schema):
    own: int
    subtree: int


class StatsOut(Schema):
    org: int
    metrics: dict[str, MetricOut]


def _visible(request: HttpRequest):  # type: ignore[no-untyped-def]
    return scoped(Organization.objects.all(), request.user, ORGS_VIEW)


@router.get("", response=OrgPage, summary="Organizations in scope, by name or code")
def org_list(
    request: HttpRequest, q: str = "", after: str = "", limit: int = 50
) -> dict[str, object]:
    limit = max(1, min(limit, 500))
    if q:
        return {
            "items": org_search(visible=_visible(request), q=q, limit=limit),
            "next_after": None,
        }
    # Keyset pagination in tree order: `after` is the code of the last item seen.
    qs = _visible(request).order_by("path")
    if after:
        last = Organization.objects.filter(code=after).values_list("path", flat=True).first()
        if last is not None:
            qs = qs.filter(path__gt=last)
    items = list(qs[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_after": items[-1].code if more else None}


@router.get("/{org_id}", response=OrgOut, summary="One organization")
def org_get(request: HttpRequest, org_id: int) -> Organization:
    return access_org(request.user, org_id, ORGS_VIEW)


@router.get("/{org_id}/children", response=list[OrgOut], summary="Direct subordinates in scope")
def org_children_list(
    request: HttpRequest, org_id: int, offset: int = 0, limit: int = CHILDREN_PAGE
) -> list[Organization]:
    org = access_org(request.user, org_id, ORGS_VIEW)
    limit = max(1, min(limit, 1000))
    return list(
        org_children(org=org, visible=_visible(request))[max(0, offset) : max(0, offset) + limit]
    )


@router.get("/{org_id}/stats", response=StatsOut, summary="Counters: own and subtree figures")
def org_stats(request: HttpRequest, org_id: int) -> dict[str, object]:
    org = access_org(request.user, org_id, STATS_VIEW)
    figures = org_figures(org_ids=[org.pk])[org.pk]
    return {
        "org": org.pk,
        "metrics": {
            m: {"own": figures.own.get(m, 0), "subtree": figures.subtree.get(m, 0)}
            for m in sorted(set(figures.subtree) | set(figures.own))
        },
    }
