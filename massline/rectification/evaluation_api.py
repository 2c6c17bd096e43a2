"""The API of evaluation by the public (decision 0022, "Evaluation by the public").

- `public_router` (mounted at /api/v1/public, no login): `POST /evaluations` judges a closed-out
  fix with a receipt code or an evaluation code; rate-limited per address like the opinion box,
  and nothing about the client kept.
- `router` (mounted at /api/v1/rectification, signed in): a fix's results for a round under the
  k rule (`below_k` under it), and evaluation codes issued for slips (shown once).
Errors: the project's shape (code, message, field)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from massline.access.permissions import RECTIFICATION_MANAGE, RECTIFICATION_VIEW
from massline.access.policy import access_scoped
from massline.accounts.requests import request_user
from massline.core.api_schemas import NO_NUL, RequestBody, errors, one_of
from massline.opinions import throttle
from massline.opinions.receipts import grouped

from .evaluation_services import (
    REASON_MAX,
    TOKENS_MAX,
    breakdown_required,
    evaluation_submit,
    tokens_issue,
)
from .models import Fix, Verdict

public_router = Router(tags=["public"], auth=None)
router = Router(tags=["rectification"])

VerdictName = Annotated[str, one_of(Verdict.values)]


class EvaluationIn(RequestBody):
    """One of `receipt` (an opinion's receipt code) or `token` (an evaluation code from a
    slip); `reason` is required with `unsatisfied`; `fix` chooses among the fixes a receipt
    leads to (the error `choose_fix` lists them)."""

    receipt: str = Field("", max_length=64, pattern=NO_NUL)
    token: str = Field("", max_length=64, pattern=NO_NUL)
    verdict: VerdictName = Field(..., max_length=32)
    reason: str = Field("", max_length=REASON_MAX * 2, pattern=NO_NUL)
    fix: int | None = Field(None, ge=1, le=2**62)


class EvaluationOut(Schema):
    fix: int
    round: int
    verdict: str


@public_router.post(
    "/evaluations",
    response={201: EvaluationOut, **errors(400, 404, 413, 422, 429)},
    summary="Judge a closed-out fix with a receipt code or an evaluation code (no login)",
)
def evaluate(request: HttpRequest, payload: EvaluationIn) -> tuple[int, dict[str, Any]]:
    throttle.check(request, "evaluate")
    e = evaluation_submit(
        receipt=payload.receipt,
        token=payload.token,
        verdict=payload.verdict,
        reason=payload.reason,
        fix_id=payload.fix,
    )
    return 201, {"fix": e.fix_id, "round": e.round, "verdict": e.verdict}


class BreakdownOut(Schema):
    """A round's evaluations broken down by verdict (only from `k` evaluations on)."""

    fix: int
    round: int
    rounds: int
    k: int
    total: int
    satisfied: int
    basically_satisfied: int
    unsatisfied: int


def _fix(request: HttpRequest, fix_id: int, perm: str) -> Fix:
    user = request_user(request)
    return access_scoped(
        Fix.objects.select_related("org"), user, fix_id, perm, view_perm=RECTIFICATION_VIEW
    )


@router.get(
    "/fixes/{fix_id}/evaluations",
    response={200: BreakdownOut, **errors(400, 401, 404, 422)},
    summary="A fix's evaluations in a round, by verdict (refused below k: below_k)",
)
def evaluations(
    request: HttpRequest, fix_id: int, round: int | None = Query(None, ge=1, le=10_000)
) -> dict[str, Any]:
    fix = _fix(request, fix_id, RECTIFICATION_VIEW)
    found = breakdown_required(fix, round)
    assert found.counts is not None
    return {
        "fix": fix.pk,
        "round": found.round,
        "rounds": fix.round,
        "k": found.k,
        "total": found.total,
        **found.counts,
    }


class TokensIn(RequestBody):
    count: int = Field(..., ge=1, le=TOKENS_MAX)


class TokensOut(Schema):
    """The evaluation codes, in groups of four, for the fix's present round: shown once."""

    fix: int
    round: int
    codes: list[str]


@router.post(
    "/fixes/{fix_id}/tokens",
    response={201: TokensOut, **errors(400, 401, 403, 404, 422)},
    summary="Issue one-time evaluation codes for a fix's slips (shown once)",
)
def tokens(request: HttpRequest, fix_id: int, payload: TokensIn) -> tuple[int, dict[str, Any]]:
    fix = _fix(request, fix_id, RECTIFICATION_MANAGE)
    codes = tokens_issue(actor=request_user(request), fix=fix, count=payload.count)
    return 201, {"fix": fix.pk, "round": fix.round, "codes": [grouped(c) for c in codes]}
