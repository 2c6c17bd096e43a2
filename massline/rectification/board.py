"""The public board of commitments (整改承诺公开, decision 0022, "API and the public board"):
an organization's and its subtree's published commitments, newest first in keyset pages, as
the portal page `/p/b/<org>/` and `GET /api/v1/public/orgs/{id}/commitments` show them.

What the public sees of a commitment made to the public: the problem in words, the measures,
the commitment's words, the promised day, the progress steps the organization published, the
closed-out day and the present round's result. Of a commitment made to the people who raised
it, only that it exists, who made it, its promised day and its closed-out day: the words are
for those people, who follow them with their receipt. A result is its number of evaluations
only, unless there are at least k (`RECTIFICATION_EVALUATION_K`, 5); never who gave them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.orgs.models import Organization
from massline.orgs.paths import subtree_q

from .evaluation_services import k as evaluation_k
from .models import Audience, Fix, FixState, FixStep, FixStepKind

PAGE = 20
PAGE_MAX = 100
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Result:
    """The present round's evaluations: their number, and the three figures only when there
    are at least `k` of them (None otherwise)."""

    evaluated: int
    k: int
    satisfied: int | None = None
    basically_satisfied: int | None = None
    unsatisfied: int | None = None

    @property
    def broken_down(self) -> bool:
        return self.satisfied is not None


def round_result(fix: Fix) -> Result:
    """The present round's result under the k rule (the evaluation services' k), from the
    fix's own figures of that round: no query per commitment on the board."""
    k = evaluation_k()
    n = fix.evaluated
    if n < k:
        return Result(evaluated=n, k=k)
    return Result(
        evaluated=n,
        k=k,
        satisfied=fix.satisfied,
        basically_satisfied=fix.basically_satisfied,
        unsatisfied=fix.unsatisfied,
    )


@dataclass(frozen=True)
class Progress:
    on: dt.date
    round: int
    note: str


@dataclass(frozen=True)
class Commitment:
    """One commitment as the public sees it; `full` False (made to the people who raised it)
    leaves every text, progress and result out."""

    id: int
    org_name: str
    audience: str
    audience_label: str
    full: bool
    promised_on: dt.date | None
    published_on: dt.date
    state: str
    state_label: str
    closed_on: dt.date | None
    round: int
    problem: str = ""
    category: str = ""
    measure: str = ""
    commitment: str = ""
    progress: list[Progress] = field(default_factory=list)
    result: Result | None = None


def _day(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


def _public(fix: Fix) -> Commitment:
    full = fix.audience == Audience.PUBLIC
    assert fix.commitment_published_at is not None
    common: dict[str, Any] = {
        "id": fix.pk,
        "org_name": fix.org.name,
        "audience": fix.audience,
        "audience_label": _("everyone") if full else str(Audience.SUBMITTERS.label),
        "full": full,
        "promised_on": fix.promised_on,
        "published_on": _day(fix.commitment_published_at),
        # the public sees whether it is done; the steps between are the staff's
        "state": "closed" if fix.state == FixState.CLOSED else "in_progress",
        "state_label": str(
            FixState.CLOSED.label if fix.state == FixState.CLOSED else FixState.IN_PROGRESS.label
        ),
        "closed_on": fix.closed_on,
        "round": fix.round,
    }
    if not full:
        return Commitment(**common)
    category = fix.problem.category
    return Commitment(
        **common,
        problem=fix.problem.description,
        category=category.title if category is not None else "",
        measure=fix.measure,
        commitment=fix.commitment,
        progress=[Progress(_day(s.at), s.round, s.note) for s in fix.public_steps],  # type: ignore[attr-defined]
        result=round_result(fix),
    )


def board_org(org_id: Any) -> Organization:
    """The organization a board's address names; a clear error when there is none."""
    found = None
    try:
        pk = int(org_id)
        if 0 < pk < 2**63:
            found = Organization.objects.filter(pk=pk).first()
    except (TypeError, ValueError, OverflowError):
        pass
    if found is None:
        raise ApplicationError(
            _("There is no organization at this address. Check the link."), code="not_found"
        )
    return found


def cursor_of(fix: Fix) -> str:
    assert fix.commitment_published_at is not None
    return f"{(fix.commitment_published_at - _EPOCH) // _MICRO}-{fix.pk}"


def _cursor(before: str) -> tuple[dt.datetime, int]:
    micro, _sep, pk = before.partition("-")
    if not (micro.isdigit() and pk.isdigit() and len(micro) <= 18 and len(pk) <= 18):
        raise ApplicationError(_("This page link is not valid."), field="before")
    return _EPOCH + int(micro) * _MICRO, int(pk)


def commitments(
    org: Organization, *, before: str = "", limit: int = PAGE
) -> tuple[list[Commitment], str]:
    """One page of the published commitments of the organization's subtree (responsible there,
    or found there and claimed above), newest first, before the cursor `before`; the next
    cursor ("" at the end). Three queries, whatever the page holds."""
    qs = Fix.objects.filter(
        subtree_q("org_path", org.path) | subtree_q("origin_path", org.path), published=True
    )
    if before:
        at, pk = _cursor(before)
        qs = qs.filter(Q(commitment_published_at__lt=at) | Q(commitment_published_at=at, pk__lt=pk))
    limit = max(1, min(limit, PAGE_MAX))
    steps = FixStep.objects.filter(public=True, kind=FixStepKind.PROGRESS).order_by("at", "pk")
    rows = list(
        qs.select_related("org", "problem", "problem__category")
        .prefetch_related(Prefetch("steps", queryset=steps, to_attr="public_steps"))
        .order_by("-commitment_published_at", "-pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return [_public(f) for f in rows], (cursor_of(rows[-1]) if more else "")
