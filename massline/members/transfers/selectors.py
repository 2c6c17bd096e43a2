"""Reads of member transfers: the boxes of the list (waiting for me, outgoing, incoming), one
page of a list, the overdue flag, and finding the member and the receiving organization a
request names. Querysets come in already scoped by the caller (`scoped(..., MEMBERS_VIEW)`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from massline.access.permissions import MEMBERS_TRANSFER, MEMBERS_VIEW
from massline.access.policy import scoped_side, side_q
from massline.core import crypto
from massline.core.normalize import fold_for_search, to_halfwidth
from massline.orgs.models import Organization

from ..models import OPEN_TRANSFER_STATUSES, Member, Transfer
from . import workflow

if TYPE_CHECKING:
    from massline.accounts.models import User

TRANSFER_PAGE = 50
#: The list's boxes: waiting for a step the user may take, by side, or all they see.
BOXES = ("waiting", "outgoing", "incoming", "all")


def transfers_waiting_for(qs: QuerySet[Transfer], user: User) -> QuerySet[Transfer]:
    """The open transfers waiting for a step the user may take: in each open state, the
    approval of the side whose turn it is (the workflow map), within the user's reach."""
    waiting = Q(pk__in=[])
    for (state, action), step in workflow.TRANSITIONS.items():
        if action != workflow.APPROVE:
            continue
        side = side_q(user, MEMBERS_TRANSFER, Transfer, step.side)
        mine = Q() if side is None else side
        if step.not_by_requester:  # another person's approval
            mine &= ~Q(requested_by=user.pk) | Q(requested_by__isnull=True)
        waiting |= Q(status=state) & mine
    return qs.filter(waiting)


def transfer_box(visible: QuerySet[Transfer], user: User, box: str) -> QuerySet[Transfer]:
    """The transfers of one box of the list; `visible` is what the user may see."""
    if box == "waiting":
        return transfers_waiting_for(visible, user)
    if box == "outgoing":
        return scoped_side(visible, user, MEMBERS_VIEW, workflow.SENDING)
    if box == "incoming":
        return scoped_side(visible, user, MEMBERS_VIEW, workflow.RECEIVING)
    return visible


def overdue_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """An open transfer whose last step is older than this is overdue."""
    return (now or timezone.now()) - dt.timedelta(days=settings.TRANSFER_OVERDUE_DAYS)


def overdue_q(now: dt.datetime | None = None) -> Q:
    return Q(status__in=OPEN_TRANSFER_STATUSES, last_step_at__lt=overdue_cutoff(now))


def with_overdue(qs: QuerySet[Transfer], now: dt.datetime | None = None) -> QuerySet[Transfer]:
    """Each transfer annotated with `overdue`: still open and waiting longer than
    settings.TRANSFER_OVERDUE_DAYS since its last step."""
    return qs.annotate(
        overdue=Case(
            When(overdue_q(now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def transfer_detail_queryset() -> QuerySet[Transfer]:
    """Transfers with what one transfer's page shows: the member, both organizations and the
    overdue flag (the caller picks one through `access_scoped`)."""
    return with_overdue(
        Transfer.objects.select_related("member__org", "from_org", "to_org", "from_committee")
    )


def transfer_list(
    *,
    visible: QuerySet[Transfer],
    status: str = "",
    overdue: bool = False,
    after: str = "",
    limit: int = TRANSFER_PAGE,
    now: dt.datetime | None = None,
) -> tuple[list[Transfer], str]:
    """One page of transfers, newest first, and the cursor for the next page ("" at the end).
    `status`: one status, "open" or "closed"."""
    qs = visible
    if status == "open":
        qs = qs.filter(status__in=OPEN_TRANSFER_STATUSES)
    elif status == "closed":
        qs = qs.exclude(status__in=OPEN_TRANSFER_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(overdue_q(now))
    if after.isdigit():
        qs = qs.filter(pk__lt=int(after))
    rows = list(
        with_overdue(qs, now)
        .select_related("member", "from_org", "to_org", "requested_by")
        .order_by("-pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].pk) if more and rows else "")


def org_by_code(text: str) -> Organization | None:
    """The organization a form or request names: its code, or "code name" as the receiving-
    organization suggestions read."""
    code = to_halfwidth(text).strip().split(" ")[0].upper()
    return Organization.objects.filter(code=code).first() if code else None


def member_by_id_number(number: str, *, name: str | None = None) -> Member | None:
    """The member with this (validated) ID number, by its lookup hash. With `name`, only if
    the name matches too (traditional or simplified, spaces aside): a form that finds members
    anywhere in the roster must not tell who is a member from an ID number alone."""
    member = (
        Member.objects.select_related("org")
        .filter(id_number_hash=crypto.lookup_hash(number))
        .first()
    )
    if (
        member is not None
        and name is not None
        and fold_for_search(name).replace(" ", "") != member.name_folded.replace(" ", "")
    ):
        return None
    return member
