"""The problem services: recording from every source, the checklist tag, linked opinions,
escalation, claim (the open fixes move up with their counters) and decline."""

from __future__ import annotations

import pytest

from massline.core.errors import ApplicationError, Forbidden
from massline.opinions.intake_services import opinion_enter
from massline.opinions.models import OpinionCategory
from massline.rectification import workflow
from massline.rectification.fix_services import fix_act
from massline.rectification.models import (
    Fix,
    FixState,
    FixStep,
    Problem,
    ProblemSource,
    ProblemStatus,
)
from massline.rectification.problem_services import (
    problem_claim,
    problem_decline,
    problem_escalate,
)

from .conftest import TODAY, a_fix, a_problem, figures, no_drift

pytestmark = pytest.mark.django_db


def an_opinion(org, actor, text="村里路灯坏了半年没人修"):
    return opinion_enter(
        actor=actor, org=org, channel="interview", submitter_category="public", text=text
    )[0]


def test_a_problem_from_opinions_links_them(tree, people):
    o1 = an_opinion(tree.village_a1, people.province)
    o2 = an_opinion(tree.village_a1, people.province, "路灯晚上不亮")
    p = a_problem(
        tree.village_a1, actor=people.village, source=ProblemSource.OPINION, opinions=[o1, o2]
    )
    assert set(p.opinions.all()) == {o1, o2}
    assert (p.org, p.origin_org, p.status) == (tree.village_a1, tree.village_a1, "open")
    assert figures(tree.town_a1, "problems.total", "problems.source.opinion") == {
        "problems.total": (0, 1),
        "problems.source.opinion": (0, 1),
    }
    no_drift()


def test_a_problem_from_the_public_needs_its_opinions(tree, people):
    with pytest.raises(ApplicationError) as e:
        a_problem(tree.village_a1, actor=people.village, source=ProblemSource.OPINION)
    assert e.value.field == "opinions"
    assert not Problem.objects.exists()


def test_an_opinion_outside_the_scope_is_refused(tree, people):
    elsewhere = an_opinion(tree.branch_b1, people.province)
    with pytest.raises(ApplicationError) as e:
        a_problem(
            tree.village_a1,
            actor=people.village,
            source=ProblemSource.OPINION,
            opinions=[elsewhere],
        )
    assert e.value.field == "opinions"


def test_a_self_review_problem_is_tagged_with_a_checklist_item(tree, people):
    with pytest.raises(ApplicationError) as e:
        a_problem(tree.village_a1, actor=people.village, source=ProblemSource.TEAM_REVIEW)
    assert e.value.field == "category"
    formalism = OpinionCategory.objects.get(source="four_winds", code="formalism")
    p = a_problem(
        tree.village_a1, actor=people.village, source=ProblemSource.TEAM_REVIEW, category=formalism
    )
    assert p.category == formalism


def test_a_local_checklist_item_of_another_tree_is_refused(tree, people):
    local = OpinionCategory.objects.create(
        source="local", code="x", title="本地事项", org=tree.county_b1, org_path=tree.county_b1.path
    )
    with pytest.raises(ApplicationError) as e:
        a_problem(
            tree.village_a1, actor=people.village, source=ProblemSource.SELF_REVIEW, category=local
        )
    assert e.value.field == "category"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"description": " "}, "description"),
        ({"responsible_person": ""}, "responsible_person"),
        ({"source": "rumour"}, "source"),
    ],
)
def test_bad_problems_are_refused(tree, people, kw, field):
    with pytest.raises(ApplicationError) as e:
        a_problem(tree.village_a1, actor=people.village, **kw)
    assert e.value.field == field
    assert not Problem.objects.exists()
    no_drift()


def test_only_who_keeps_the_organization_records_its_problems(tree, people):
    for user in (people.other_village, people.supervisor, people.nobody):
        with pytest.raises(Forbidden):
            a_problem(tree.village_a1, actor=user)


def test_escalate_then_claim_moves_the_problem_and_its_open_fixes_up(tree, people):
    p = a_problem(tree.village_a1, actor=people.village)
    open_fix = a_fix(p, actor=people.village)
    done = a_fix(p, actor=people.village, measure="已立行立改")
    done = fix_act(
        actor=people.village, fix=done, action=workflow.REQUEST_CLOSE, note="完成", today=TODAY
    )
    done = fix_act(actor=people.town, fix=done, action=workflow.APPROVE_CLOSE, today=TODAY)
    with pytest.raises(ApplicationError) as e:
        problem_escalate(actor=people.village, problem=p, reason=" ")
    assert e.value.field == "reason"
    p = problem_escalate(actor=people.village, problem=p, reason="资金审批在镇里")
    assert (p.status, p.escalated_to) == (ProblemStatus.ESCALATED, tree.town_a1)
    assert figures(tree.village_a1, "problems.escalated")["problems.escalated"] == (1, 1)
    # no fix while it waits; the village cannot claim it, nor a sibling township's people
    with pytest.raises(ApplicationError) as e:
        a_fix(p, actor=people.village)
    assert e.value.code == "problem_escalated"
    with pytest.raises(Forbidden):
        problem_claim(actor=people.village, problem=p, responsible_person="李镇长")
    with pytest.raises(ApplicationError) as e:
        problem_claim(actor=people.town, problem=p, responsible_person="李镇长", version=1)
    assert e.value.code == "problem_changed"
    p = problem_claim(actor=people.town, problem=p, responsible_person="李镇长", version=p.version)
    assert (p.org, p.origin_org, p.status) == (tree.town_a1, tree.village_a1, ProblemStatus.OPEN)
    open_fix.refresh_from_db()
    done.refresh_from_db()
    assert (open_fix.org, open_fix.origin_org) == (tree.town_a1, tree.village_a1)
    assert done.org == tree.village_a1  # evaluated where it was closed out
    assert FixStep.objects.filter(fix=open_fix, kind="claimed").count() == 1
    assert figures(tree.village_a1, "fixes.open", "problems.total") == {
        "fixes.open": (0, 0),
        "problems.total": (0, 0),
    }
    assert figures(tree.town_a1, "fixes.open", "problems.total")["fixes.open"] == (1, 1)
    # the township now approves at the county's level: its own fix's upper side is the county
    assert workflow.UPPER not in workflow.sides_of(people.town, open_fix)
    assert workflow.UPPER in workflow.sides_of(people.county, open_fix)
    no_drift()


def test_a_problem_can_be_declined_back_below(tree, people):
    p = a_problem(tree.village_a1, actor=people.village)
    p = problem_escalate(actor=people.village, problem=p, reason="资金审批在镇里")
    with pytest.raises(ApplicationError):
        problem_escalate(actor=people.village, problem=p, reason="再次")
    p = problem_decline(actor=people.town, problem=p, reason="村级可自行解决")
    assert (p.status, p.org, p.escalated_to) == (ProblemStatus.OPEN, tree.village_a1, None)
    assert "村级可自行解决" in p.escalation_reason
    assert a_fix(p, actor=people.village).state == FixState.IN_PROGRESS
    no_drift()


def test_the_root_cannot_escalate(tree):
    p = a_problem(tree.root)
    with pytest.raises(ApplicationError) as e:
        problem_escalate(actor=None, problem=p, reason="x")
    assert e.value.code == "problem_state"


def test_a_fix_may_be_given_to_an_organization_below_the_problems(tree, people):
    p = a_problem(tree.town_a1, actor=people.town)
    f = a_fix(p, actor=people.town, org=tree.village_a1)
    assert f.org == tree.village_a1
    with pytest.raises(ApplicationError) as e:
        a_fix(p, actor=None, org=tree.county_a1)
    assert e.value.field == "org"
    assert Fix.objects.count() == 1


def test_the_level_above_hears_of_what_awaits_its_decision(tree, people):
    from massline.notices.models import Notice

    p = a_problem(tree.village_a1, actor=people.village)
    problem_escalate(actor=people.village, problem=p, reason="资金审批在镇里")
    mine = Notice.objects.filter(recipient__in=[people.town, people.town2])
    assert mine.count() == 2
    assert not Notice.objects.filter(recipient=people.county).exists()  # at the very org only
    f = a_fix(a_problem(tree.village_a1), actor=people.village)
    fix_act(actor=people.village, fix=f, action=workflow.REQUEST_CLOSE, note="完成", today=TODAY)
    assert mine.count() == 4
    assert {n.link for n in mine} == {
        f"/rectification/problems/{p.pk}/",
        f"/rectification/fixes/{f.pk}/",
    }


def test_the_workbench_counts_what_awaits_the_level_above(tree, people):
    from massline.conftest import login_client

    f = a_fix(a_problem(tree.village_a1), actor=people.village)
    fix_act(actor=people.village, fix=f, action=workflow.REQUEST_CLOSE, note="完成", today=TODAY)
    problem_escalate(actor=people.village, problem=a_problem(tree.village_a1), reason="在镇里")
    page = login_client(people.town).get("/").content.decode()
    assert "等待您审批的下级延期和销号申请" in page or "Extensions and close-outs" in page
    assert f"/rectification/orgs/{tree.town_a1.pk}/?state=close_requested" in page
    # the village asked; nothing awaits it
    page = login_client(people.village).get("/").content.decode()
    assert "?state=close_requested" not in page
