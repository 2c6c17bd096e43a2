"""Reads of a user's own notices: keyset pages newest first, the unread count for the bell,
and bounded counts for the workbench. Every read is narrowed to the recipient."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .kinds import render
from .models import Notice

NOTICE_PAGE = 30
#: Counts stop here; shown as "99+" above COUNT_SHOWN.
COUNT_CAP = 100
COUNT_SHOWN = 99


def capped_count(qs: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    """How many rows `qs` has, counting no further than `cap` (one COUNT over a LIMIT, so
    its cost is bounded whatever the table holds)."""
    return qs.values("pk")[:cap].count()


def shown_count(count: int) -> str:
    """A count as a badge shows it: "99+" above 99, "" for none."""
    if count <= 0:
        return ""
    return f"{COUNT_SHOWN}+" if count > COUNT_SHOWN else str(count)


def own_notices(user: Any) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient_id=getattr(user, "pk", None))


def unread_count(
    user: Any, *, kinds: Iterable[str] | None = None, exclude: Iterable[str] = ()
) -> int:
    """The user's unread notices (of `kinds`, or of all kinds but `exclude`), up to COUNT_CAP."""
    qs = own_notices(user).filter(read_at__isnull=True)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    excluded = list(exclude)
    if excluded:
        qs = qs.exclude(kind__in=excluded)
    return capped_count(qs)


@dataclass(frozen=True)
class ShownNotice:
    """A notice as the page and the API show it: its words rendered for the reader."""

    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: Any
    read_at: Any

    @property
    def unread(self) -> bool:
        return self.read_at is None


def shown(notice: Notice) -> ShownNotice:
    title, body = render(notice.kind, notice.params or {})
    return ShownNotice(
        id=notice.pk,
        kind=notice.kind,
        title=title,
        body=body,
        link=notice.link,
        created_at=notice.created_at,
        read_at=notice.read_at,
    )


def notice_page(
    user: Any,
    *,
    unread: bool = False,
    kind: str = "",
    after: int | None = None,
    limit: int = NOTICE_PAGE,
) -> tuple[list[ShownNotice], int | None]:
    """One page of the user's notices, newest first, and the id to continue after (None at
    the end). Keyset: `after` is the last id of the previous page."""
    qs = own_notices(user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    if after is not None:
        qs = qs.filter(pk__lt=after)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return [shown(n) for n in rows], (rows[-1].pk if more and rows else None)


def notice_for(user: Any, notice_id: int) -> Notice | None:
    """One of the user's own notices; None for another user's (as if it did not exist)."""
    return own_notices(user).filter(pk=notice_id).first()
