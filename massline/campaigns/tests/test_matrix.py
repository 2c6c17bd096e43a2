"""The campaigns' access matrix over pages and API: every role against the same organization,
a descendant, a sibling and an ancestor, and outside its period; what the lists show; query
counts that do not grow with the tree.

Expected answers come from the explicit tables below, never from the policy code. Every
assignment sits at county_a1 (新城区); the campaign runs at the root (the province)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from massline.access.models import Role
from massline.campaigns.models import Participation
from massline.conftest import api_client, login_client, make_org
from massline.core.models import AuditEvent

CASES = {
    "system_admin/all": ("system_admin", "all", []),
    "campaign_office/subtree": ("campaign_office", "subtree", []),
    "org_admin/subtree": ("org_admin", "subtree", []),
    "org_admin/this_org": ("org_admin", "this_org", []),
    "supervisor/custom": ("supervisor", "custom", ["county_a1", "branch_b1"]),
    "member/self": ("member", "self", []),
    "orgs_viewer/subtree": ("orgs_viewer", "subtree", []),
}

RELATIONS = {
    "same": ("county_a1", ""),
    "descendant": ("town_a1", ""),
    "sibling": ("county_a2", ""),
    "ancestor": ("pref_a", ""),
    "expired": ("county_a1", "expired"),
    "not_yet_valid": ("county_a1", "future"),
}

#                              same desc  sib  anc  expired future
VIEW = {
    "system_admin/all": (200, 200, 200, 200, 404, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404, 404, 404),
    "supervisor/custom": (200, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404, 404),
}
# Moving a phase: campaigns.manage at the organization (302 back to its page, with the
# service's answer as a message).
MANAGE = {
    "system_admin/all": (302, 302, 302, 302, 404, 404),
    "campaign_office/subtree": (302, 302, 404, 404, 404, 404),
    "org_admin/subtree": (403, 403, 404, 404, 404, 404),
    "org_admin/this_org": (403, 404, 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404, 404),
}

ENDPOINTS = {
    "org_page": ("GET", "/campaigns/{c}/orgs/{id}/", False, VIEW),
    "api_schedule": ("GET", "/api/v1/campaigns/{c}/schedule?org={id}", True, VIEW),
    "advance": ("POST", "/campaigns/{c}/orgs/{id}/advance/", False, MANAGE),
}


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def periods(name: str) -> dict[str, Any]:
    """An assignment's period by name, reckoned when the test runs: computed at import,
    a day boundary between collecting and running made "future" valid already."""
    return {
        "": {},
        "expired": {"valid_from": days(-60), "valid_to": days(-1)},
        "future": {"valid_from": days(1), "valid_to": days(60)},
    }[name]


def _user(tree, make_user, roles, case: str, period: str = ""):
    role, scope, custom = CASES[case]
    if role not in roles:
        roles[role] = Role.objects.create(code=role, name=role, permissions=["orgs.view"])
    return make_user(
        role,
        tree.county_a1,
        scope,
        custom=[getattr(tree, key) for key in custom],
        **periods(period),
    )


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_access_matrix(tree, campaign, make_user, roles, case, relation, endpoint):
    # given
    target_key, period = RELATIONS[relation]
    target = getattr(tree, target_key)
    user = _user(tree, make_user, roles, case, period)
    method, url, is_api, table = ENDPOINTS[endpoint]
    expected = table[case][list(RELATIONS).index(relation)]
    client = api_client(user) if is_api else login_client(user)
    before = list(Participation.objects.order_by("pk").values_list("phase", "starts_on"))
    audits = AuditEvent.objects.filter(action__startswith="campaigns.").count()
    # when
    address = url.format(c=campaign.pk, id=target.pk)
    response = client.post(address) if method == "POST" else client.get(address)
    # then
    assert response.status_code == expected, response.content[:300]
    if expected == 200 and endpoint == "org_page":
        assert target.name in response.content.decode()
    if expected == 200 and endpoint == "api_schedule":
        assert response.json()["org_code"] == target.code
        assert response.json()["window"] is not None
    if expected in (403, 404):
        assert target.name not in response.content.decode()
    # a campaign without phases moves nothing, whoever asks
    assert list(Participation.objects.order_by("pk").values_list("phase", "starts_on")) == before
    assert AuditEvent.objects.filter(action__startswith="campaigns.").count() == audits


# case -> does the campaign (at the root, above every assignment) show in the lists?
LISTED = {
    "system_admin/all": True,
    "campaign_office/subtree": True,
    "org_admin/subtree": True,
    "org_admin/this_org": True,
    "supervisor/custom": True,
    "member/self": False,
    "orgs_viewer/subtree": False,
}


@pytest.mark.parametrize("case", list(CASES))
def test_lists_show_the_campaigns_covering_the_users_organizations(
    tree, campaign, make_user, roles, case
):
    # given
    user = _user(tree, make_user, roles, case)
    # when
    api = api_client(user).get("/api/v1/campaigns")
    page = login_client(user).get("/campaigns/")
    one = api_client(user).get(f"/api/v1/campaigns/{campaign.pk}")
    # then
    assert api.status_code == 200
    assert ([c["id"] for c in api.json()] == [campaign.pk]) is LISTED[case]
    assert page.status_code == (200 if LISTED[case] else 403)
    assert (escape(campaign.title) in page.content.decode()) is LISTED[case]
    assert one.status_code == (200 if LISTED[case] else 404)


def test_a_campaign_in_a_sibling_subtree_is_not_seen(tree, make_user):
    # given: a campaign at the sibling county, and an administrator of county_a1
    from .conftest import apply, make_campaign

    other = make_campaign(tree, org=tree.county_a2)
    apply(other)
    user = make_user("org_admin", tree.county_a1, "subtree")
    # when / then
    assert api_client(user).get("/api/v1/campaigns").json() == []
    assert api_client(user).get(f"/api/v1/campaigns/{other.pk}").status_code == 404
    assert login_client(user).get(f"/campaigns/{other.pk}/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/campaigns/{c}/schedule/",
        "/campaigns/{c}/override/",
        "/campaigns/{c}/batches/new/",
    ],
)
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("system_admin/all", 200),
        ("campaign_office/subtree", 403),  # manages county_a1, not the province's campaign
        ("org_admin/subtree", 403),
        ("member/self", 404),
    ],
)
def test_managing_a_campaign_is_its_own_organizations(
    tree, campaign, make_user, roles, url, case, expected
):
    user = _user(tree, make_user, roles, case)
    response = login_client(user).get(url.format(c=campaign.pk))
    assert response.status_code == expected


@pytest.mark.parametrize("url", ["/campaigns/", "/campaigns/{c}/", "/campaigns/{c}/orgs/{id}/"])
def test_anonymous_pages_redirect_to_login(tree, campaign, url):
    response = Client().get(url.format(c=campaign.pk, id=tree.county_a1.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "url", ["/api/v1/campaigns", "/api/v1/campaigns/{c}", "/api/v1/campaigns/{c}/schedule?org=1"]
)
def test_anonymous_api_calls_get_401(tree, campaign, url):
    assert Client().get(url.format(c=campaign.pk)).status_code == 401


# --- query counts ------------------------------------------------------------------------


def _grow(tree, campaign, n: int) -> None:
    """n more towns under county_a1, each with a village, scheduled."""
    from .conftest import apply

    for i in range(n):
        town = make_org(tree.county_a1, f"150102{300 + i:03d}000", f"中共测试{i}镇委员会")
        make_org(town, f"150102{300 + i:03d}201", f"中共测试{i}村支部委员会")
    apply(campaign)


QUERY_BUDGET = {
    "list_page": ("/campaigns/", 7),
    "campaign_page": ("/campaigns/{c}/", 14),
    "org_page": ("/campaigns/{c}/orgs/{id}/", 9),
    "api_list": ("/api/v1/campaigns", 6),
    "api_campaign": ("/api/v1/campaigns/{c}", 8),
    "api_schedule": ("/api/v1/campaigns/{c}/schedule?org={id}", 10),  # + checklist: 2
}


@pytest.mark.parametrize("extra", [0, 30])
@pytest.mark.parametrize("view", list(QUERY_BUDGET))
@pytest.mark.parametrize(
    ("role", "org", "scope"),
    [
        ("system_admin", "root", "all"),
        ("campaign_office", "pref_a", "subtree"),
        ("org_admin", "county_a1", "this_org"),
    ],
)
def test_pages_take_a_fixed_number_of_queries(
    tree, campaign, make_user, django_assert_max_num_queries, role, org, scope, view, extra
):
    # given
    _grow(tree, campaign, extra)
    user = make_user(role, getattr(tree, org), scope)
    url, budget = QUERY_BUDGET[view]
    is_api = url.startswith("/api/")
    client = api_client(user) if is_api else login_client(user)
    if is_api:
        client.get("/api/v1/campaigns")  # the token's first use records it
    # when
    with django_assert_max_num_queries(budget):
        response = client.get(url.format(c=campaign.pk, id=tree.county_a1.pk))
    # then
    assert response.status_code == 200
