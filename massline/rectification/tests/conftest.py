"""Fixtures of the rectification tests: the shared tree with a county office, a township
secretary and a village secretary, and a problem with a fix at the village."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from massline.orgs import counters
from massline.rectification.fix_services import fix_create
from massline.rectification.models import FixKind, Problem, ProblemSource
from massline.rectification.problem_services import problem_create

TODAY = dt.date(2026, 12, 4)


@pytest.fixture
def people(tree, make_user) -> SimpleNamespace:
    p = SimpleNamespace()
    p.county = make_user("campaign_office", tree.county_a1)
    p.county2 = make_user("campaign_office", tree.county_a1)
    p.town = make_user("org_admin", tree.town_a1)
    p.town2 = make_user("org_admin", tree.town_a1)
    p.village = make_user("org_admin", tree.village_a1)
    p.other_village = make_user("org_admin", tree.village_a2)
    p.supervisor = make_user("supervisor", tree.county_a1)
    p.nobody = make_user()
    p.province = make_user("campaign_office", tree.root)
    return p


def a_problem(org, *, actor=None, source=ProblemSource.SUPERVISION, **kw) -> Problem:
    return problem_create(
        actor=actor,
        org=org,
        source=source,
        description=kw.pop("description", "村务公开栏长期不更新"),
        responsible_person=kw.pop("responsible_person", "王书记"),
        **kw,
    )


def a_fix(problem: Problem, *, actor=None, **kw):
    kw.setdefault("measure", "每月 5 日前更新公开栏，村监委会签字确认")
    kw.setdefault("kind", FixKind.TIME_LIMITED)
    kw.setdefault("deadline", TODAY + dt.timedelta(days=30))
    kw.setdefault("responsible_person", "王书记")
    kw.setdefault("today", TODAY)
    return fix_create(actor=actor, problem=problem, **kw)


def figures(org, *codes: str) -> dict[str, tuple[int, int]]:
    """(own, subtree) of each code at `org`."""
    row = counters.read([org.pk]).get(org.pk, {})
    return {c: row.get(c, (0, 0)) for c in codes}


def no_drift() -> None:
    assert counters.rebuild(check_only=True) == []
