"""/api/v1/orgs/{id}/rates: the three rates of an organization's subtree and its children's
ranking (decision 0022, "The three rates"), read from the counters. Access: stats.view or
rectification.view at the organization. Errors: 401, 403, 404, 422, and 400 `below_k` when a
breakdown is asked for below k evaluations."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema

from massline.core.api_schemas import errors

from .rates import (
    RATES,
    REASONS,
    SATISFACTION,
    Figures,
    Ranked,
    access_rates,
    evaluation_k,
    formulas,
    ranking,
    rates_of,
    require_breakdown,
)

router = Router(tags=["rectification"])

ORG_ID = Path(..., ge=1, le=2**62)


class RateOut(Schema):
    value: float | None
    numerator: float
    denominator: float
    sample: int
    reason: str
    reason_text: str


class TermOut(Schema):
    code: str
    weight: float


class FormulaOut(Schema):
    numerator: list[TermOut]
    denominator: list[TermOut]
    words: str


class OverdueOut(Schema):
    fixes: int
    opinions: int


class RatesOut(Schema):
    org: int
    code: str
    name: str
    response_rate: RateOut
    resolution_rate: RateOut
    satisfaction_rate: RateOut
    counts: dict[str, int | None]
    broken_down: bool
    k: int
    overdue: OverdueOut
    formulas: dict[str, FormulaOut]


class RankedOut(Schema):
    rank: int | None
    org: int
    code: str
    name: str
    response_rate: RateOut
    resolution_rate: RateOut
    satisfaction_rate: RateOut


class RankingOut(Schema):
    org: int
    sort: str
    min_sample: int
    ranked: list[RankedOut]
    sample_too_small: list[RankedOut]
    more_children: bool


def _rate(f: Figures, key: str) -> dict[str, object]:
    r = f.rates[key]
    return {
        "value": r.value,
        "numerator": r.numerator,
        "denominator": r.denominator,
        "sample": r.sample,
        "reason": r.reason,
        "reason_text": str(REASONS[r.reason]) if r.reason else "",
    }


def _rates(f: Figures) -> dict[str, object]:
    return {key: _rate(f, key) for key in RATES}


@router.get(
    "/{org_id}/rates",
    response={200: RatesOut, **errors(400, 401, 403, 404, 422)},
    summary="The three rates of an organization and below, from the counters",
)
def org_rates(
    request: HttpRequest, org_id: int = ORG_ID, breakdown: bool = False
) -> dict[str, object]:
    """Response, resolution and satisfaction rates of the organization's subtree: each with
    its value (0..1, null with `reason` `no_sample` or `below_k`), its weighted numerator and
    denominator and its sample size; the counts behind them (the verdicts null below `k`
    evaluations), the overdue fixes and opinions, and the formulas used. `breakdown=true`
    asks for the verdicts: refused (400 `below_k`) below k evaluations."""
    f = rates_of(access_rates(request.user, org_id))
    if breakdown:
        require_breakdown(f)
    return {
        "org": f.org.pk,
        "code": f.org.code,
        "name": f.org.name,
        **_rates(f),
        "counts": f.counts,
        "broken_down": f.broken_down,
        "k": evaluation_k(),
        "overdue": f.overdue,
        "formulas": {key: form.as_data() for key, form in formulas().items()},
    }


@router.get(
    "/{org_id}/rates/children",
    response={200: RankingOut, **errors(400, 401, 403, 404, 422)},
    summary="The children of an organization ranked by one of the three rates",
)
def org_rates_children(
    request: HttpRequest,
    org_id: int = ORG_ID,
    sort: str = Query(SATISFACTION, pattern="^(response_rate|resolution_rate|satisfaction_rate)$"),
) -> dict[str, object]:
    """The direct children (the first 300 by code), ranked by `sort` highest first, each with
    its three rates and their sample sizes; those whose sample for `sort` is below
    `min_sample` (or whose rate is withheld) are listed apart in `sample_too_small`."""
    r = ranking(access_rates(request.user, org_id), sort)

    def row(item: Ranked) -> dict[str, object]:
        f = item.figures
        return {
            "rank": item.rank,
            "org": f.org.pk,
            "code": f.org.code,
            "name": f.org.name,
            **_rates(f),
        }

    return {
        "org": r.org.pk,
        "sort": r.sort,
        "min_sample": r.min_sample,
        "ranked": [row(i) for i in r.ranked],
        "sample_too_small": [row(i) for i in r.too_small],
        "more_children": r.more_children,
    }
