"""/api/v1/public: the opinion box and receipt tracking without signing in (decision 0021),
the API side of the portal (whose pages are `massline.portal`).
Rate-limited per address (`throttle`), the body size-limited, and nothing about the client
kept: no session, no cookie, no address."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema

from massline.core.api_schemas import NO_NUL, RequestBody, errors

from . import throttle
from .follow import alike, opinion_follow
from .intake_services import MAX_TEXT, box_org, clean_text, opinion_submit
from .receipts import grouped
from .tracking import tracked

router = Router(tags=["public"], auth=None)


class OpinionIn(RequestBody):
    """`anonymous`: true keeps nothing that links the opinion to you; false requires a
    `contact` (stored encrypted, shown masked). `category`: an id from the checklists."""

    text: str = Field(..., max_length=MAX_TEXT * 2, pattern=NO_NUL)
    anonymous: bool = True
    contact: str = Field("", max_length=200, pattern=NO_NUL)
    name: str = Field("", max_length=200, pattern=NO_NUL)
    category: int | None = Field(None, ge=1, le=2**31 - 1)


class ReceiptOut(Schema):
    """The receipt code, in groups of four: the only way to follow the opinion. Shown once."""

    receipt: str


class TrackOut(Schema):
    """`status`: received, handling, replied or closed; `reply`: the published reply."""

    status: str
    status_label: str
    received_on: str
    org_name: str
    reply: str | None


@router.post(
    "/orgs/{org_id}/opinions",
    response={201: ReceiptOut, **errors(400, 404, 410, 413, 422, 429)},
    summary="Put an opinion into an organization's opinion box (no login)",
)
def submit(request: HttpRequest, org_id: int, payload: OpinionIn) -> tuple[int, dict[str, Any]]:
    throttle.check(request, "submit")
    org = box_org(org_id)
    _opinion, code = opinion_submit(
        org=org,
        text=payload.text,
        anonymous=payload.anonymous,
        name=payload.name,
        contact=payload.contact,
        category=payload.category,
    )
    return 201, {"receipt": grouped(code)}


class PublicTextIn(RequestBody):
    """The text of the opinion about to be sent."""

    text: str = Field(..., max_length=MAX_TEXT * 2, pattern=NO_NUL)


class PublicSimilarItem(Schema):
    """An open opinion staff have seen that looks like the text: its id (to follow it), an
    excerpt of at most 60 characters with numbers of five digits or more masked, its status
    (`handling`) and the day it was received."""

    id: int
    excerpt: str
    status: str
    received_on: str


class PublicSimilarOut(Schema):
    """Best first; empty when none is alike (then send the opinion)."""

    similar: list[PublicSimilarItem]


@router.post(
    "/orgs/{org_id}/opinions/similar",
    response={200: PublicSimilarOut, **errors(400, 404, 410, 413, 422, 429)},
    summary="Open opinions like a text, to follow one instead of sending it again (no login)",
)
def similar(request: HttpRequest, org_id: int, payload: PublicTextIn) -> dict[str, Any]:
    throttle.check(request, "similar")
    org = box_org(org_id)
    found = alike(org, clean_text(payload.text))
    return {
        "similar": [
            {
                "id": a.id,
                "excerpt": a.excerpt,
                "status": a.status,
                "received_on": a.received_on.isoformat(),
            }
            for a in found
        ]
    }


@router.post(
    "/orgs/{org_id}/opinions/{opinion_id}/follow",
    response={201: ReceiptOut, **errors(400, 404, 410, 413, 422, 429)},
    summary="Follow an opinion like yours instead of sending it again: a receipt (no login)",
)
def follow(
    request: HttpRequest, org_id: int, opinion_id: int, payload: PublicTextIn
) -> tuple[int, dict[str, Any]]:
    """Only an opinion that `similar` offers for the same text can be followed."""
    throttle.check(request, "submit")
    org = box_org(org_id)
    _opinion, code = opinion_follow(org=org, opinion_id=opinion_id, text=payload.text)
    return 201, {"receipt": grouped(code)}


@router.get(
    "/opinions/{receipt}",
    response={200: TrackOut, **errors(404, 422, 429)},
    summary="An opinion's status and published reply, by its receipt code (no login)",
)
def track(request: HttpRequest, receipt: str = Path(..., max_length=64)) -> dict[str, Any]:
    throttle.check(request, "lookup")
    found = tracked(receipt)
    return {**found, "received_on": found["received_on"].isoformat()}
