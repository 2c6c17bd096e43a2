"""/api/v1/transfers: member transfers (组织关系转接), with the pages' access rules: a transfer
is seen with `members.view` over either side; the steps need `members.transfer` over the side
whose turn it is (decision 0006). Errors: 400 with the message, 403, 404."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from massline.access.permissions import MEMBERS_TRANSFER, MEMBERS_VIEW
from massline.access.policy import access_scoped, can, can_anywhere, scoped
from massline.accounts.requests import request_user
from massline.core.api_schemas import LINE, NO_NUL, NOTE, RequestBody, errors, one_of
from massline.core.errors import ApplicationError, Forbidden, NotFound

from ..idnumber import InvalidNumber, validate_id
from ..models import Member, Transfer, TransferStatus
from . import workflow
from .selectors import (
    TRANSFER_PAGE,
    member_by_id_number,
    org_by_code,
    transfer_box,
    transfer_detail_queryset,
    transfer_list,
)
from .services import letter_printable, transfer_request, transfer_step

router = Router(tags=["transfers"])


class StepOut(Schema):
    kind: str
    actor: str | None
    at: dt.datetime
    note: str

    @staticmethod
    def resolve_actor(obj) -> str | None:  # type: ignore[no-untyped-def]
        return obj.actor.username if obj.actor else None


class TransferOut(Schema):
    id: int
    member: int
    member_name: str
    id_number: str
    from_org: str
    to_org: str
    status: str
    reason: str
    requested_on: dt.date
    last_step_at: dt.datetime
    closed_at: dt.datetime | None
    overdue: bool

    @staticmethod
    def resolve_member(obj: Transfer) -> int:
        return obj.member_id

    @staticmethod
    def resolve_member_name(obj: Transfer) -> str:
        return obj.member.name

    @staticmethod
    def resolve_id_number(obj: Transfer) -> str:
        return obj.member.id_masked

    @staticmethod
    def resolve_from_org(obj: Transfer) -> str:
        return obj.from_org.code

    @staticmethod
    def resolve_to_org(obj: Transfer) -> str:
        return obj.to_org.code

    @staticmethod
    def resolve_overdue(obj: Transfer) -> bool:
        return bool(getattr(obj, "overdue", False))


class TransferDetail(TransferOut):
    steps: list[StepOut]
    actions: list[str]
    # The introduction letter's number: for the sending side only (the receiving side types
    # it from the letter the member brings); null before the sending side approves.
    letter_no: str | None

    @staticmethod
    def resolve_letter_no(obj: Transfer) -> str | None:
        return obj.letter_no if getattr(obj, "letter_shown", False) else None

    @staticmethod
    def resolve_steps(obj: Transfer) -> list[object]:
        return list(obj.step_rows)  # type: ignore[attr-defined]


class TransferPage(Schema):
    items: list[TransferOut]
    next_after: str | None


class TransferIn(RequestBody):
    """Name the member by `member` (id, for the sending side) or by `id_number` and `name`
    (for the receiving side, whose `to_org` must then be in its scope): an ID number alone
    does not find a member, so the roster cannot be probed with numbers."""

    member: int | None = None
    id_number: str | None = Field(None, max_length=32, pattern=LINE)
    # with id_number: the member's name, which must match
    name: str | None = Field(None, max_length=64, pattern=LINE)
    to_org: str = Field(..., max_length=32, pattern=LINE)
    reason: str = Field(..., max_length=2000, pattern=NOTE)
    on: dt.date | None = None


# Statuses are checked in the code (an unknown one is 400); the document lists them.
StatusName = Annotated[str, one_of(TransferStatus.values)]
ListStatus = Annotated[str, one_of(["", "open", "closed", *TransferStatus.values])]


class StepIn(RequestBody):
    note: str = Field("", max_length=2000, pattern=NO_NUL)
    # The status the client last saw; when given and different, the step is refused.
    status: StatusName | None = None
    # The receiving side's approval: the number of the introduction letter the member brought.
    letter_no: str = Field("", max_length=40, pattern=NO_NUL)
    # The sending side's approval: the month the member's dues are paid up to (its first day).
    dues_paid_to: dt.date | None = None


def _get(request: HttpRequest, transfer_id: int) -> Transfer:
    return access_scoped(
        transfer_detail_queryset(),
        request.user,
        transfer_id,
        MEMBERS_VIEW,
        view_perm=MEMBERS_VIEW,
    )


def _detail(request: HttpRequest, t: Transfer) -> Transfer:
    """The transfer with its history and the steps the caller may take now."""
    t.step_rows = list(t.steps.select_related("actor"))  # type: ignore[attr-defined]
    user = request_user(request)
    t.actions = workflow.actions_for(user, t)  # type: ignore[attr-defined]
    t.letter_shown = letter_printable(user, t)  # type: ignore[attr-defined]
    return t


@router.get(
    "",
    response={200: TransferPage, **errors(400, 401, 403, 422)},
    summary="Transfers in scope, newest first",
)
def transfers_list(
    request: HttpRequest,
    box: Literal["waiting", "outgoing", "incoming", "all"] = "all",
    status: ListStatus = "",
    overdue: bool = False,
    after: str = Query("", pattern=NO_NUL),
    limit: int = Query(TRANSFER_PAGE, ge=1, le=500),
) -> dict[str, object]:
    """`box`: waiting (for a step the caller may take), outgoing, incoming or all.
    `status`: open, closed or one status."""
    user = request_user(request)
    if not can_anywhere(user, MEMBERS_VIEW):
        raise Forbidden()
    qs = transfer_box(scoped(Transfer.objects.all(), user, MEMBERS_VIEW), user, box)
    if status not in ("", "open", "closed", *TransferStatus.values):
        raise ApplicationError(_("Unknown status %(value)s.") % {"value": status}, field="status")
    rows, cursor = transfer_list(
        visible=qs, status=status, overdue=overdue, after=after, limit=max(1, min(limit, 500))
    )
    return {"items": rows, "next_after": cursor or None}


@router.get(
    "/{transfer_id}",
    response={200: TransferDetail, **errors(401, 404, 422)},
    summary="One transfer with its history",
)
def transfer_get(request: HttpRequest, transfer_id: int) -> Transfer:
    return _detail(request, _get(request, transfer_id))


@router.post(
    "",
    response={201: TransferDetail, **errors(400, 401, 403, 404, 422)},
    summary="Request a transfer",
)
def transfer_create(request: HttpRequest, payload: TransferIn) -> tuple[int, Transfer]:
    to_org = org_by_code(payload.to_org)
    if to_org is None:
        raise ApplicationError(_("No organization has this code."), field="to_org")
    member: Member | None
    if payload.member is not None:
        member = access_scoped(
            Member.objects.select_related("org"),
            request.user,
            payload.member,
            MEMBERS_VIEW,
            view_perm=MEMBERS_VIEW,
        )
    elif payload.id_number:
        if not can(request.user, MEMBERS_TRANSFER, to_org):
            raise ApplicationError(
                _("Choose a branch in your scope to receive the member."), field="to_org"
            )
        try:
            number = validate_id(payload.id_number).number
        except InvalidNumber as exc:
            raise ApplicationError(str(exc), field="id_number", code=exc.code) from None
        member = member_by_id_number(number, name=payload.name or "")
        if member is None:
            raise NotFound()
    else:
        raise ApplicationError(_("Name the member by id or ID number."), field="member")
    t = transfer_request(
        actor=request_user(request),
        member=member,
        to_org=to_org,
        reason=payload.reason,
        on=payload.on,
    )
    return 201, _detail(request, _get(request, t.pk))


@router.post(
    "/{transfer_id}/{action}",
    response={200: TransferDetail, **errors(400, 401, 403, 404, 422)},
    summary="Take a step: approve, send_back or withdraw",
)
def transfer_act(request: HttpRequest, transfer_id: int, action: str, payload: StepIn) -> Transfer:
    """`approve` is the sending branch's superior committee's approval while the transfer waits
    for the sending side (never the requester's own; it numbers the introduction letter), the
    receiving side's after that (with the letter's number in `letter_no`). `send_back` needs a
    reason in `note`."""
    t = _get(request, transfer_id)
    if action not in workflow.ACTIONS:
        raise NotFound()
    transfer_step(
        actor=request_user(request),
        transfer=t,
        action=action,
        note=payload.note,
        seen=payload.status,
        letter_no=payload.letter_no,
        dues_paid_to=payload.dues_paid_to,
    )
    return _detail(request, _get(request, transfer_id))
