"""/api/v1/campaigns/{id}/coverage and /reach (decision 0020): members expected and reached at
an organization and its children, the members not yet reached a page at a time, and recording
who took part; scoped like the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from massline.access.permissions import CAMPAIGNS_RECORD
from massline.access.policy import access_org
from massline.accounts.requests import request_user
from massline.core.api_schemas import RequestBody, errors
from massline.core.errors import ApplicationError, NotFound

from . import coverage, coverage_services
from .models import ReachWay
from .overview import overview_org
from .selectors import campaign_for

router = Router(tags=["campaigns"])


class FigureOut(Schema):
    """`expected`: members who take part in the subtree, each once (at their branch, or where
    an inflow member lives); `reached`: of them, recorded as having taken part; `rate`: reached
    ÷ expected (null when nobody is expected)."""

    org: int
    org_code: str
    name: str
    participates: bool
    expected: int
    reached: int
    missing: int
    rate: float | None


class CoverageOut(FigureOut):
    campaign: int
    outflow: int
    lost_contact: int
    children: list[FigureOut]
    more_children: bool


def _figure(f: coverage.Figure) -> dict[str, Any]:
    return {
        "org": f.org.pk,
        "org_code": f.org.code,
        "name": f.org.name,
        "participates": f.participates,
        "expected": f.expected,
        "reached": f.reached,
        "missing": f.missing,
        "rate": None if f.rate is None else round(f.rate, 4),
    }


@router.get(
    "/{campaign_id}/coverage",
    response={200: CoverageOut, **errors(401, 403, 404, 422)},
    summary="Members expected and reached by a campaign at an organization and its children",
)
def campaign_coverage(
    request: HttpRequest, campaign_id: int, org: int | None = Query(None, ge=1)
) -> dict[str, Any]:
    c = campaign_for(request.user, campaign_id)
    cov = coverage.coverage(c, overview_org(request.user, c, org))
    return {
        **_figure(cov.own),
        "campaign": c.pk,
        "outflow": cov.own.outflow,
        "lost_contact": cov.own.lost,
        "children": [_figure(f) for f in cov.children],
        "more_children": cov.more_children,
    }


class MissingOut(Schema):
    """A member not yet reached: `taking_part_at` is where they count (their branch, or the
    organization an inflow member is attached to); `counted_here` is false when that is
    outside the organization asked about (they are listed at both ends, counted once)."""

    member: int
    name: str
    org: int
    org_name: str
    taking_part_at: int
    counted_here: bool
    mobility: str
    mobility_place: str
    lost_contact: bool


class MissingPage(Schema):
    items: list[MissingOut]
    next_after: str | None


@router.get(
    "/{campaign_id}/coverage/missing",
    response={200: MissingPage, **errors(400, 401, 403, 404, 422)},
    summary="Members held in an organization's subtree whom the campaign has not reached",
)
def coverage_missing(
    request: HttpRequest,
    campaign_id: int,
    org: int | None = Query(None, ge=1),
    after: str = Query("", max_length=300),
) -> dict[str, Any]:
    """Pages of 50 in the tree's order; pass `next_after` back as `after`."""
    c = campaign_for(request.user, campaign_id)
    target = overview_org(request.user, c, org)
    cursor = None
    if after:
        path, _sep, pk = after.rpartition(":")
        if not path or not pk.isdigit():
            raise ApplicationError(
                _("Pass the previous page's next_after as after."), field="after"
            )
        cursor = (path, int(pk))
    rows, more = coverage.missing_page(c, target, cursor)
    return {
        "items": [
            {
                "member": m.pk,
                "name": m.name,
                "org": m.org_id,
                "org_name": m.org.name,
                "taking_part_at": m.taking_part_at.pk,  # type: ignore[attr-defined]
                "counted_here": m.counted_here,  # type: ignore[attr-defined]
                "mobility": m.mobility,
                "mobility_place": m.mobility_place,
                "lost_contact": m.lost_contact,
            }
            for m in rows
        ],
        "next_after": f"{more[0]}:{more[1]}" if more else None,
    }


class ReachIn(RequestBody):
    org: int
    members: list[int] = Field(..., min_length=1, max_length=coverage_services.MAX_MEMBERS)
    on: dt.date | None = None
    way: str = ReachWay.MEETING


class ReachOut(Schema):
    added: int
    already: int


@router.post(
    "/{campaign_id}/reach",
    response={200: ReachOut, **errors(400, 401, 403, 404, 422)},
    summary="Record that members who take part at an organization took part (counted once)",
)
def reach_create(request: HttpRequest, campaign_id: int, payload: ReachIn) -> dict[str, int]:
    """`on` defaults to today; `way` is meeting, visit or online."""
    target = access_org(request.user, payload.org, CAMPAIGNS_RECORD)
    c = campaign_for(request.user, campaign_id)
    if not target.path.startswith(c.org_path):
        raise NotFound()
    done = coverage_services.reach_record(
        actor=request_user(request),
        campaign=c,
        org=target,
        member_ids=payload.members,
        on=payload.on or timezone.localdate(),
        way=payload.way,
    )
    return {"added": done.added, "already": done.already}


@router.delete(
    "/{campaign_id}/reach/{member_id}",
    response={204: None, **errors(400, 401, 403, 404, 422)},
    summary="Take back the record that a member took part",
)
def reach_delete(request: HttpRequest, campaign_id: int, member_id: int) -> tuple[int, None]:
    c = coverage_services.reach_campaign(request.user, campaign_id, member_id)
    coverage_services.reach_withdraw(actor=request_user(request), campaign=c, member_id=member_id)
    return 204, None
