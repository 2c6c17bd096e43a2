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
from .intake_services import MAX_TEXT, box_org, opinion_submit
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


@router.get(
    "/opinions/{receipt}",
    response={200: TrackOut, **errors(404, 422, 429)},
    summary="An opinion's status and published reply, by its receipt code (no login)",
)
def track(request: HttpRequest, receipt: str = Path(..., max_length=64)) -> dict[str, Any]:
    throttle.check(request, "lookup")
    found = tracked(receipt)
    return {**found, "received_on": found["received_on"].isoformat()}
