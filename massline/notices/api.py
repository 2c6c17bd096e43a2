"""/api/v1/notices: the caller's own notices (keyset pages, newest first) and marking them
read. Nobody reaches another user's notices: an id of someone else's is simply not the
caller's, and marks nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from massline.accounts.requests import request_user
from massline.core.api_schemas import NO_NUL, RequestBody, errors
from massline.core.errors import ApplicationError

from .kinds import notice_kinds
from .selectors import NOTICE_PAGE, ShownNotice, notice_page, unread_count
from .services import MARK_MAX, mark_all_read, mark_read

router = Router(tags=["notices"])

#: A notice id: the range of the id column.
NoticeId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class NoticeOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    unread: bool


class NoticePage(Schema):
    items: list[NoticeOut]
    next_after: int | None
    # the caller's unread notices, counted up to 100
    unread_count: int


class ReadIn(RequestBody):
    """Either `ids` (the caller's notices to mark read) or `all: true`."""

    ids: list[NoticeId] = Field(default_factory=list, max_length=MARK_MAX)
    all: bool = False


class ReadOut(Schema):
    marked: int
    unread_count: int


@router.get(
    "",
    response={200: NoticePage, **errors(400, 401, 422)},
    summary="The caller's notices, newest first",
)
def notices_list(
    request: HttpRequest,
    unread: bool = False,
    kind: str = Query("", max_length=64, pattern=NO_NUL),
    after: int | None = Query(None, ge=1, le=2**63 - 1),
    limit: int = Query(NOTICE_PAGE, ge=1, le=200),
) -> dict[str, object]:
    """`unread`: only unread ones; `kind`: one kind; `after`: the `next_after` of the
    previous page."""
    user = request_user(request)
    if kind and kind not in notice_kinds():
        raise ApplicationError(
            _("Unknown kind of notice %(value)s.") % {"value": kind}, field="kind"
        )
    rows: list[ShownNotice]
    rows, cursor = notice_page(user, unread=unread, kind=kind, after=after, limit=limit)
    return {
        "items": [{**asdict(row), "unread": row.unread} for row in rows],
        "next_after": cursor,
        "unread_count": unread_count(user),
    }


@router.post(
    "/read",
    response={200: ReadOut, **errors(400, 401, 403, 422)},
    summary="Mark the caller's notices read",
)
def notices_read(request: HttpRequest, payload: ReadIn) -> dict[str, int]:
    user = request_user(request)
    if payload.all:
        marked = mark_all_read(user)
    elif payload.ids:
        marked = mark_read(user, payload.ids)
    else:
        raise ApplicationError(_("Name the notices to mark read, or ask for all."), field="ids")
    return {"marked": marked, "unread_count": unread_count(user)}
