"""/api/v1/opinions: the staff side of the opinions (decision 0021, "Dispatch"): an
organization's inbox in keyset pages, one opinion with its history and the actions the caller
may take, and those actions (triage, merge, dispatch, return, reassign, contact, reply,
publish, close) as the workflow map declares them. Errors: 400 with the message and field,
401, 403, 404, 422."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from massline.access.permissions import OPINIONS_VIEW
from massline.access.policy import access_org
from massline.accounts.requests import request_user
from massline.core.api_schemas import NO_NUL, RequestBody, errors, one_of
from massline.core.errors import ApplicationError, NotFound

from . import workflow
from .dispatch_selectors import (
    PAGE,
    PAGE_MAX,
    filter_from,
    inbox,
    opinion_for,
    opinion_named,
    orgs_named,
)
from .dispatch_services import opinion_act
from .models import Channel, Opinion, OpinionCategory, OpinionStatus, Urgency

router = Router(tags=["opinions"])


class OpinionStepOut(Schema):
    kind: str
    org: str | None
    at: dt.datetime
    note: str

    @staticmethod
    def resolve_org(obj) -> str | None:  # type: ignore[no-untyped-def]
        return obj.org.code if obj.org_id else None


class OpinionOut(Schema):
    id: int
    org: str
    org_name: str
    channel: str
    submitter_category: str
    anonymous: bool
    text: str
    category: str | None
    urgency: str
    status: str
    received_on: dt.date
    lead_org: str | None
    due_at: dt.datetime | None
    overdue: bool
    merged_into: int | None

    @staticmethod
    def resolve_org(obj: Opinion) -> str:
        return obj.org.code

    @staticmethod
    def resolve_org_name(obj: Opinion) -> str:
        return obj.org.name

    @staticmethod
    def resolve_category(obj: Opinion) -> str | None:
        return obj.category.title if obj.category_id and obj.category else None

    @staticmethod
    def resolve_lead_org(obj: Opinion) -> str | None:
        return obj.lead_org.code if obj.lead_org_id and obj.lead_org else None

    @staticmethod
    def resolve_merged_into(obj: Opinion) -> int | None:
        return obj.merged_into_id


class OpinionDetail(OpinionOut):
    name: str
    contact: str
    first_contact_at: dt.datetime | None
    replied_at: dt.datetime | None
    escalated_to: str | None
    reply: str
    reply_published: bool
    co_orgs: list[str]
    steps: list[OpinionStepOut]
    actions: list[str]

    @staticmethod
    def resolve_name(obj: Opinion) -> str:
        return obj.name_masked

    @staticmethod
    def resolve_contact(obj: Opinion) -> str:
        return obj.contact_masked

    @staticmethod
    def resolve_escalated_to(obj: Opinion) -> str | None:
        return obj.escalated_to.code if obj.escalated_to_id and obj.escalated_to else None

    @staticmethod
    def resolve_co_orgs(obj: Opinion) -> list[str]:
        return [c.org.code for c in obj.co_orgs.select_related("org")]

    @staticmethod
    def resolve_steps(obj: Opinion) -> list[object]:
        return list(obj.steps.select_related("org"))


class OpinionPage(Schema):
    items: list[OpinionOut]
    next_after: str | None


StatusName = Annotated[str, one_of(["", "open", *OpinionStatus.values])]
ChannelName = Annotated[str, one_of(["", *Channel.values])]
UrgencyName = Annotated[str, one_of(["", *Urgency.values])]
ActionName = Annotated[str, one_of(workflow.ACTIONS)]


class ActIn(RequestBody):
    """`note`: the reason (return, reassign: required), the reply's text (reply: required) or
    a note. `status`: the status the client last saw (a different one refuses the step).
    Dispatch and reassign: `lead_org` and `co_orgs` (organization ids in the caller's
    opinions.dispatch scope). Triage: `category` (id) and/or `urgency`. Merge: `into`."""

    note: str = Field("", max_length=10000, pattern=NO_NUL)
    status: StatusName | None = None
    lead_org: int | None = Field(None, ge=1, le=2**62)
    co_orgs: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(
        default_factory=list, max_length=50
    )
    category: int | None = Field(None, ge=1, le=2**62)
    urgency: UrgencyName = ""
    into: int | None = Field(None, ge=1, le=2**62)


def _detail(request: HttpRequest, pk: int) -> Opinion:
    o = opinion_for(request.user, pk)
    o.actions = workflow.actions_for(request_user(request), o)  # type: ignore[attr-defined]
    return o


@router.get(
    "",
    response={200: OpinionPage, **errors(400, 401, 403, 404, 422)},
    summary="An organization's opinion inbox, in pages",
)
def opinions_list(
    request: HttpRequest,
    org: int = Query(..., ge=1, le=2**62),
    status: StatusName = "",
    channel: ChannelName = "",
    category: int | None = Query(None, ge=1, le=2**62),
    overdue: bool | None = None,
    anonymous: bool | None = None,
    after: str = Query("", max_length=300, pattern=NO_NUL),
    limit: int = Query(PAGE, ge=1, le=PAGE_MAX),
) -> dict[str, object]:
    """The opinions addressed to `org` or below and those dispatched to it, in view; `after`
    is the previous page's `next_after`."""
    where = access_org(request.user, org, OPINIONS_VIEW)
    f = filter_from(
        {
            "status": status,
            "channel": channel,
            "category": str(category or ""),
            "overdue": "" if overdue is None else str(int(overdue)),
            "anonymous": "" if anonymous is None else str(int(anonymous)),
        }
    )
    rows, cursor = inbox(request.user, where, f, after=after, limit=limit)
    return {"items": rows, "next_after": cursor or None}


@router.get(
    "/{opinion_id}",
    response={200: OpinionDetail, **errors(401, 404, 422)},
    summary="One opinion with its history and the actions open to the caller",
)
def opinion_get(request: HttpRequest, opinion_id: int) -> Opinion:
    return _detail(request, opinion_id)


@router.post(
    "/{opinion_id}/{action}",
    response={200: OpinionDetail, **errors(400, 401, 403, 404, 422)},
    summary="Take a step: triage, merge, dispatch, return, reassign, contact, reply, publish, close",
)
def opinion_post(request: HttpRequest, opinion_id: int, action: str, payload: ActIn) -> Opinion:
    o = opinion_for(request.user, opinion_id)
    if action not in workflow.ACTIONS:
        raise NotFound()
    category = None
    if payload.category is not None:
        category = OpinionCategory.objects.filter(pk=payload.category).first()
        if category is None:
            raise ApplicationError(_("Unknown category."), field="category")
    opinion_act(
        actor=request_user(request),
        opinion=o,
        action=action,
        note=payload.note,
        seen=payload.status,
        lead_org=orgs_named([payload.lead_org], "lead_org")[0] if payload.lead_org else None,
        co_orgs=orgs_named(list(dict.fromkeys(payload.co_orgs)), "co_orgs"),
        category=category,
        urgency=payload.urgency,
        into=opinion_named(payload.into),
    )
    return _detail(request, opinion_id)
