"""Test data setup for the three rates: evaluations and due opinions made here, as rows with
their counters bumped exactly as the declared metrics say (rectification/counters.py,
opinions/counters.py). The evaluation service lands separately; these are not its stand-in
in any test of it, only the data the rates read."""

from __future__ import annotations

from massline.opinions.counters import counts as opinion_counts
from massline.opinions.models import Opinion
from massline.orgs import counters
from massline.rectification.counters import evaluation_counts
from massline.rectification.models import Evaluation, Fix, Verdict

from .conftest import TODAY, a_fix, a_problem


def a_village_fix(org) -> Fix:
    return a_fix(a_problem(org))


def evaluate(fix: Fix, satisfied: int = 0, basically: int = 0, unsatisfied: int = 0) -> None:
    """Evaluation rows of the fix's present round, counted at its organization."""
    plan = (
        [Verdict.SATISFIED] * satisfied
        + [Verdict.BASICALLY_SATISFIED] * basically
        + [Verdict.UNSATISFIED] * unsatisfied
    )
    total: dict[str, int] = {}
    for verdict in plan:
        e = Evaluation.objects.create(
            fix=fix,
            round=fix.round,
            org=fix.org,
            org_path=fix.org_path,
            verdict=verdict,
            reason="没有变化" if verdict == Verdict.UNSATISFIED else "",
            given_on=TODAY,
        )
        for code, n in evaluation_counts(e).items():
            total[code] = total.get(code, 0) + n
    counters.bump(path=fix.org_path, deltas={k: v for k, v in total.items() if v})


def responses(org, in_time: int = 0, late: int = 0) -> None:
    """Opinions addressed to `org` whose response is settled (in time or late)."""
    for response in ["in_time"] * in_time + ["late"] * late:
        o = Opinion.objects.create(
            org=org,
            org_path=org.path,
            channel="box",
            submitter_category="public",
            text="路灯坏了",
            received_on=TODAY,
            status="handling",
            lead_org=org,
            lead_path=org.path,
            response=response,
        )
        counters.bump(path=o.org_path, deltas={k: v for k, v in opinion_counts(o).items() if v})
