"""The overview's lists of the actions: organizations with required actions overdue and
organizations that did one late, equal to what each organization's checklist says, on the
page and in the export's rows, at a frozen date."""

from __future__ import annotations

import datetime as dt

import pytest

from massline.campaigns import action_services
from massline.campaigns.action_lists import late_rows, overdue_rows
from massline.campaigns.checklist import LATE, checklist
from massline.campaigns.models import Participation
from massline.conftest import login_client

from .conftest import START


def overdue_by_checklists(campaign, under, today):
    """The organizations whose checklist shows a required action late, one by one."""
    out = set()
    for p in Participation.objects.filter(campaign=campaign).select_related("org"):
        if not p.org.path.startswith(under.path):
            continue
        items = checklist(campaign, p.org, today, window=p)
        if any(i.status == LATE and i.action.required for i in items):
            out.add(p.org_id)
    return out


@pytest.mark.parametrize("days_after_start", [-1, 3, 6, 200])
def test_the_overdue_list_is_what_the_checklists_say(acts, frozen, days_after_start):
    today = START + dt.timedelta(days=days_after_start)
    frozen(today)
    c, t = acts.campaign, acts.tree
    for under in (t.root, t.county_a1, t.village_a1):
        listed = {p.org_id for p in overdue_rows(c, under, today)}
        assert listed == overdue_by_checklists(c, under, today), (days_after_start, under.code)
    assert (days_after_start > 5) == bool(overdue_rows(c, t.root, today).exists())


def test_doing_it_late_moves_an_organization_from_overdue_to_late(acts, frozen):
    c, t = acts.campaign, acts.tree
    today = START + dt.timedelta(days=8)
    frozen(today)
    assert t.root.pk in {p.org_id for p in overdue_rows(c, t.root, today)}
    assert not late_rows(c, t.root, today).exists()
    # when the root records its study, three days late
    action_services.completion_record(
        actor=None, campaign=c, org=t.root, action_id=acts.study.pk, text="学习了", today=today
    )
    # then
    assert t.root.pk not in {p.org_id for p in overdue_rows(c, t.root, today)}
    assert [p.org_id for p in late_rows(c, t.root, today)] == [t.root.pk]


def test_the_lists_are_on_the_overview(acts, frozen, make_user):
    today = START + dt.timedelta(days=8)
    frozen(today)
    client = login_client(make_user("campaign_office", acts.tree.root))
    url = f"/campaigns/{acts.campaign.pk}/overview/overdue/?org={acts.tree.root.pk}"
    response = client.get(url)
    assert response.status_code == 200
    assert acts.tree.root.name in response.content.decode()
    assert client.get(url.replace("/overdue/", "/late/")).status_code == 200
