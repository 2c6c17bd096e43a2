"""Reads of the staff entry pages (decision 0021, "Staff entry pages"): an organization's
forums with their opinion counts, one forum, and the possible duplicates of an opinion that
the user could merge it into (the triage's suggestions, `similar.candidates`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from massline.access.permissions import OPINIONS_DISPATCH
from massline.access.policy import can
from massline.core.errors import NotFound
from massline.orgs.models import Organization

from . import similar, workflow
from .models import Forum, Opinion, SubmitterCategory

#: How many forums an organization's list shows (newest first).
FORUMS_SHOWN = 200
#: How many possible duplicates an opinion's page suggests.
DUPLICATES_SHOWN = 5


@dataclass(frozen=True)
class Attendance:
    """One submitter category's head count at a forum, with its label."""

    code: str
    label: str
    count: int


def attendance(forum: Forum) -> list[Attendance]:
    """The forum's attendees by category, in the categories' order, zeros left out."""
    counts = forum.attendees or {}
    return [
        Attendance(code, str(label), int(counts[code]))
        for code, label in SubmitterCategory.choices
        if counts.get(code)
    ]


def forums_of(org: Organization) -> list[Forum]:
    """The forums `org` held, newest first, each with `n_opinions` and `attendance`. One
    query."""
    rows: list[Forum] = list(
        Forum.objects.filter(org=org)
        .annotate(n_opinions=Count("opinions"))
        .order_by("-held_on", "-id")[:FORUMS_SHOWN]
    )
    for f in rows:
        f.attendance = attendance(f)  # type: ignore[attr-defined]
        f.total_attendees = sum(a.count for a in f.attendance)  # type: ignore[attr-defined]
    return rows


def forum_of(org: Organization, forum_id: Any) -> Forum:
    """One forum `org` held (the caller has checked access to `org`); NotFound otherwise."""
    try:
        key = int(forum_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    forum = Forum.objects.filter(pk=key, org=org).first()
    if forum is None:
        raise NotFound()
    forum.attendance = attendance(forum)  # type: ignore[attr-defined]
    return forum


def forum_opinions(forum: Forum) -> list[Opinion]:
    """The opinions raised at the forum, in the order they were entered."""
    return list(forum.opinions.select_related("category").order_by("id"))


@dataclass(frozen=True)
class Duplicate:
    """A possible duplicate: the open opinion, and how alike it is (0..1 and in percent)."""

    opinion: Opinion
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _reach(user: Any, o: Opinion) -> Organization | None:
    """The highest organization on the opinion's line (its organization and those above it)
    where the user dispatches: the subtree a merge of it could reach."""
    line = [o.org_path[:i] for i in range(1, len(o.org_path) + 1)]
    above = Organization.objects.filter(path__in=line).order_by("path")
    return next((org for org in above if can(user, OPINIONS_DISPATCH, org)), None)


def _mergeable(user: Any, o: Opinion, target_path: str, target_org: Organization) -> bool:
    """Would `dispatch_services` accept merging `o` into an open opinion addressed to
    `target_org`? Within the user's dispatch scope, and on the opinion's own line (the same
    organization, one below it or one above it)."""
    on_line = target_path.startswith(o.org_path) or o.org_path.startswith(target_path)
    return on_line and can(user, OPINIONS_DISPATCH, target_org)


def duplicates_for(user: Any, o: Opinion) -> list[Duplicate]:
    """The open opinions most like `o` that the user could merge it into, best first; none
    when the user may not merge it now (its state, their rights). Asks `similar.candidates`
    once over the subtree of the dispatching office above the opinion (the highest
    organization on its line where the user dispatches) and keeps what the merge would
    accept: the same line, within the user's scope."""
    if workflow.MERGE not in workflow.actions_for(user, o):
        return []
    top = _reach(user, o)
    if top is None:
        return []
    # more than shown: siblings' opinions are in the office's subtree but off the line
    found = similar.candidates(top, o.text, exclude=o.pk, limit=DUPLICATES_SHOWN * 4)
    orgs = Organization.objects.in_bulk({s.opinion.org_id for s in found})
    kept = [s for s in found if _mergeable(user, o, s.opinion.org_path, orgs[s.opinion.org_id])]
    return [Duplicate(s.opinion, s.score) for s in kept[:DUPLICATES_SHOWN]]
