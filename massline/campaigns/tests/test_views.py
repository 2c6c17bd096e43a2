"""The campaign pages and API through the test client: creating from a template, a batch's
count and its refusals, the schedule's preview and apply, an override's preview and apply,
an organization's window and phase with a frozen clock; every refusal translated, naming what
and where, and nothing changed."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from massline.access.models import DataScope
from massline.campaigns.models import Batch, Campaign, Participation, ScheduleOverride
from massline.conftest import api_client, login_client

from .conftest import START, apply, make_campaign

D10 = dt.timedelta(days=10)


@pytest.fixture
def office(tree, make_user):
    """The province's campaign office."""
    return login_client(make_user("campaign_office", tree.root, DataScope.SUBTREE))


def token_of(content: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]+)"', content).group(1)


def test_a_campaign_office_creates_a_campaign_from_a_template(tree, office):
    # when
    response = office.post(
        "/campaigns/new/",
        {
            "template": "theme-education-2023",
            "org": tree.root.code,
            "title": "学习贯彻主题教育",
            "starts_on": "2031-04-01",
            "ends_on": "2031-12-31",
        },
    )
    # then
    campaign = Campaign.objects.get(title="学习贯彻主题教育")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.kind == "theme_education" and not campaign.phased
    page = office.get(response["Location"]).content.decode()
    assert "第一批" in page and "第二批" in page


def test_an_end_before_the_start_comes_back_translated_and_creates_nothing(tree, office):
    response = office.post(
        "/campaigns/new/",
        {
            "template": "theme-education-2023",
            "org": tree.root.code,
            "title": "x",
            "starts_on": "2031-04-01",
            "ends_on": "2031-03-01",
        },
    )
    assert response.status_code == 200
    assert "早于" in response.content.decode() or "之前" in response.content.decode()
    assert not Campaign.objects.exists()


def test_creating_a_campaign_outside_ones_scope_is_refused(tree, make_user):
    client = login_client(make_user("campaign_office", tree.pref_a, DataScope.SUBTREE))
    response = client.post(
        "/campaigns/new/",
        {
            "template": "theme-education-2023",
            "org": tree.pref_b.code,
            "title": "x",
            "starts_on": "2031-04-01",
            "ends_on": "2031-12-31",
        },
    )
    assert response.status_code == 200
    assert tree.pref_b.code in response.content.decode()
    assert not Campaign.objects.exists()


def test_the_schedule_is_previewed_then_applied(tree, office):
    # given: a new campaign, nothing stored yet
    campaign = make_campaign(tree)
    # when
    preview = office.get(f"/campaigns/{campaign.pk}/schedule/")
    # then: eleven new windows, nothing stored before apply
    content = preview.content.decode()
    assert preview.status_code == 200 and not Participation.objects.exists()
    assert tree.village_a1.name in content
    # when
    applied = office.post(f"/campaigns/{campaign.pk}/schedule/", {"token": token_of(content)})
    # then
    assert applied.status_code == 302
    assert Participation.objects.filter(campaign=campaign).count() == 11
    assert (
        'data-testid="no-changes"'
        in office.get(f"/campaigns/{campaign.pk}/schedule/").content.decode()
    )


def test_a_stale_preview_is_not_applied(tree, office):
    campaign = make_campaign(tree)
    response = office.post(f"/campaigns/{campaign.pk}/schedule/", {"token": "0" * 16})
    assert response.status_code == 200
    assert 'data-testid="error"' in response.content.decode()
    assert not Participation.objects.exists()


def test_a_batch_preview_counts_and_a_batch_selecting_nothing_is_refused(w, office):
    url = f"/campaigns/{w.campaign.pk}/batches/new/"
    form = {"name": "第三批", "starts_on": START, "ends_on": START + dt.timedelta(days=120)}
    # a batch of village committees selects nothing
    nothing = office.post(url, {**form, "levels": ["5"], "kinds": ["committee"], "action": "save"})
    assert nothing.status_code == 200
    assert "第三批" in nothing.content.decode() and Batch.objects.count() == 2
    # a batch of the root overlaps batch 1
    twice = office.post(url, {**form, "levels": ["1"], "action": "preview"})
    assert w.tree.root.name in twice.content.decode() and "第一批" in twice.content.decode()
    # editing batch 1 to add the sibling county's branch by an explicit pick: counted
    edit = f"/campaigns/{w.campaign.pk}/batches/{w.b1.pk}/"
    counted = office.post(
        edit,
        {
            "name": "第一批",
            "starts_on": w.b1.starts_on,
            "ends_on": w.b1.ends_on,
            "levels": ["1", "2", "3"],
            "kinds": ["committee", "working_committee"],
            "picks": f"+{w.tree.branch_a2.code}",
            "action": "preview",
        },
    )
    assert 'data-testid="count"' in counted.content.decode()
    assert ">7<" in counted.content.decode() or " 7 " in counted.content.decode()


def test_an_override_is_previewed_with_old_and_new_dates_then_set(w, office):
    url = f"/campaigns/{w.campaign.pk}/override/"
    start = w.b2.starts_on + 3 * D10
    form = {
        "org": w.tree.town_a1.code,
        "starts_on": start,
        "ends_on": w.b2.ends_on,
        "reason": "春耕",
    }
    # when: the preview
    preview = office.post(url, {**form, "confirmed": "0"})
    content = preview.content.decode()
    # then: the township and its villages with their dates before and after; nothing stored
    assert 'data-testid="preview"' in content
    assert w.tree.village_a2.name in content
    assert (w.b2.starts_on + D10).isoformat() in content and (start + D10).isoformat() in content
    assert not ScheduleOverride.objects.exists()
    # when: confirmed
    done = office.post(url, {**form, "confirmed": "1", "token": token_of(content)})
    # then
    assert done.status_code == 302
    row = Participation.objects.get(campaign=w.campaign, org=w.tree.village_a2)
    assert row.starts_on == start + D10


def test_an_override_breaking_the_minimum_is_refused_translated(w, office):
    response = office.post(
        f"/campaigns/{w.campaign.pk}/override/",
        {
            "org": w.tree.town_a1.code,
            "starts_on": w.b2.starts_on,
            "ends_on": w.b2.starts_on + dt.timedelta(days=30),
            "reason": "春耕",
            "confirmed": "1",
        },
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert w.tree.town_a1.name in content and "3" in content
    assert not ScheduleOverride.objects.exists()


def test_an_override_outside_the_users_scope_is_refused(w, make_user, roles):
    # given: the sibling county's campaign office... managing nothing of the province's
    client = login_client(make_user("system_admin", w.tree.root, DataScope.ALL))
    pref_office = login_client(make_user("campaign_office", w.tree.pref_b, DataScope.SUBTREE))
    # then: the prefecture's office may not manage the province's campaign
    assert pref_office.get(f"/campaigns/{w.campaign.pk}/override/").status_code == 403
    # and an administrator gets a named error for an unknown code
    response = client.post(
        f"/campaigns/{w.campaign.pk}/override/",
        {"org": "NOPE", "starts_on": START, "ends_on": START, "reason": "x"},
    )
    assert "NOPE" in response.content.decode()


def test_an_organizations_page_shows_its_window_phase_and_parents_window(w, make_user, frozen):
    # given: today the township has started, and an administrator of the township
    frozen(w.b2.starts_on + dt.timedelta(days=1))
    client = login_client(make_user("org_admin", w.tree.town_a1, DataScope.SUBTREE))
    # when
    town = client.get(f"/campaigns/{w.campaign.pk}/orgs/{w.tree.town_a1.pk}/").content.decode()
    village = client.get(f"/campaigns/{w.campaign.pk}/orgs/{w.tree.village_a1.pk}/")
    # then
    assert w.b2.starts_on.isoformat() in town and "已开始" in town
    content = village.content.decode()
    assert "未开始" in content and w.tree.town_a1.name in content
    assert (w.b2.starts_on + D10).isoformat() in content
    assert 'data-testid="advance"' not in content


def test_phases_move_per_organization_from_its_page(tree, make_user, frozen):
    # given: a phased campaign, today after the root and prefectures started
    c = make_campaign(tree, "two-studies-2016")
    Campaign.objects.filter(pk=c.pk).update(phased=True)
    c.refresh_from_db()
    apply(c)
    root = Participation.objects.get(campaign=c, org=tree.root)
    frozen(root.starts_on + D10)
    office = login_client(make_user("campaign_office", tree.root, DataScope.SUBTREE))
    page = office.get(f"/campaigns/{c.pk}/orgs/{tree.root.pk}/").content.decode()
    assert 'data-testid="advance"' in page
    # when
    office.post(f"/campaigns/{c.pk}/orgs/{tree.root.pk}/advance/")
    refused = office.post(f"/campaigns/{c.pk}/orgs/{tree.county_a1.pk}/advance/", follow=True)
    # then: the root moved; the county had not started, and says so
    assert Participation.objects.get(campaign=c, org=tree.root).phase == "review"
    assert Participation.objects.get(campaign=c, org=tree.county_a1).phase == "learn"
    assert tree.county_a1.name in refused.content.decode()
    api = api_client(make_user("org_admin", tree.root, DataScope.SUBTREE))
    body = api.get(f"/api/v1/campaigns/{c.pk}/schedule", {"org": tree.root.pk}).json()
    assert body["phase"] == "review" and body["next_phase"] == "rectify" and body["started"]
    assert body["checklist"] == []


def test_the_api_gives_a_window_and_the_parents(w, make_user):
    client = api_client(make_user("org_admin", w.tree.county_a1, DataScope.SUBTREE))
    body = client.get(
        f"/api/v1/campaigns/{w.campaign.pk}/schedule", {"org": w.tree.village_a1.pk}
    ).json()
    assert body["window"] == {
        "starts_on": (w.b2.starts_on + D10).isoformat(),
        "ends_on": w.b2.ends_on.isoformat(),
    }
    assert body["parent_window"]["starts_on"] == w.b2.starts_on.isoformat()
    assert body["flexible"] and body["phase"] == "throughout" and body["batch"] == "第二批"
    detail = client.get(f"/api/v1/campaigns/{w.campaign.pk}").json()
    assert [b["name"] for b in detail["batches"]] == ["第一批", "第二批"]
    assert detail["rules"]["level_offset_days"] == 10


def test_the_api_document_lists_the_campaign_operations(db):
    from django.test import Client

    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}",
        "/api/v1/campaigns/{campaign_id}/schedule",
    } <= set(paths)


def test_the_templates_page_lists_built_ins_and_copies_one(tree, office):
    page = office.get("/campaigns/templates/").content.decode()
    assert "mass-line-2013" in page and "学习教育、听取意见" in page
    from massline.campaigns.models import CampaignTemplate

    source = CampaignTemplate.objects.get(code="mass-line-2013")
    done = office.post(
        f"/campaigns/templates/{source.pk}/copy/",
        {
            "org": tree.root.code,
            "code": "nm-mass-line",
            "title": "内蒙古教育实践活动",
            "level_offset_days": 7,
            "subordinate_offset_days": 10,
            "min_concentrated_months": 3,
            "villages_flexible": "on",
        },
    )
    assert done.status_code == 302
    assert CampaignTemplate.objects.get(code="nm-mass-line").level_offset_days == 7


def test_a_campaign_page_shows_figures_and_overrides_of_the_users_view_only(w, office, make_user):
    # given: an override at the township, and an administrator of the sibling county
    p_start = w.b2.starts_on + 3 * D10
    form = {"org": w.tree.town_a1.code, "starts_on": p_start, "ends_on": w.b2.ends_on}
    preview = office.post(
        f"/campaigns/{w.campaign.pk}/override/", {**form, "reason": "春耕", "confirmed": "0"}
    )
    office.post(
        f"/campaigns/{w.campaign.pk}/override/",
        {**form, "reason": "春耕", "confirmed": "1", "token": token_of(preview.content.decode())},
    )
    sibling = login_client(make_user("org_admin", w.tree.county_a2, DataScope.SUBTREE))
    # when
    theirs = sibling.get(f"/campaigns/{w.campaign.pk}/").content.decode()
    ours = office.get(f"/campaigns/{w.campaign.pk}/").content.decode()
    # then: the sibling county sees its own two organizations, not the township's override
    assert w.tree.town_a1.name not in theirs and "春耕" not in theirs
    assert "已安排 2 个组织" in theirs
    assert w.tree.town_a1.name in ours and "已安排 11 个组织" in ours


def test_a_long_preview_pages_fifty_at_a_time(w, office, make_user):
    # given: 60 villages more under the township, scheduled
    from massline.conftest import make_org
    from massline.orgs.models import OrgKind, UnitType

    for i in range(60):
        make_org(
            w.tree.town_a1,
            f"150102101{300 + i}",
            f"中共测试{i}村支部委员会",
            OrgKind.BRANCH,
            UnitType.RURAL,
        )
    apply(w.campaign)
    form = {
        "org": w.tree.town_a1.code,
        "starts_on": w.b2.starts_on + 3 * D10,
        "ends_on": w.b2.ends_on,
        "reason": "春耕",
        "confirmed": "0",
    }
    url = f"/campaigns/{w.campaign.pk}/override/"
    # when
    first = office.post(url, form).content.decode()
    second = office.post(url, {**form, "page": "2"}).content.decode()
    # then: 63 moved (the township, 2 + 60 villages), 50 on the first page, 13 on the second
    assert first.count("data-org=") == 50 and second.count("data-org=") == 13
    assert "第 1 页，共 2 页" in first and "第 2 页，共 2 页" in second
