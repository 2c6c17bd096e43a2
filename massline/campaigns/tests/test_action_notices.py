"""The daily campaign notices: a window opening today, an action due in 3 days, an action gone
late, to the organization's own administrators (campaigns.record at it); running twice sends
nothing twice; the workbench to-do counts what is due or late at the user's organizations."""

from __future__ import annotations

import datetime as dt

import pytest

from massline.access.permissions import CAMPAIGNS_RECORD
from massline.access.users import holders_at
from massline.campaigns import action_notices, action_services, action_workbench
from massline.notices.models import Notice

from .action_fixtures import window

pytestmark = pytest.mark.django_db


def sent(kind):
    return sorted(Notice.objects.filter(kind=kind).values_list("recipient_id", "key"))


def test_holders_are_the_assignments_at_the_organization_itself(acts, make_user):
    t = acts.tree
    here = make_user("org_admin", t.county_a1)
    make_user("org_admin", t.pref_a)  # above it: not its administrator
    make_user("supervisor", t.county_a1)  # no campaigns.record
    make_user("org_admin", t.county_a1, valid_to=dt.date.today() - dt.timedelta(days=1))
    assert holders_at([t.county_a1.pk], CAMPAIGNS_RECORD) == {t.county_a1.pk: [here.pk]}


def test_opening_due_and_late_are_sent_once(acts, make_user, frozen):
    t = acts.tree
    admin = make_user("org_admin", t.county_a1)
    make_user("org_admin", t.pref_a)
    row = window(acts.campaign, t.county_a1)
    due = row.starts_on + dt.timedelta(days=5)

    frozen(row.starts_on)
    action_notices.send_campaign_notices(row.starts_on)
    key = f"campaign:{acts.campaign.pk}:org:{t.county_a1.pk}:opens"
    assert (admin.pk, key) in sent(action_notices.OPENS)
    assert Notice.objects.filter(recipient=admin).count() == 1

    soon = due - dt.timedelta(days=3)
    action_notices.send_campaign_notices(soon)
    action_notices.send_campaign_notices(soon)
    due_key = f"campaign:{acts.campaign.pk}:action:{acts.study.pk}:org:{t.county_a1.pk}:due"
    assert sent(action_notices.DUE_SOON) == [(admin.pk, due_key)]

    late_day = due + dt.timedelta(days=1)
    before = Notice.objects.count()
    action_notices.send_campaign_notices(late_day)
    action_notices.send_campaign_notices(late_day)
    late_key = f"campaign:{acts.campaign.pk}:action:{acts.study.pk}:org:{t.county_a1.pk}:late"
    assert sent(action_notices.LATE) == [(admin.pk, late_key)]
    assert Notice.objects.count() == before + 1
    n = Notice.objects.get(kind=action_notices.LATE)
    assert n.link == f"/campaigns/{acts.campaign.pk}/orgs/{t.county_a1.pk}/checklist/"
    assert n.params["due_on"] == due.isoformat()


def test_done_actions_are_not_reminded(acts, make_user):
    t = acts.tree
    admin = make_user("org_admin", t.county_a1)
    row = window(acts.campaign, t.county_a1)
    action_services.completion_record(
        actor=None,
        campaign=acts.campaign,
        org=t.county_a1,
        action_id=acts.study.pk,
        text="已学习",
        today=row.starts_on,
    )
    action_notices.send_campaign_notices(row.starts_on + dt.timedelta(days=2))
    action_notices.send_campaign_notices(row.starts_on + dt.timedelta(days=6))
    assert not Notice.objects.filter(
        recipient=admin, kind__in=[action_notices.DUE_SOON, action_notices.LATE]
    ).exists()


def test_the_periodic_task_runs_and_reports(acts):
    outcome = action_notices.campaign_notices_task()
    assert not outcome.findings


def test_the_workbench_counts_due_and_late_actions(
    acts, make_user, frozen, django_assert_max_num_queries
):
    t = acts.tree
    admin = make_user("org_admin", t.village_a1, "this_org")
    row = window(acts.campaign, t.village_a1)
    frozen(row.starts_on - dt.timedelta(days=1))
    assert action_workbench.due_count(admin) == 0
    frozen(row.starts_on + dt.timedelta(days=7))
    admin = type(admin).objects.get(pk=admin.pk)
    with django_assert_max_num_queries(5):  # the grants (2), windows, actions, completions
        assert action_workbench.due_count(admin) == 2  # the study (late), the meeting (due)
    assert action_workbench.due_url(admin).endswith(f"/orgs/{t.village_a1.pk}/checklist/")
