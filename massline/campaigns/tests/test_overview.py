"""The overview (decision 0018): the rollups agree with a direct count over the subtree
(random trees, overrides and a frozen clock), the pages and the API through the test client
with query counts that do not grow with the tree, a county sees its subtree only, the lists
paged and exported, the workbench block."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from massline.access.models import DataScope
from massline.campaigns import rollups, schedule_services
from massline.campaigns.models import Participation
from massline.campaigns.overview import overview
from massline.conftest import api_client, login_client, make_org
from massline.core import jobs
from massline.core.models import AuditEvent, Job
from massline.orgs.models import OrgKind, UnitType

from .conftest import START, apply, make_campaign


def direct(campaign, org, today):
    """Started and participating per (level, batch) over the subtree, counted row by row."""
    out: Counter = Counter()
    for p in Participation.objects.filter(campaign=campaign, org_path__startswith=org.path):
        out[(p.level, p.batch_id, "all")] += 1
        out[(p.level, p.batch_id, "started")] += p.starts_on <= today
    return out


def from_overview(campaign, org, today):
    out: Counter = Counter()
    for f in overview(campaign, org, today).levels:
        out[(f.level, f.batch_id, "all")] += f.participating
        out[(f.level, f.batch_id, "started")] += f.started
    return out


def grow(tree, seed):
    rnd = random.Random(seed)
    parents = [tree.county_a1, tree.county_b1, tree.town_a1]
    for i in range(40):
        parent = rnd.choice(parents)
        kind = rnd.choice([OrgKind.BRANCH, OrgKind.COMMITTEE])
        org = make_org(parent, f"R{seed}-{i:03d}", f"随机组织{i}", kind, UnitType.RURAL)
        if kind == OrgKind.COMMITTEE:
            parents.append(org)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollups_agree_with_a_direct_count_at_every_organization(tree, seed):
    grow(tree, seed)
    campaign = make_campaign(tree)
    apply(campaign)
    rows = Participation.objects.filter(campaign=campaign).select_related("org")
    rnd = random.Random(seed)
    days = [START + dt.timedelta(days=rnd.randint(-5, 200)) for _ in range(4)]
    for p in rows:
        for day in days:
            assert from_overview(campaign, p.org, day) == direct(campaign, p.org, day)


def test_an_override_moves_the_rollups_with_the_windows(tree, w):
    later = w.b2.starts_on + dt.timedelta(days=40)
    values = {
        "campaign": w.campaign,
        "org": tree.town_a1,
        "subtree": True,
        "starts_on": later,
        "ends_on": w.b2.ends_on,
        "reason": "春耕",
    }
    p = schedule_services.override_preview(**values)
    schedule_services.override_set(actor=None, token=p.token, **values)
    for org in (tree.root, tree.pref_a, tree.county_a1, tree.town_a1):
        for day in (later - dt.timedelta(days=1), later):
            assert from_overview(w.campaign, org, day) == direct(w.campaign, org, day)


def test_the_rollup_is_a_pure_count_of_each_window_at_its_participating_ancestors():
    d = dt.date(2030, 1, 1)
    rows = [
        (1, "000001", 1, 9, d, d),
        (2, "000001000002", 2, 9, d, d + dt.timedelta(days=5)),
        (3, "000001000002000003", 3, 9, d, d + dt.timedelta(days=9)),
    ]
    groups = rollups.compute(rows)
    assert groups[(1, 3, 9, d)] == [1, d + dt.timedelta(days=9)]
    assert groups[(2, 2, 9, d)] == [1, d + dt.timedelta(days=5)]
    assert sum(c[0] for (org, *_), c in groups.items() if org == 1) == 3


@pytest.fixture
def office_user(tree, make_user):
    return make_user("campaign_office", tree.root, DataScope.SUBTREE)


@pytest.fixture
def office(office_user):
    """Signed in now: a test that moves the clock signs in again after (sessions expire)."""
    return login_client(office_user)


@pytest.fixture
def county_user(tree, make_user):
    return make_user("campaign_office", tree.county_a1, DataScope.SUBTREE)


def test_the_overview_page_shows_the_figures_and_one_bar_per_child(tree, w, office_user, frozen):
    frozen(w.b1.starts_on)
    office = login_client(office_user)
    page = office.get(f"/campaigns/{w.campaign.pk}/overview/").content.decode()
    assert 'id="gantt-data"' in page and "中共呼和浩特市委员会" in page
    assert f'?org={tree.pref_a.pk}"' in page and 'data-testid="levels"' in page
    assert "js/gantt.js" in page and "<script>" not in page


def test_the_overview_reads_the_same_number_of_queries_at_every_level(tree, w, office):
    counts = []
    for org in (tree.root, tree.county_a1, tree.village_a1):
        with CaptureQueriesContext(connection) as q:
            response = office.get(f"/campaigns/{w.campaign.pk}/overview/?org={org.pk}")
        assert response.status_code == 200
        counts.append(len(q))
    grow(tree, 7)
    apply(w.campaign)
    with CaptureQueriesContext(connection) as q:
        office.get(f"/campaigns/{w.campaign.pk}/overview/?org={tree.root.pk}")
    assert len(q) == counts[0] and max(counts) - min(counts) <= 2


def test_started_and_not_started_follow_the_clock(tree, w, office_user, frozen):
    url = f"/api/v1/campaigns/{w.campaign.pk}/overview?org={tree.root.pk}"
    frozen(w.b1.starts_on - dt.timedelta(days=1))
    before = api_client(office_user).get(url).json()
    frozen(w.b2.ends_on)
    after = api_client(office_user).get(url).json()
    assert before["started"] == 0 and before["participating"] == Participation.objects.count()
    assert after["started"] == after["participating"] and after["not_started"] == 0
    assert {c["org_code"] for c in after["children"]} == {tree.pref_a.code, tree.pref_b.code}


def test_a_county_sees_its_subtree_only(tree, w, county_user):
    county = login_client(county_user)
    own = county.get(f"/campaigns/{w.campaign.pk}/overview/")
    assert own.status_code == 200 and "中共新城区委员会" in own.content.decode()
    assert "中共包头市委员会" not in own.content.decode()
    other = county.get(f"/campaigns/{w.campaign.pk}/overview/?org={tree.pref_b.pk}")
    assert other.status_code == 404
    api = api_client(county_user).get(
        f"/api/v1/campaigns/{w.campaign.pk}/overview?org={tree.root.pk}"
    )
    assert api.status_code == 404
    lst = county.get(f"/campaigns/{w.campaign.pk}/overview/not_started/?org={tree.county_b1.pk}")
    assert lst.status_code == 404


def test_the_not_started_list_is_paged_by_path_and_exported(
    tree, w, office_user, frozen, monkeypatch
):
    from massline.campaigns import overview as ov

    monkeypatch.setattr(ov, "LIST_PAGE", 2)
    frozen(w.b1.starts_on)
    office = login_client(office_user)
    url = f"/campaigns/{w.campaign.pk}/overview/not_started/?org={tree.root.pk}"
    first = office.get(url)
    seen = first.context["rows"]
    after = first.context["after"]
    while after:
        page = office.get(f"{url}&after={after}")
        seen += page.context["rows"]
        after = page.context["after"]
    expected = Participation.objects.filter(campaign=w.campaign, starts_on__gt=w.b1.starts_on)
    assert [r.org_id for r in seen] == list(
        expected.order_by("org_path").values_list("org_id", flat=True)
    )
    response = office.post(
        f"/campaigns/{w.campaign.pk}/overview/not_started/export/", {"org": tree.root.pk}
    )
    assert response.status_code == 302 and "/jobs/" in response["Location"]
    job = Job.objects.get(kind="campaigns.list_export")
    assert job.status == "done" and job.result["count"] == expected.count()
    book = openpyxl.load_workbook(jobs.folder(job) / "organizations.xlsx", read_only=True)
    names = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert names == [r.org.name for r in seen]
    assert AuditEvent.objects.filter(action="campaigns.list_export").count() == 1


def test_the_overview_is_in_the_openapi_document(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/campaigns/{campaign_id}/overview"]


def test_the_workbench_shows_campaign_progress_by_level(tree, w, office_user, frozen):
    frozen(w.b1.starts_on)
    office = login_client(office_user)
    page = office.get("/").content.decode()
    assert (
        'data-testid="campaign-progress"' in page and f"campaign-progress-{w.campaign.pk}" in page
    )


def test_the_overview_counts_its_own_campaigns_actions_done_and_late(acts, office_user, frozen):
    from massline.campaigns import action_services

    from .action_fixtures import window

    t, c = acts.tree, acts.campaign
    start = window(c, t.village_a1).starts_on
    frozen(start + dt.timedelta(days=8))  # after the study's due day: late
    action_services.completion_record(
        actor=None, campaign=c, org=t.village_a1, action_id=acts.study.pk, text="已学习",
        today=start + dt.timedelta(days=8),
    )  # fmt: skip
    api, office = api_client(office_user), login_client(office_user)
    # when
    root = api.get(f"/api/v1/campaigns/{c.pk}/overview").json()
    other = api.get(f"/api/v1/campaigns/{c.pk}/overview?org={t.pref_b.pk}").json()
    page = office.get(f"/campaigns/{c.pk}/overview/?org={t.county_a1.pk}").content.decode()
    # then
    assert (root["actions_done"], root["actions_late"]) == (1, 1)
    assert (other["actions_done"], other["actions_late"]) == (0, 0)
    assert "1 项，其中逾期完成 1 项" in page
