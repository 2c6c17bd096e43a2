"""The rectification figures kept in the organization counters (orgs.metrics, decision 0009),
each declared once: problems counted at the organization that owns them, fixes at the
responsible organization, evaluations at the organization responsible for the fix when they
were given. The three rates (`rates.py`) and every dashboard read them at any level. A service
changes them with `counts(before)` → `counts(after)` in its transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from massline.orgs import counters
from massline.orgs.metrics import Counted, difference
from massline.orgs.metrics import counts as counts_of

from .models import FixKind, FixState, ProblemSource, ProblemStatus, Verdict

OPEN = (
    FixState.IN_PROGRESS.value,
    FixState.EXTENSION_REQUESTED.value,
    FixState.CLOSE_REQUESTED.value,
)

PROBLEM_METRICS: tuple[Counted, ...] = (
    Counted("problems.total", _("problems")),
    Counted(
        "problems.escalated", _("problems escalated upwards"), {"status": ProblemStatus.ESCALATED}
    ),
    *(Counted(f"problems.source.{s.value}", s.label, {"source": s.value}) for s in ProblemSource),
)

FIX_METRICS: tuple[Counted, ...] = (
    Counted("fixes.total", _("fixes")),
    Counted("fixes.open", _("open fixes"), {"state": OPEN}),
    *(Counted(f"fixes.state.{s.value}", s.label, {"state": s.value}) for s in FixState),
    *(Counted(f"fixes.kind.{k.value}", k.label, {"kind": k.value}) for k in FixKind),
    Counted("fixes.overdue", _("fixes past their deadline"), {"overdue": True}),
    Counted("fixes.reworked", _("fixes reworked"), {"reworked": True}),
    Counted("fixes.committed", _("fixes published as commitments"), {"published": True}),
)

EVALUATION_METRICS: tuple[Counted, ...] = (
    Counted("evaluations.total", _("evaluations")),
    *(Counted(f"evaluations.{v.value}", v.label, {"verdict": v.value}) for v in Verdict),
)


def register() -> None:
    from .models import Evaluation, Fix, Problem

    counters.register_counted(Problem, PROBLEM_METRICS, org_field="org_id")
    counters.register_counted(Fix, FIX_METRICS, org_field="org_id")
    counters.register_counted(Evaluation, EVALUATION_METRICS, org_field="org_id")


def problem_counts(problem: Any) -> dict[str, int]:
    return counts_of(PROBLEM_METRICS, problem)


def fix_counts(fix: Any) -> dict[str, int]:
    return counts_of(FIX_METRICS, fix)


def evaluation_counts(evaluation: Any) -> dict[str, int]:
    return counts_of(EVALUATION_METRICS, evaluation)


def changes(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """What to add to the counters when a record's figures go from `before` to `after`."""
    return {k: v for k, v in difference(before, after).items() if v}


def negated(figures: Mapping[str, int]) -> dict[str, int]:
    return {k: -v for k, v in figures.items() if v}
