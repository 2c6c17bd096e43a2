"""The three rates on the API (/api/v1/orgs/{id}/rates and /rates/children) and on the
dashboard (/rectification/orgs/<id>/rates/): the figures, the k rule, the ranking, access by
role and place, and a fixed number of queries whatever the level."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from massline.access.models import Role
from massline.conftest import api_client, login_client

from .rates_data import a_village_fix, evaluate, responses


@pytest.fixture
def filled(tree):
    evaluate(a_village_fix(tree.village_a1), 6, 4, 2)
    evaluate(a_village_fix(tree.village_a2), 3)
    responses(tree.village_a1, in_time=8, late=2)


@pytest.fixture
def office(tree, make_user):
    return make_user("campaign_office", tree.county_a1)


def test_the_api_gives_the_rates_counts_overdue_and_formulas(tree, filled, office):
    body = api_client(office).get(f"/api/v1/orgs/{tree.village_a1.pk}/rates").json()
    assert body["satisfaction_rate"]["value"] == pytest.approx(8 / 12)
    assert body["satisfaction_rate"]["sample"] == 12
    assert body["response_rate"]["value"] == pytest.approx(0.8)
    assert body["counts"]["evaluations.unsatisfied"] == 2 and body["broken_down"]
    assert body["overdue"] == {"fixes": 0, "opinions": 0}
    assert body["formulas"]["satisfaction_rate"]["denominator"] == [
        {"code": "evaluations.total", "weight": 1.0}
    ]
    assert "0.5 × " in body["formulas"]["satisfaction_rate"]["words"]


def test_below_k_the_api_withholds_and_refuses_a_breakdown(tree, filled, office):
    client = api_client(office)
    body = client.get(f"/api/v1/orgs/{tree.village_a2.pk}/rates").json()
    assert body["counts"]["evaluations.total"] == 3
    assert body["counts"]["evaluations.satisfied"] is None
    assert body["satisfaction_rate"]["value"] is None
    assert body["satisfaction_rate"]["reason"] == "below_k"
    assert body["satisfaction_rate"]["reason_text"] == "评价数不足，不作细分"
    response = client.get(
        f"/api/v1/orgs/{tree.village_a2.pk}/rates?breakdown=true", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "below_k" and "评价数达到 5 条才细分" in error["message"]
    ok = client.get(f"/api/v1/orgs/{tree.village_a1.pk}/rates?breakdown=true")
    assert ok.status_code == 200


def test_the_api_ranks_the_children_with_their_samples(tree, filled, office):
    response = api_client(office).get(
        f"/api/v1/orgs/{tree.town_a1.pk}/rates/children?sort=resolution_rate"
    )
    body = response.json()
    assert [(r["org"], r["rank"]) for r in body["ranked"]] == [(tree.village_a1.pk, 1)]
    assert body["ranked"][0]["resolution_rate"]["sample"] == 12
    assert [r["org"] for r in body["sample_too_small"]] == [tree.village_a2.pk]
    assert body["min_sample"] == 10
    bad = api_client(office).get(f"/api/v1/orgs/{tree.town_a1.pk}/rates/children?sort=speed")
    assert bad.status_code == 422


def test_the_dashboard_shows_gauges_ranking_and_formulas(tree, filled, office):
    page = (
        login_client(office).get(f"/rectification/orgs/{tree.town_a1.pk}/rates/").content.decode()
    )
    assert "三率" in page and "满意率" in page and "响应率" in page and "解决率" in page
    for key in ("response_rate", "resolution_rate", "satisfaction_rate"):
        assert f'data-option="gauge-{key}"' in page
    assert 'data-option="chart-ranking"' in page and "vendor/echarts/echarts.min.js" in page
    assert "样本过少" in page
    assert f'href="/rectification/orgs/{tree.village_a1.pk}/rates/?sort=satisfaction_rate"' in page
    assert f'href="/rectification/orgs/{tree.county_a1.pk}/rates/?sort=satisfaction_rate"' in page
    option = page.split('id="chart-ranking" type="application/json">')[1].split("</script>")[0]
    assert json.loads(option)["series"][0]["data"] == [66.7]  # village_a1 only: 8 of 12


def test_the_dashboard_below_k_and_empty(tree, filled, office):
    page = (
        login_client(office)
        .get(f"/rectification/orgs/{tree.village_a2.pk}/rates/")
        .content.decode()
    )
    assert "评价不足 5 条" in page and 'data-option="gauge-satisfaction_rate"' not in page
    empty = login_client(office).get(f"/rectification/orgs/{tree.county_a1.pk}/rates/?sort=bogus")
    assert empty.status_code == 200


@pytest.mark.parametrize("level", ["root", "county_a1", "village_a1"])
def test_the_page_and_the_api_take_the_same_queries_at_any_level(tree, filled, make_user, level):
    user = make_user("system_admin", tree.root)
    page, api = login_client(user), api_client(user)
    org = getattr(tree, level)
    counts = []
    for client, url in (
        (page, f"/rectification/orgs/{org.pk}/rates/"),
        (api, f"/api/v1/orgs/{org.pk}/rates/children"),
    ):
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        counts.append(len(q.captured_queries))
    assert counts[0] <= 12 and counts[1] <= 10, counts


def _role(code: str, perms: list[str]) -> Role:
    return Role.objects.create(code=code, name=code, permissions=perms)


@pytest.mark.parametrize(
    ("role", "place", "status"),
    [
        ("supervisor", "same", 200),
        ("supervisor", "descendant", 200),
        ("supervisor", "sibling", 404),
        ("supervisor", "ancestor", 404),
        ("supervisor", "expired", 404),
        ("stats_only", "same", 200),
        ("rectification_only", "descendant", 200),
        ("member", "same", 403),
        ("member", "descendant", 403),
    ],
)
def test_access_by_role_and_place(tree, roles, make_user, role, place, status):
    if role == "stats_only":
        _role(role, ["orgs.view", "stats.view"])
    elif role == "rectification_only":
        _role(role, ["orgs.view", "rectification.view"])
    from massline.access.models import Role as R

    roles[role] = R.objects.get(code=role)
    at = {
        "same": tree.county_a1,
        "descendant": tree.pref_a,  # asking below the grant
        "sibling": tree.county_a2,
        "ancestor": tree.town_a1,  # asking above the grant
        "expired": tree.county_a1,
    }[place]
    kw = {}
    if place == "expired":
        kw = {
            "valid_from": dt.date.today() - dt.timedelta(days=60),
            "valid_to": dt.date.today() - dt.timedelta(days=1),
        }
    user = make_user(role, at, **kw)
    target = tree.county_a1.pk
    assert api_client(user).get(f"/api/v1/orgs/{target}/rates").status_code == status
    assert api_client(user).get(f"/api/v1/orgs/{target}/rates/children").status_code == status
    assert login_client(user).get(f"/rectification/orgs/{target}/rates/").status_code == status


def test_the_api_and_the_page_need_a_login(tree):
    assert Client().get(f"/api/v1/orgs/{tree.root.pk}/rates").status_code == 401
    response = Client().get(f"/rectification/orgs/{tree.root.pk}/rates/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_unknown_organization_is_not_found(tree, office):
    assert api_client(office).get("/api/v1/orgs/999999/rates").status_code == 404
    assert login_client(office).get("/rectification/orgs/999999/rates/").status_code == 404
