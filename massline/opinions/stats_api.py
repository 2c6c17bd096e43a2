"""/api/v1/opinions/stats: an organization's opinion statistics (decision 0021, "Statistics"),
the figures of the statistics page read from the counters: totals, by status, channel and
category, and each child's totals. Mounted before the dispatch's `/{opinion_id}` routes.
Errors: 401, 403 (the organization seen without opinions.view), 404, 422."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from massline.access.permissions import OPINIONS_VIEW
from massline.access.policy import access_org
from massline.core.api_schemas import errors

from .stats import Part, Totals, stats

router = Router(tags=["opinions"])


class OpinionTotalsOut(Schema):
    total: int
    open: int
    overdue: int
    anonymous: int


class OpinionPartOut(Schema):
    key: str
    label: str
    count: int


class OpinionChildOut(Schema):
    id: int
    code: str
    name: str
    totals: OpinionTotalsOut


class OpinionStatsOut(Schema):
    org: int
    code: str
    name: str
    totals: OpinionTotalsOut
    by_status: list[OpinionPartOut]
    by_channel: list[OpinionPartOut]
    by_category: list[OpinionPartOut]
    children: list[OpinionChildOut]
    more_children: bool


def _totals(t: Totals) -> dict[str, int]:
    return {"total": t.total, "open": t.open, "overdue": t.overdue, "anonymous": t.anonymous}


def _parts(parts: list[Part]) -> list[dict[str, object]]:
    return [{"key": p.key, "label": p.label, "count": p.count} for p in parts]


@router.get(
    "/stats",
    response={200: OpinionStatsOut, **errors(401, 403, 404, 422)},
    summary="An organization's opinion statistics, from the counters",
)
def opinions_stats(
    request: HttpRequest, org: int = Query(..., ge=1, le=2**62)
) -> dict[str, object]:
    """The opinions addressed to `org` and below: totals, by status, by channel, by category
    (the categories with opinions, most first; `key` is the category id), and each child
    organization's totals (at most 300, `more_children` says when there are more)."""
    s = stats(access_org(request.user, org, OPINIONS_VIEW))
    return {
        "org": s.org.pk,
        "code": s.org.code,
        "name": s.org.name,
        "totals": _totals(s.totals),
        "by_status": _parts(s.by_status),
        "by_channel": _parts(s.by_channel),
        "by_category": _parts(s.by_category),
        "children": [
            {"id": c.org.pk, "code": c.org.code, "name": c.org.name, "totals": _totals(c.totals)}
            for c in s.children
        ],
        "more_children": s.more_children,
    }
