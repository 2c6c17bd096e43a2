"""The opinion statistics (decision 0021, "Statistics"): the figures of an organization's
subtree and of each child from the counters, on the page (charts and tables) and in the API,
in a fixed number of queries whatever the tree."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from massline.conftest import api_client, login_client, make_org
from massline.opinions.dispatch_services import opinion_act
from massline.opinions.models import OpinionCategory
from massline.opinions.stats import CHILD_LIMIT, stats

from .dispatch_fixtures import make_opinion


@pytest.fixture
def office(tree, make_user):
    return make_user("campaign_office", tree.county_a1, "subtree")


@pytest.fixture
def filled(tree, office):
    """At county_a1 and below: four opinions (one named, one by a forum, one overdue, one
    merged), two categories, one with a title needing escaping."""
    roads = OpinionCategory.objects.create(
        source="local",
        code="roads",
        title="道路<b>",
        org=tree.county_a1,
        org_path=tree.county_a1.path,
    )
    water = OpinionCategory.objects.create(
        source="local", code="water", title="饮水", org=tree.county_a1, org_path=tree.county_a1.path
    )
    make_opinion(tree.village_a1, category=roads)
    make_opinion(tree.village_a1, category=roads, anonymous=False, channel="forum")
    make_opinion(
        tree.town_a1, category=water, status="dispatched", lead_org=tree.town_a1, overdue=True
    )
    merged = make_opinion(tree.county_a1)
    target = make_opinion(tree.county_a1, text="另一条意见")
    opinion_act(actor=office, opinion=merged, action="merge", into=target)
    return roads, water


def test_the_figures_of_a_subtree_and_its_children(tree, filled):
    roads, water = filled
    s = stats(tree.county_a1)
    assert (s.totals.total, s.totals.open, s.totals.overdue, s.totals.anonymous) == (5, 4, 1, 4)
    assert s.totals.anonymous_percent == "80%"
    status = {p.key: p.count for p in s.by_status}
    assert (status["received"], status["dispatched"], status["merged"]) == (3, 1, 1)
    assert sum(status.values()) == 5
    channel = {p.key: p.count for p in s.by_channel}
    assert (channel["box"], channel["forum"]) == (4, 1)
    assert [(p.key, p.label, p.count) for p in s.by_category] == [
        (str(roads.pk), "道路<b>", 2),
        (str(water.pk), "饮水", 1),
    ]
    assert [(c.org, c.totals.total, c.totals.open, c.totals.overdue) for c in s.children] == [
        (tree.town_a1, 3, 3, 1)
    ]
    assert not s.more_children


def test_an_organization_without_opinions_has_zeros(tree):
    s = stats(tree.pref_b)
    assert (s.totals.total, s.totals.anonymous_percent, s.by_category) == (0, "—", [])
    assert all(p.count == 0 for p in s.by_status + s.by_channel)


def test_the_page_shows_charts_and_tables(tree, filled, office):
    response = login_client(office).get(f"/opinions/orgs/{tree.county_a1.pk}/stats/")
    assert response.status_code == 200
    page = response.content.decode()
    for key in ("status", "channel", "category"):
        assert f'data-testid="stats-{key}"' in page
        assert f'data-option="chart-{key}"' in page
        assert f'id="chart-{key}"' in page  # the option, as JSON (json_script)
    assert "vendor/echarts/echarts.min.js" in page and "js/charts.js" in page
    assert "意见统计" in page and "按分类" in page and "按办理状态" in page and "按渠道" in page
    assert "道路&lt;b&gt;" in page and "道路<b>" not in page.split("<script")[0]
    assert "80%" in page
    assert 'class="ml-chart" data-option="chart-category"' in page  # two bars: the usual size
    assert f'href="/opinions/orgs/{tree.town_a1.pk}/stats/"' in page
    # the option's JSON names the category; its text is in a script element, so escaped there
    option = page.split('id="chart-category" type="application/json">')[1].split("</script>")[0]
    assert json.loads(option)["series"][0]["data"] == [1, 2]  # horizontal: the largest on top


def test_a_category_chart_is_left_out_when_no_opinion_has_a_category(tree, office):
    make_opinion(tree.village_a1)
    page = login_client(office).get(f"/opinions/orgs/{tree.county_a1.pk}/stats/").content.decode()
    assert 'data-option="chart-status"' in page
    assert 'data-option="chart-category"' not in page
    assert "尚无已分类的意见" in page


def test_children_out_of_view_are_listed_without_a_link(tree, make_user):
    # an administrator of county_a1 alone sees its figures, its town's not
    admin = make_user("org_admin", tree.county_a1, "this_org")
    make_opinion(tree.village_a1)
    page = login_client(admin).get(f"/opinions/orgs/{tree.county_a1.pk}/stats/").content.decode()
    assert tree.town_a1.name in page
    assert f"/opinions/orgs/{tree.town_a1.pk}/stats/" not in page
    assert 'data-testid="up-link"' not in page


def test_the_link_one_level_up_when_the_parent_is_in_view(tree, make_user):
    user = make_user("campaign_office", tree.pref_a, "subtree")
    page = login_client(user).get(f"/opinions/orgs/{tree.county_a1.pk}/stats/").content.decode()
    assert f'href="/opinions/orgs/{tree.pref_a.pk}/stats/"' in page


def test_the_inbox_links_to_the_statistics(tree, office):
    page = login_client(office).get(f"/opinions/orgs/{tree.county_a1.pk}/").content.decode()
    assert f'href="/opinions/orgs/{tree.county_a1.pk}/stats/" data-testid="stats-link"' in page


def test_the_page_needs_a_login(tree):
    from django.test import Client

    response = Client().get(f"/opinions/orgs/{tree.county_a1.pk}/stats/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_unknown_organization_is_not_found(tree, office):
    assert login_client(office).get("/opinions/orgs/999999/stats/").status_code == 404


def test_the_api_answers_the_same_figures(tree, filled, office):
    roads, water = filled
    response = api_client(office).get(f"/api/v1/opinions/stats?org={tree.county_a1.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["org"], body["code"], body["name"]) == (
        tree.county_a1.pk,
        tree.county_a1.code,
        tree.county_a1.name,
    )
    assert body["totals"] == {"total": 5, "open": 4, "overdue": 1, "anonymous": 4}
    assert body["by_category"] == [
        {"key": str(roads.pk), "label": "道路<b>", "count": 2},
        {"key": str(water.pk), "label": "饮水", "count": 1},
    ]
    assert {p["key"]: p["count"] for p in body["by_channel"]}["forum"] == 1
    assert {p["key"] for p in body["by_status"]} >= {"received", "merged", "closed"}
    assert body["children"] == [
        {
            "id": tree.town_a1.pk,
            "code": tree.town_a1.code,
            "name": tree.town_a1.name,
            "totals": {"total": 3, "open": 3, "overdue": 1, "anonymous": 2},
        }
    ]
    assert body["more_children"] is False


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 422),
        ("?org=", 422),
        ("?org=abc", 422),
        ("?org=0", 422),
        ("?org=-1", 422),
        (f"?org={2**63}", 422),
        ("?org=999999", 404),
    ],
)
def test_bad_org_in_the_api(tree, office, query, status):
    assert api_client(office).get(f"/api/v1/opinions/stats{query}").status_code == status


def test_the_api_needs_a_token(tree):
    from django.test import Client

    assert Client().get(f"/api/v1/opinions/stats?org={tree.root.pk}").status_code == 401


def test_the_api_is_in_the_openapi_document(tree, office):
    schema = api_client(office).get("/api/v1/openapi.json").json()
    answers = schema["paths"]["/api/v1/opinions/stats"]["get"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(answers)


def test_more_children_than_the_limit_are_cut(tree, monkeypatch):
    from massline.opinions import stats as stats_module

    monkeypatch.setattr(stats_module, "CHILD_LIMIT", 1)
    make_org(tree.county_a1, "150102109000", "中共另一镇委员会")
    s = stats_module.stats(tree.county_a1)
    assert len(s.children) == 1 and s.more_children
    assert CHILD_LIMIT == 300


def _grow(tree, n: int, cats: list[OpinionCategory]) -> None:
    """n more towns under county_a1, each with a village and an opinion there in a new
    category."""
    for i in range(len(cats), len(cats) + n):
        town = make_org(tree.county_a1, f"150102{300 + i:03d}000", f"中共测试{i}镇委员会")
        village = make_org(town, f"150102{300 + i:03d}201", f"中共测试{i}村支部委员会")
        cat = OpinionCategory.objects.create(source="local", code=f"c{i}", title=f"分类{i}")
        cats.append(cat)
        make_opinion(village, category=cat, status="dispatched", lead_org=town, overdue=True)


@pytest.mark.parametrize("url", ["/opinions/orgs/{org}/stats/", "/api/v1/opinions/stats?org={org}"])
def test_the_statistics_take_a_fixed_number_of_queries(tree, make_user, url):
    user = make_user("system_admin", tree.root, "all")
    address = url.format(org=tree.root.pk)
    client = api_client(user) if address.startswith("/api/") else login_client(user)
    cats: list[OpinionCategory] = []
    _grow(tree, 1, cats)
    client.get(address)  # the first call of a token records its use
    counts = []
    for extra in (0, 40):
        _grow(tree, extra, cats)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(address)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12, counts
    body = response.content.decode("unicode_escape" if "/api/" in address else "utf-8")
    assert "分类40" in body
    if "/api/" not in address:  # 41 categories: the chart is given the room for its bars
        assert 'class="ml-chart ml-chart-taller" data-option="chart-category"' in body
