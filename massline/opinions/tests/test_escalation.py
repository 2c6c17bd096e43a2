"""The overdue escalation (督办): flagged once, a step, an audit row, the counters and a notice
to the dispatchers one level above the lead; idempotent; tested with a frozen clock."""

from __future__ import annotations

from massline.conftest import login_client
from massline.core.models import AuditEvent
from massline.notices.models import Notice
from massline.opinions.dispatch_services import (
    opinion_act,
    opinions_escalate,
    opinions_escalate_task,
)
from massline.opinions.models import OpinionStep
from massline.orgs import counters

from .dispatch_fixtures import at_hour, figures, make_opinion


def test_an_overdue_opinion_is_escalated_once(tree, make_user, frozen):
    # given an urgent opinion dispatched to the town at 9, and dispatchers at the county
    office = make_user("campaign_office", tree.county_a1, "subtree")
    watcher = make_user("campaign_office", tree.county_a1, "this_org")
    make_user("org_admin", tree.county_a1, "subtree")  # handle, not dispatch: not told
    frozen(at_hour(9))
    o = make_opinion(tree.village_a1, urgency="urgent")
    o = opinion_act(actor=office, opinion=o, action="dispatch", lead_org=tree.town_a1)
    # when the task runs before the time limit
    frozen(at_hour(8, days=1))
    assert opinions_escalate() == 0
    # when it runs after it, twice
    frozen(at_hour(10, days=1))
    assert opinions_escalate() == 1
    assert opinions_escalate() == 0
    # then the opinion is overdue, escalated to the county, once
    o.refresh_from_db()
    assert (o.overdue, o.escalated_to_id, o.status) == (True, tree.county_a1.pk, "dispatched")
    assert OpinionStep.objects.filter(opinion=o, kind="escalated").count() == 1
    assert AuditEvent.objects.filter(action="opinions.escalate").count() == 1
    notices = Notice.objects.filter(kind="opinions.escalated")
    assert sorted(notices.values_list("recipient_id", flat=True)) == sorted([office.pk, watcher.pk])
    assert notices.first().link == f"/opinions/{o.pk}/"
    assert figures(tree.root, "opinions.overdue") == {"opinions.overdue": 1}
    assert counters.rebuild(check_only=True) == []
    # the notice reads in Chinese and says nothing of the submitter or the text
    page = login_client(watcher).get("/notices/").content.decode()
    assert f"第 {o.pk} 号意见在{tree.town_a1.name}办理超期" in page
    assert o.text not in page


def test_replied_returned_and_undispatched_opinions_are_not_escalated(tree, make_user, frozen):
    office = make_user("campaign_office", tree.county_a1, "subtree")
    lead = make_user("org_admin", tree.town_a1, "this_org")
    frozen(at_hour(9))
    replied = opinion_act(
        actor=office,
        opinion=make_opinion(tree.village_a1, urgency="urgent"),
        action="dispatch",
        lead_org=tree.town_a1,
    )
    opinion_act(actor=lead, opinion=replied, action="reply", note="已办")
    returned = opinion_act(
        actor=office,
        opinion=make_opinion(tree.village_a1, urgency="urgent"),
        action="dispatch",
        lead_org=tree.town_a1,
    )
    opinion_act(actor=lead, opinion=returned, action="return", note="不归本镇")
    make_opinion(tree.village_a1, urgency="urgent")
    frozen(at_hour(9, days=30))
    assert opinions_escalate() == 0


def test_a_handled_opinion_at_the_top_is_escalated_to_its_lead(tree, make_user, frozen):
    frozen(at_hour(9))
    o = make_opinion(tree.village_a1, urgency="general")
    o = opinion_act(actor=None, opinion=o, action="dispatch", lead_org=tree.root)
    opinion_act(actor=None, opinion=o, action="contact")
    frozen(at_hour(10, days=7))
    result = opinions_escalate_task()
    o.refresh_from_db()
    assert (o.overdue, o.escalated_to_id) == (True, tree.root.pk)
    assert result.details == {"escalated": 1}


def test_a_reassigned_opinion_may_be_escalated_again(tree, make_user, frozen):
    office = make_user("campaign_office", tree.county_a1, "subtree")
    make_user("campaign_office", tree.town_a1, "this_org")  # told of the second escalation
    frozen(at_hour(9))
    o = opinion_act(
        actor=office,
        opinion=make_opinion(tree.village_a1, urgency="urgent"),
        action="dispatch",
        lead_org=tree.town_a1,
    )
    frozen(at_hour(10, days=1))
    assert opinions_escalate() == 1
    o = opinion_act(
        actor=office, opinion=o, action="reassign", lead_org=tree.village_a2, note="换人办"
    )
    assert (o.overdue, o.escalated_to_id) == (False, None)
    frozen(at_hour(11, days=2))
    assert opinions_escalate() == 1
    o.refresh_from_db()
    assert o.escalated_to_id == tree.town_a1.pk
    assert Notice.objects.filter(kind="opinions.escalated").values("key").distinct().count() == 2
    assert counters.rebuild(check_only=True) == []


def test_the_escalation_is_a_periodic_task():
    from massline.core.schedule import periodic_tasks

    task = next(t for t in periodic_tasks() if t.name == "opinions.escalate")
    assert task.handler is opinions_escalate_task
    assert task.cron == "10 * * * *"
