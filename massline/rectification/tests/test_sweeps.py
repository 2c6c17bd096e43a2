"""The periodic sweeps on a frozen clock (each sweep takes `today`): a fix becomes overdue the day
after its deadline, once; a fix is handed over the day its new organization's window opens,
once, with its history kept; closed fixes are left alone; the counters follow."""

from __future__ import annotations

import datetime as dt

import pytest

from massline.campaigns.models import Participation
from massline.campaigns.tests.conftest import apply, make_campaign
from massline.core import schedule
from massline.core.models import AuditEvent
from massline.notices.models import Notice
from massline.rectification import sweeps, workflow
from massline.rectification.fix_services import fix_act
from massline.rectification.models import Fix, FixKind, FixState, FixStep, FixStepKind

from .conftest import TODAY, a_fix, a_problem, figures, no_drift

pytestmark = pytest.mark.django_db


def act(fix, actor, action, **kw):
    kw.setdefault("today", TODAY)
    return fix_act(actor=actor, fix=fix, action=action, **kw)


def kinds(fix) -> list[str]:
    return list(FixStep.objects.filter(fix=fix).values_list("kind", flat=True))


def test_a_fix_is_overdue_the_day_after_its_deadline_once(tree, people):
    # given two open fixes at the village, one asking for an extension, a closed one and one
    # kept at without a deadline
    p = a_problem(tree.village_a1, actor=people.village)
    due = TODAY + dt.timedelta(days=10)
    f = a_fix(p, actor=people.village, deadline=due)
    g = a_fix(p, actor=people.village, deadline=due)
    act(
        g, people.village, workflow.REQUEST_EXTENSION, note="雨季", until=due + dt.timedelta(days=9)
    )
    closed = a_fix(p, actor=people.village, deadline=due)
    act(closed, people.village, workflow.REQUEST_CLOSE, note="已更新")
    act(closed, people.town, workflow.APPROVE_CLOSE)
    ongoing = a_fix(p, actor=people.village, kind=FixKind.ONGOING, deadline=None)
    # when the sweep runs on the deadline itself, then nothing is overdue
    assert sweeps.fixes_overdue(today=due) == 0
    # when it runs the day after (in batches of one), then the two open ones are
    assert sweeps.fixes_overdue(today=due + dt.timedelta(days=1), batch=1) == 2
    assert set(Fix.objects.filter(overdue=True).values_list("pk", flat=True)) == {f.pk, g.pk}
    assert kinds(f)[-1] == FixStepKind.OVERDUE and FixStepKind.OVERDUE not in kinds(ongoing)
    assert FixStepKind.OVERDUE not in kinds(closed)
    events = AuditEvent.objects.filter(action="rectification.fix_overdue")
    assert events.count() == 2 and {e.actor_id for e in events} == {None}
    assert figures(tree.village_a1, "fixes.overdue")["fixes.overdue"] == (2, 2)
    assert figures(tree.root, "fixes.overdue")["fixes.overdue"] == (0, 2)
    # and the township's approvers are told, once per fix
    notices = Notice.objects.filter(kind=sweeps.OVERDUE_NOTICE, recipient=people.town)
    assert notices.count() == 2
    # when it runs again, then nothing more happens
    assert sweeps.fixes_overdue(today=due + dt.timedelta(days=5)) == 0
    assert events.count() == 2 and Notice.objects.filter(kind=sweeps.OVERDUE_NOTICE).count() == 4
    # when the extension is approved, then that fix is no longer overdue
    act(Fix.objects.get(pk=g.pk), people.town, workflow.APPROVE_EXTENSION, today=due)
    assert not Fix.objects.get(pk=g.pk).overdue
    assert figures(tree.village_a1, "fixes.overdue")["fixes.overdue"] == (1, 1)
    no_drift()


def test_the_overdue_sweep_runs_as_a_periodic_task(tree, people):
    # given a fix whose deadline passed (written as if a year ago)
    p = a_problem(tree.village_a1, actor=people.village)
    a_fix(p, actor=people.village, deadline=TODAY, today=TODAY)
    Fix.objects.update(deadline=dt.date(2020, 1, 1))
    # when the scheduler fires the task
    run = schedule.fire("rectification.overdue")
    # then the run is recorded with what it did
    assert run is not None and run.status == "ok" and run.details == {"overdue": 1}
    assert schedule.fire("rectification.handover") is not None
    no_drift()


@pytest.fixture
def campaign(tree):
    """Batch 1 (committees of levels 1-3) from a month on, batch 2 three months later."""
    c = make_campaign(tree, start=TODAY + dt.timedelta(days=30))
    apply(c, today=TODAY)
    return c


def test_a_fix_is_handed_over_when_the_next_batch_opens(tree, people, campaign):
    # given fixes of the county (batch 1) to be taken over by the township (batch 2)
    opens = Participation.objects.get(campaign=campaign, org=tree.town_a1).starts_on
    assert Participation.objects.get(campaign=campaign, org=tree.county_a1).starts_on < opens
    p = a_problem(tree.county_a1, actor=people.county, campaign_id=campaign.pk)
    far = opens + dt.timedelta(days=60)
    f = a_fix(p, actor=people.county, deadline=far, handover_org=tree.town_a1)
    g = a_fix(p, actor=people.county, deadline=far, handover_org=tree.town_a1)
    act(g, people.county, workflow.PROGRESS, note="已摸排", public=True)
    closed = a_fix(p, actor=people.county, deadline=far, handover_org=tree.town_a1)
    act(closed, people.county, workflow.REQUEST_CLOSE, note="已完成")
    # (the county's close-out is approved at the prefecture; the system acts for it here)
    act(closed, None, workflow.APPROVE_CLOSE)
    stays = a_fix(p, actor=people.county, deadline=far)
    # when the sweep runs the day before the window opens, then nothing moves
    assert sweeps.fixes_handover(today=opens - dt.timedelta(days=1)) == 0
    # when it runs the day it opens (in batches of one)
    assert sweeps.fixes_handover(today=opens, batch=1) == 2
    # then the open ones are the township's, their history kept, found where they were
    for fix in (f, g):
        moved = Fix.objects.get(pk=fix.pk)
        assert (moved.org, moved.org_path, moved.handover_org) == (
            tree.town_a1,
            tree.town_a1.path,
            None,
        )
        assert moved.origin_org == tree.county_a1
        assert kinds(moved)[0] == FixStepKind.CREATED
        assert kinds(moved)[-1] == FixStepKind.HANDED_OVER
    assert FixStepKind.PROGRESS in kinds(g)
    assert Fix.objects.get(pk=closed.pk).org == tree.county_a1
    assert Fix.objects.get(pk=stays.pk).org == tree.county_a1
    assert AuditEvent.objects.filter(action="rectification.fix_handover").count() == 2
    assert figures(tree.town_a1, "fixes.open")["fixes.open"] == (2, 2)
    assert figures(tree.county_a1, "fixes.open")["fixes.open"] == (1, 3)
    # when it runs again, then nothing moves twice
    assert sweeps.fixes_handover(today=opens + dt.timedelta(days=3)) == 0
    assert Fix.objects.get(pk=closed.pk).state == FixState.CLOSED
    no_drift()


def test_a_fix_of_an_organization_with_no_window_is_not_handed_over(tree, people, campaign):
    # given a fix to be taken over by a branch the campaign does not schedule
    Participation.objects.filter(campaign=campaign, org=tree.village_a2).delete()
    p = a_problem(tree.town_a1, actor=people.town, campaign_id=campaign.pk)
    a_fix(p, actor=people.town, handover_org=tree.village_a2)
    # when the sweep runs long after every window opened, then it stays
    assert sweeps.fixes_handover(today=TODAY + dt.timedelta(days=3650)) == 0
    assert Fix.objects.get().org == tree.town_a1
