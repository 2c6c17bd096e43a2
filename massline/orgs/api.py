"""/api/v1/orgs: the organization tree, with the same access rules as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from massline.access.permissions import ORGS_MANAGE, ORGS_VIEW, STATS_VIEW
from massline.access.policy import access_org, scoped
from massline.accounts.requests import request_user
from massline.core.api_schemas import LINE, NO_NUL, RequestBody, errors
from massline.core.errors import Forbidden

from .authority import can_move, refuse_own_structure_changes
from .models import AreaType, Organization, OrgKind, UnitType
from .selectors import (
    CHILDREN_PAGE,
    administrative_only,
    org_children,
    org_figures,
    org_search,
)
from .services import org_create, org_move, org_update

router = Router(tags=["organizations"])

# No organization has more subordinates than this; a larger offset is an error, not a query.
MAX_OFFSET = 1_000_000


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


class OrgIn(RequestBody):
    parent: int
    code: str = Field(..., max_length=32, pattern=LINE)
    name: str = Field(..., max_length=128, pattern=LINE)
    kind: OrgKind
    unit_type: UnitType
    area_type: AreaType | None = None


class OrgPatch(RequestBody):
    name: str | None = Field(None, max_length=128, pattern=LINE)
    kind: OrgKind | None = None
    unit_type: UnitType | None = None
    area_type: AreaType | None = None


class MoveIn(RequestBody):
    parent: int


class MetricOut(Schema):
    own: int
    subtree: int


class StatsOut(Schema):
    org: int
    metrics: dict[str, MetricOut]


def _visible(request: HttpRequest, admin_only: bool = False):  # type: ignore[no-untyped-def]
    visible = scoped(Organization.objects.all(), request.user, ORGS_VIEW)
    return administrative_only(visible) if admin_only else visible


@router.get(
    "",
    response={200: OrgPage, **errors(401, 422)},
    summary="Organizations in scope, by name or code",
)
def org_list(
    request: HttpRequest,
    q: str = Query("", pattern=NO_NUL),
    after: str = Query("", pattern=NO_NUL),
    limit: int = Query(50, ge=1, le=500),
    admin_only: bool = False,
) -> dict[str, object]:
    """`admin_only` leaves out development zones, parks, farms and other non-administrative
    units and everything under them."""
    if q:
        return {
            "items": org_search(visible=_visible(request, admin_only), q=q, limit=limit),
            "next_after": None,
        }
    # Keyset pagination in tree order: `after` is the code of the last item seen.
    qs = _visible(request, admin_only).order_by("path")
    if after:
        last = _visible(request).filter(code=after).values_list("path", flat=True).first()
        if last is not None:
            qs = qs.filter(path__gt=last)
    items = list(qs[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_after": items[-1].code if more else None}


@router.get(
    "/{org_id}", response={200: OrgOut, **errors(401, 404, 422)}, summary="One organization"
)
def org_get(request: HttpRequest, org_id: int) -> Organization:
    return access_org(request.user, org_id, ORGS_VIEW)


@router.get(
    "/{org_id}/children",
    response={200: list[OrgOut], **errors(401, 404, 422)},
    summary="Direct subordinates in scope",
)
def org_children_list(
    request: HttpRequest,
    org_id: int,
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(CHILDREN_PAGE, ge=1, le=1000),
    admin_only: bool = False,
) -> list[Organization]:
    org = access_org(request.user, org_id, ORGS_VIEW)
    return list(
        org_children(org=org, visible=_visible(request, admin_only))[offset : offset + limit]
    )


@router.get(
    "/{org_id}/stats",
    response={200: StatsOut, **errors(401, 403, 404, 422)},
    summary="Counters: own and subtree figures",
)
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


@router.post(
    "",
    response={201: OrgOut, **errors(400, 401, 403, 404, 422)},
    summary="Create an organization under a parent",
)
def org_create_endpoint(request: HttpRequest, payload: OrgIn) -> tuple[int, Organization]:
    parent = access_org(request.user, payload.parent, ORGS_MANAGE)
    org = org_create(
        actor=request_user(request),
        parent=parent,
        code=payload.code.strip().upper(),
        name=payload.name,
        kind=payload.kind.value,
        unit_type=payload.unit_type.value,
        area_type=payload.area_type.value if payload.area_type else "",
    )
    return 201, org


@router.patch(
    "/{org_id}",
    response={200: OrgOut, **errors(400, 401, 403, 404, 422)},
    summary="Change name, kind, unit or area type",
    description="The name, kind and unit type are changed by the level above: someone who "
    "also manages the organization's parent (403 naming the field otherwise). An "
    "organization holding members stays a branch or general branch, one with subordinates "
    "does not become a branch, and a name is free among its siblings (400 naming the field). "
    "A request that changes nothing writes nothing.",
)
def org_update_endpoint(request: HttpRequest, org_id: int, payload: OrgPatch) -> Organization:
    org = access_org(request.user, org_id, ORGS_MANAGE)
    sent = payload.dict(exclude_unset=True)
    # null leaves a field as it is; for the area type (which may be empty) it clears it.
    changes: dict[str, Any] = {
        field: getattr(value, "value", value) for field, value in sent.items() if value is not None
    }
    if "area_type" in sent and sent["area_type"] is None:
        changes["area_type"] = ""
    refuse_own_structure_changes(request.user, org, changes)
    return org_update(actor=request_user(request), org=org, **changes)


@router.post(
    "/{org_id}/move",
    response={200: OrgOut, **errors(400, 401, 403, 404, 422)},
    summary="Move an organization and its subtree",
)
def org_move_endpoint(request: HttpRequest, org_id: int, payload: MoveIn) -> Organization:
    org = access_org(request.user, org_id, ORGS_MANAGE)
    if not can_move(request.user, org):
        raise Forbidden()
    new_parent = access_org(request.user, payload.parent, ORGS_MANAGE)
    return org_move(actor=request_user(request), org=org, new_parent=new_parent)
