"""/api/v1/opinions/entries, /forums and /categories: what staff heard at a forum, an
interview, a visit or in a paper box, entered at an organization where they hold
opinions.enter (decision 0021, "Intake and the portal"). The public box is the portal's."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator

from massline.access.permissions import OPINIONS_DISPATCH, OPINIONS_ENTER, OPINIONS_VIEW
from massline.access.policy import access_org
from massline.accounts.requests import request_user
from massline.core.api_schemas import LINE, NO_NUL, NOTE, RequestBody, errors, one_of
from massline.core.errors import ApplicationError
from massline.orgs.models import Organization

from . import intake_services
from .models import Forum, SubmitterCategory, Urgency
from .receipts import grouped

router = Router(tags=["opinions"])

ID = Field(..., ge=1, le=2**31 - 1)


def _day_text(value: Any) -> Any:
    """A day is written "YYYY-MM-DD": pydantic would also take a number as seconds since 1970."""
    if not isinstance(value, str | dt.date):
        raise ValueError("Input should be a date written YYYY-MM-DD")
    return value


Day = Annotated[dt.date, BeforeValidator(_day_text)]
ChannelName = Annotated[str, one_of(intake_services.STAFF_CHANNELS)]
SubmitterName = Annotated[str, one_of(SubmitterCategory.values)]
UrgencyName = Annotated[str, one_of(Urgency.values)]


class EntryIn(RequestBody):
    """`channel`: forum, interview, visit or paper. `anonymous` false needs a `contact`.
    `received_on` defaults to the forum's day, else today. `urgency`: urgent, general
    (default) or complex."""

    org: int = ID
    channel: ChannelName = Field(..., max_length=16, pattern=LINE)
    text: str = Field(..., max_length=4000, pattern=NO_NUL)
    submitter_category: SubmitterName = Field(
        SubmitterCategory.PUBLIC.value, max_length=16, pattern=LINE
    )
    anonymous: bool = True
    name: str = Field("", max_length=200, pattern=NO_NUL)
    contact: str = Field("", max_length=200, pattern=NO_NUL)
    category: int | None = Field(None, ge=1, le=2**31 - 1)
    received_on: Day | None = None
    forum: int | None = Field(None, ge=1, le=2**31 - 1)
    urgency: UrgencyName = Field(Urgency.GENERAL.value, max_length=8, pattern=LINE)


class EntryOut(Schema):
    """`receipt`: the code to hand to the submitter (shown this once)."""

    id: int
    org: int
    channel: str
    anonymous: bool
    received_on: dt.date
    campaign: int | None
    forum: int | None
    name: str
    contact: str
    receipt: str


class ForumIn(RequestBody):
    org: int = ID
    held_on: Day
    place: str = Field("", max_length=400, pattern=NO_NUL)
    attendees: dict[str, int] = Field(default_factory=dict)
    notes: str = Field("", max_length=10000, pattern=r"^$|" + NOTE)


class ForumOut(Schema):
    id: int
    org: int
    held_on: dt.date
    place: str
    attendees: dict[str, int]
    campaign: int | None


class CloseIn(RequestBody):
    reason: str = Field(..., max_length=400, pattern=LINE)


class BoxOut(Schema):
    """`closed`: the box takes no new opinions (receipts keep working)."""

    org: int
    closed: bool
    closed_on: dt.date | None
    reason: str


class CategoryOut(Schema):
    id: int
    source: str
    code: str
    title: str
    org: int | None


def _forum_of(org: Organization, forum_id: int | None) -> Forum | None:
    if forum_id is None:
        return None
    forum = Forum.objects.filter(pk=forum_id, org=org).first()
    if forum is None:
        raise ApplicationError(_("%(org)s held no such forum.") % {"org": org.name}, field="forum")
    return forum


@router.post(
    "/entries",
    response={201: EntryOut, **errors(400, 401, 403, 404, 422)},
    summary="Enter an opinion heard at a forum, an interview, a visit or in a paper box",
)
def entry_create(request: HttpRequest, payload: EntryIn) -> tuple[int, dict[str, Any]]:
    user = request_user(request)
    org = access_org(user, payload.org, OPINIONS_ENTER)
    opinion, code = intake_services.opinion_enter(
        actor=user,
        org=org,
        channel=payload.channel,
        text=payload.text,
        submitter_category=payload.submitter_category,
        anonymous=payload.anonymous,
        name=payload.name,
        contact=payload.contact,
        category=payload.category,
        received_on=payload.received_on,
        forum=_forum_of(org, payload.forum),
        urgency=payload.urgency,
    )
    return 201, {
        "id": opinion.pk,
        "org": org.pk,
        "channel": opinion.channel,
        "anonymous": opinion.anonymous,
        "received_on": opinion.received_on,
        "campaign": opinion.campaign_id,
        "forum": opinion.forum_id,
        "name": opinion.name_masked,
        "contact": opinion.contact_masked,
        "receipt": grouped(code),
    }


@router.post(
    "/forums",
    response={201: ForumOut, **errors(400, 401, 403, 404, 422)},
    summary="Record a forum (座谈会) held to hear opinions",
)
def forum_create(request: HttpRequest, payload: ForumIn) -> tuple[int, dict[str, Any]]:
    user = request_user(request)
    org = access_org(user, payload.org, OPINIONS_ENTER)
    forum = intake_services.forum_create(
        actor=user,
        org=org,
        held_on=payload.held_on,
        place=payload.place,
        attendees=payload.attendees,
        notes=payload.notes,
    )
    return 201, {
        "id": forum.pk,
        "org": org.pk,
        "held_on": forum.held_on,
        "place": forum.place,
        "attendees": forum.attendees,
        "campaign": forum.campaign_id,
    }


@router.get(
    "/categories",
    response={200: list[CategoryOut], **errors(401, 403, 404, 422)},
    summary="The categories an opinion to an organization may take",
)
def categories(
    request: HttpRequest,
    org: int = Query(..., ge=1, le=2**31 - 1),
    source: str = Query(
        "", max_length=16, description="four_winds, special_2019, weak_org or local"
    ),
) -> list[dict[str, Any]]:
    target = access_org(request_user(request), org, OPINIONS_VIEW)
    return [
        {"id": c.pk, "source": c.source, "code": c.code, "title": c.title, "org": c.org_id}
        for c in intake_services.categories_for(target)
        if not source or c.source == source
    ]


@router.post(
    "/boxes/{org_id}/close",
    response={200: BoxOut, **errors(400, 401, 403, 404, 422)},
    summary="Close an organization's opinion box (its portal page and public API refuse)",
)
def box_close(request: HttpRequest, org_id: int, payload: CloseIn) -> dict[str, Any]:
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_DISPATCH)
    closure = intake_services.box_close(actor=user, org=org, reason=payload.reason)
    return {"org": org.pk, "closed": True, "closed_on": closure.closed_on, "reason": closure.reason}


@router.post(
    "/boxes/{org_id}/reopen",
    response={200: BoxOut, **errors(400, 401, 403, 404, 422)},
    summary="Open a closed opinion box again",
)
def box_reopen(request: HttpRequest, org_id: int) -> dict[str, Any]:
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_DISPATCH)
    intake_services.box_reopen(actor=user, org=org)
    return {"org": org.pk, "closed": False, "closed_on": None, "reason": ""}
