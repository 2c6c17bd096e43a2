"""/api/v1/public/orgs/{id}/commitments: an organization's public board of commitments
(decision 0022, "API and the public board"), the API side of the portal page `/p/b/<org>/`.
No login; the same content as the page (`board.commitments`), newest first in keyset pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from massline.core.api_schemas import NO_NUL, errors

from .board import PAGE, PAGE_MAX, board_org, commitments

router = Router(tags=["public"], auth=None)


class PublicProgressOut(Schema):
    on: dt.date
    round: int
    note: str


class PublicResultOut(Schema):
    """`evaluated`: how many judged the present round; the three figures only when at least
    `k` did (null otherwise)."""

    evaluated: int
    k: int
    satisfied: int | None
    basically_satisfied: int | None
    unsatisfied: int | None


class PublicCommitmentOut(Schema):
    """`audience`: public or submitters. A commitment to the people who raised it (`full`
    false) shows only that it exists, who made it, its promised day and its closed-out day;
    its words, progress and result are for those people. `state`: in_progress or closed."""

    id: int
    org_name: str
    audience: str
    audience_label: str
    full: bool
    promised_on: dt.date | None
    published_on: dt.date
    state: str
    state_label: str
    closed_on: dt.date | None
    round: int
    problem: str
    category: str
    measure: str
    commitment: str
    progress: list[PublicProgressOut]
    result: PublicResultOut | None


class PublicBoardOut(Schema):
    """`next_before`: give it as `before` for the next (older) page; null at the end."""

    org_name: str
    items: list[PublicCommitmentOut]
    next_before: str | None


@router.get(
    "/orgs/{org_id}/commitments",
    response={200: PublicBoardOut, **errors(400, 404, 422)},
    summary="An organization's published commitments with their progress and results (no login)",
)
def board(
    request: HttpRequest,
    org_id: int,
    before: str = Query("", max_length=60, pattern=NO_NUL),
    limit: int = Query(PAGE, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    org = board_org(org_id)
    rows, cursor = commitments(org, before=before, limit=limit)
    return {
        "org_name": org.name,
        "items": [asdict(c) for c in rows],
        "next_before": cursor or None,
    }
