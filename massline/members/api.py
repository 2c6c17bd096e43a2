"""/api/v1/members: the roster, scoped like the pages; ID and phone numbers masked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from massline.access.permissions import MEMBERS_VIEW
from massline.access.policy import access_org, access_scoped, scoped
from massline.core.api_schemas import NO_NUL, errors
from massline.core.errors import ApplicationError

from .models import Member, MemberEvent, MemberEventRange
from .selectors import PAGE, MemberFilter, member_history, member_list
from .sorting import IN_MEMORY, SORT_PATTERN, SORTS, sorted_page, too_many_to_sort
from .totals import list_total, sort_in_memory

router = Router(tags=["members"])


class MemberOut(Schema):
    id: int
    name: str
    gender: str
    ethnicity: str
    birth_date: dt.date
    id_number: str
    phone: str
    status: str
    category: str
    education: str
    join_date: dt.date
    full_date: dt.date | None
    org: int
    org_code: str
    mobility: str
    lost_contact: bool

    @staticmethod
    def resolve_id_number(obj: Member) -> str:
        return obj.id_masked

    @staticmethod
    def resolve_phone(obj: Member) -> str:
        return obj.phone_masked

    @staticmethod
    def resolve_org(obj: Member) -> int:
        return obj.org_id

    @staticmethod
    def resolve_org_code(obj: Member) -> str:
        return obj.org.code


class MemberPage(Schema):
    items: list[MemberOut]
    next_after: str | None


@router.get(
    "",
    response={200: MemberPage, **errors(400, 401, 403, 404, 422)},
    summary="Members in scope, filtered, keyset-paginated",
)
def members_list(
    request: HttpRequest,
    org: int | None = None,
    q: str = Query("", pattern=NO_NUL),
    status: str = Query("", pattern=NO_NUL),
    mobility: str = Query("", pattern=NO_NUL),
    lost_contact: bool | None = None,
    after: str = Query("", pattern=NO_NUL),
    limit: int = Query(PAGE, ge=1, le=500),
    sort: str = Query("tree", pattern=SORT_PATTERN),
) -> dict[str, object]:
    """`mobility`: outflow, inflow or any. `after`: the `next_after` of the previous page.
    `sort`: tree (the organizations' order), name (pinyin order), joined or joined_desc (join
    date); a search by name that finds more than 10,000 members is not sorted (400)."""
    filters = MemberFilter(
        org=access_org(request.user, org, MEMBERS_VIEW) if org is not None else None,
        q=q[:64],
        status=status,
        mobility=mobility,
        lost_contact=lost_contact,
    )
    visible = scoped(Member.objects.all(), request.user, MEMBERS_VIEW)
    if sort in SORTS:
        page = sorted_page(
            user=request.user,
            filters=filters,
            sort=SORTS[sort],
            after=after,
            limit=limit,
            small=sort_in_memory(list_total(request.user, filters, visible), limit, IN_MEMORY),
        )
        if page is None:
            raise ApplicationError(too_many_to_sort(), field="sort", code="too_many_to_sort")
        return {"items": page.rows, "next_after": page.next or None}
    rows, cursor = member_list(visible=visible, filters=filters, after=after, limit=limit)
    return {"items": rows, "next_after": cursor or None}


@router.get(
    "/{member_id}", response={200: MemberOut, **errors(401, 404, 422)}, summary="One member"
)
def member_get(request: HttpRequest, member_id: int) -> Member:
    return access_scoped(
        Member.objects.select_related("org"),
        request.user,
        member_id,
        MEMBERS_VIEW,
        view_perm=MEMBERS_VIEW,
    )


class HistoryEntryOut(Schema):
    kind: str
    kind_label: str
    on: dt.date
    recorded_at: dt.datetime
    actor: str | None
    bulk: bool
    detail: dict[str, Any]

    @staticmethod
    def resolve_kind_label(obj: MemberEvent | MemberEventRange) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_recorded_at(obj: MemberEvent | MemberEventRange) -> dt.datetime:
        return obj.created_at

    @staticmethod
    def resolve_actor(obj: MemberEvent | MemberEventRange) -> str | None:
        return obj.actor.username if obj.actor else None

    @staticmethod
    def resolve_bulk(obj: MemberEvent | MemberEventRange) -> bool:
        return isinstance(obj, MemberEventRange)


@router.get(
    "/{member_id}/history",
    response={200: list[HistoryEntryOut], **errors(401, 404, 422)},
    summary="One member's history, newest first",
)
def member_history_get(
    request: HttpRequest, member_id: int, limit: int = Query(50, ge=1, le=200)
) -> list[MemberEvent | MemberEventRange]:
    """As on the member's page: by the date each entry took effect, entries of one date in the
    order they were recorded (the last first). `bulk`: the entry of a load that entered many
    members at once. `detail` holds masked numbers only."""
    member = access_scoped(
        Member.objects.all(), request.user, member_id, MEMBERS_VIEW, view_perm=MEMBERS_VIEW
    )
    return member_history(member, limit=limit)
