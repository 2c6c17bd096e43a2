"""Writes of notices: sending (in bulk, once per recipient and key) and marking read.

Reading and marking one's own notices needs no permission, and nobody reaches another
user's: every write here is narrowed to `recipient=user`. No audit rows: a notice tells of
an event the sending service has already recorded, and whether a user has read it is their
own state, not a change to the platform's records (decision 0014)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from massline.orgs.models import Organization

from .kinds import notice_kind
from .models import Notice

#: Rows per INSERT statement when sending.
SEND_BATCH = 1000
#: At most this many ids are marked read in one call.
MARK_MAX = 500
#: Ids beyond the id column's range name no notice (and the database would refuse them).
ID_LIMIT = 2**63


def _user_id(recipient: Any) -> int:
    return int(getattr(recipient, "pk", recipient))


def send(
    recipients: Iterable[Any],
    kind: str,
    key: str,
    *,
    params: Mapping[str, Any] | None = None,
    link: str = "",
    organization: Organization | int | None = None,
    batch_size: int = SEND_BATCH,
) -> int:
    """Send a notice of `kind` about the event `key` to each recipient (users or user ids).
    A recipient who already has a notice with this key gets nothing more, so a sender may
    run again safely. One INSERT per `batch_size` recipients. Returns how many recipients
    were asked (not how many were new: the database skips those it already has)."""
    if notice_kind(kind) is None:
        raise ValueError(f"unknown notice kind {kind!r}: register it with register_notice_kind")
    if not key or len(key) > 200:
        raise ValueError("a notice key is 1 to 200 characters")
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"a notice links to a path on this site, not {link!r}")
    org_id = organization.pk if isinstance(organization, Organization) else organization
    ids = list(dict.fromkeys(_user_id(r) for r in recipients))
    rows = [
        Notice(
            recipient_id=pk,
            kind=kind,
            key=key,
            organization_id=org_id,
            params=dict(params or {}),
            link=link,
        )
        for pk in ids
    ]
    with transaction.atomic():
        for start in range(0, len(rows), batch_size):
            Notice.objects.bulk_create(rows[start : start + batch_size], ignore_conflicts=True)
    return len(ids)


def mark_read(user: Any, ids: Iterable[int]) -> int:
    """Mark the user's own notices among `ids` read (others' ids, and ids of notices already
    read, change nothing). Returns how many became read."""
    wanted = [i for i in dict.fromkeys(int(i) for i in ids) if 0 < i < ID_LIMIT][:MARK_MAX]
    if not wanted or not getattr(user, "pk", None):
        return 0
    return Notice.objects.filter(recipient_id=user.pk, pk__in=wanted, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_all_read(user: Any) -> int:
    """Mark all the user's unread notices read. Returns how many became read."""
    if not getattr(user, "pk", None):
        return 0
    return Notice.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
