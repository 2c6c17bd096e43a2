"""Reads of the staff pages (decision 0022, "Staff pages"): an organization's ledger (整改台账)
of problems and their fixes, seen from both sides (the organization responsible and the one
where the problem was found), with its filters in keyset pages by id, newest first; one
problem or fix the user sees; the ledger's figures from the counters."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from massline.access.permissions import RECTIFICATION_VIEW
from massline.access.policy import scope_q
from massline.core.errors import ApplicationError, NotFound
from massline.orgs import counters
from massline.orgs.models import Organization
from massline.orgs.paths import subtree_q

from . import workflow
from .models import Fix, FixEvidence, FixKind, FixState, FixStep, Problem, ProblemSource

PAGE = 30
SEARCH_MAX = 100
#: The ledger's figures (the subtree's, from the counters), in the order shown.
FIGURES = ("fixes.open", "fixes.overdue", "fixes.state.closed", "fixes.reworked")


def _scoped(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    cond = scope_q(user, RECTIFICATION_VIEW, qs.model)
    return qs if cond is None else qs.filter(cond)


def problem_for(user: Any, pk: Any) -> Problem:
    """One problem the user sees (either side), with its organizations; NotFound otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = (
        _scoped(Problem.objects.all(), user)
        .filter(pk=key)
        .select_related("org", "org__parent", "origin_org", "escalated_to", "category")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def fix_for(user: Any, pk: Any) -> Fix:
    """One fix the user sees (either side), with what its page shows; NotFound otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = (
        _scoped(Fix.objects.all(), user)
        .filter(pk=key)
        .select_related("org", "org__parent", "origin_org", "handover_org", "problem")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def fixes_of(user: Any, problem: Problem) -> list[Fix]:
    return list(
        _scoped(Fix.objects.filter(problem=problem), user).select_related("org").order_by("pk")
    )


def rounds_of(fix: Fix) -> list[tuple[int, list[FixStep]]]:
    """The fix's steps grouped by round, the latest round first, each in time order."""
    steps = list(fix.steps.select_related("org", "actor").prefetch_related("files"))
    grouped = [(r, list(s)) for r, s in groupby(steps, key=lambda s: s.round)]
    merged: dict[int, list[FixStep]] = {}
    for r, s in grouped:
        merged.setdefault(r, []).extend(s)
    return sorted(merged.items(), reverse=True)


def evidence_for(user: Any, pk: Any) -> FixEvidence:
    """A file of a step of a fix the user sees; NotFound otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = FixEvidence.objects.select_related("step").filter(pk=key).first()
    if found is None or not _scoped(Fix.objects.filter(pk=found.step.fix_id), user).exists():
        raise NotFound()
    return found


@dataclass(frozen=True)
class LedgerFilter:
    state: str = ""  # a fix state, or "open"
    kind: str = ""
    overdue: bool | None = None
    source: str = ""
    category: int | None = None
    q: str = ""

    @property
    def on_fixes(self) -> bool:
        return bool(self.state or self.kind or self.overdue is not None)


def _choice(params: Any, name: str, allowed: list[str], message: str) -> str:
    value = str(params.get(name, "") or "")
    if value and value not in allowed:
        raise ApplicationError(message % {"value": value[:20]}, field=name)
    return value


def filter_from(params: Any) -> LedgerFilter:
    """The ledger's filters from a query; a value it does not know is refused naming its
    field."""
    state = _choice(params, "state", [*FixState.values, "open"], _("Unknown state %(value)s."))
    kind = _choice(params, "kind", FixKind.values, _("Unknown kind of fix %(value)s."))
    source = _choice(params, "source", ProblemSource.values, _("Unknown source %(value)s."))
    overdue = str(params.get("overdue", "") or "")
    if overdue not in ("", "1", "0"):
        raise ApplicationError(
            _("Unknown value %(value)s.") % {"value": overdue[:20]}, field="overdue"
        )
    category = str(params.get("category", "") or "")
    if category and (not category.isdigit() or len(category) > 18):
        raise ApplicationError(_("Unknown checklist item."), field="category")
    q = str(params.get("q", "") or "").strip()
    if len(q) > SEARCH_MAX:
        raise ApplicationError(
            _("At most %(n)d characters.") % {"n": SEARCH_MAX}, field="q", code="too_long"
        )
    return LedgerFilter(
        state=state,
        kind=kind,
        overdue={"": None, "1": True, "0": False}[overdue],
        source=source,
        category=int(category) if category else None,
        q=q,
    )


def _fix_q(f: LedgerFilter) -> Q:
    cond = Q()
    if f.state == "open":
        cond &= Q(state__in=workflow.WORKING)
    elif f.state:
        cond &= Q(state=f.state)
    if f.kind:
        cond &= Q(kind=f.kind)
    if f.overdue is not None:
        cond &= Q(overdue=f.overdue)
    return cond


def ledger(
    user: Any, org: Organization, f: LedgerFilter, *, after: str = "", limit: int = PAGE
) -> tuple[list[Problem], str]:
    """One page of the organization's ledger: the problems owned or found in its subtree that
    the user sees, newest first after the cursor `after` (a problem's id), each with its fixes
    the user sees (those the filters ask for); and the next cursor ("" at the end)."""
    here = subtree_q("org_path", org.path) | subtree_q("origin_path", org.path)
    qs = _scoped(Problem.objects.filter(here), user)
    if after:
        if not after.isdigit() or len(after) > 18:
            raise ApplicationError(_("This page link is not valid."), field="after")
        qs = qs.filter(pk__lt=int(after))
    if f.source:
        qs = qs.filter(source=f.source)
    if f.category is not None:
        qs = qs.filter(category_id=f.category)
    fixes = _scoped(Fix.objects.all(), user)
    if f.on_fixes:
        fixes = fixes.filter(_fix_q(f))
        qs = qs.filter(pk__in=fixes.values("problem_id"))
    if f.q:
        qs = qs.filter(
            Q(description__icontains=f.q)
            | Q(pk__in=Fix.objects.filter(measure__icontains=f.q).values("problem_id"))
        )
    rows = list(
        qs.select_related("org", "category")
        .prefetch_related(
            Prefetch(
                "fixes",
                queryset=fixes.select_related("org").order_by("pk"),
                to_attr="shown_fixes",
            )
        )
        .order_by("-pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].pk) if more else "")


def figures(org: Organization) -> list[tuple[str, int]]:
    """The ledger's figures of the organization's subtree, from the counters."""
    row = counters.read([org.pk]).get(org.pk, {})
    return [(code, row.get(code, (0, 0))[1]) for code in FIGURES]


def prepared_commitments(org: Organization) -> int:
    """How many of the organization's own fixes have a commitment prepared and not public."""
    return Fix.objects.filter(
        org=org,
        published=False,
        commitment_prepared_at__isnull=False,
        state__in=workflow.WORKING,
    ).count()
