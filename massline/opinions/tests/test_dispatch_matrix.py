"""The dispatch's access matrix over pages and API: every role against an opinion of the same
organization, a descendant, a sibling and an ancestor, and outside its period; query counts
that do not grow with the tree.

Expected answers come from the explicit tables below, never from the policy code. Every
assignment sits at county_a1 (新城区)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from massline.access.models import Role
from massline.conftest import api_client, login_client, make_org
from massline.core.models import AuditEvent
from massline.opinions.models import Opinion, OpinionStep

from .dispatch_fixtures import make_opinion

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
# Reading an opinion addressed to the organization (opinions.view there).
VIEW = {
    "system_admin/all": (200, 200, 200, 200, 404, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404, 404, 404),
    "supervisor/custom": (200, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (404, 404, 404, 404, 404, 404),
}
# The organization's inbox: the organization seen (orgs.view) without opinions.view is 403.
INBOX = {
    "system_admin/all": (200, 200, 200, 200, 404, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404, 404, 404),
    "supervisor/custom": (200, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404, 404),
}
# Dispatching it to that same organization (opinions.dispatch there); ok = 302 page, 200 API.
DISPATCH = {
    "system_admin/all": ("ok", "ok", "ok", "ok", 404, 404),
    "campaign_office/subtree": ("ok", "ok", 404, 404, 404, 404),
    "org_admin/subtree": (403, 403, 404, 404, 404, 404),
    "org_admin/this_org": (403, 404, 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (404, 404, 404, 404, 404, 404),
}
# Returning an opinion addressed elsewhere (county_b1) and dispatched to the organization
# (opinions.handle at the lead; seen through the lead side).
RETURN = {
    "system_admin/all": ("ok", "ok", "ok", "ok", 404, 404),
    "campaign_office/subtree": ("ok", "ok", 404, 404, 404, 404),
    "org_admin/subtree": ("ok", "ok", 404, 404, 404, 404),
    "org_admin/this_org": ("ok", 404, 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (404, 404, 404, 404, 404, 404),
}

ENDPOINTS = {
    "page": ("GET", "/opinions/{o}/", False, VIEW, False),
    "api": ("GET", "/api/v1/opinions/{o}", True, VIEW, False),
    "inbox_page": ("GET", "/opinions/orgs/{id}/", False, INBOX, False),
    "inbox_api": ("GET", "/api/v1/opinions?org={id}", True, INBOX, False),
    "dispatch_page": ("POST", "/opinions/{o}/dispatch/", False, DISPATCH, False),
    "dispatch_api": ("POST", "/api/v1/opinions/{o}/dispatch", True, DISPATCH, False),
    "return_page": ("POST", "/opinions/{o}/return/", False, RETURN, True),
    "return_api": ("POST", "/api/v1/opinions/{o}/return", True, RETURN, True),
    # the statistics follow the inbox: counts, never an opinion's text
    "stats_page": ("GET", "/opinions/orgs/{id}/stats/", False, INBOX, False),
    "stats_api": ("GET", "/api/v1/opinions/stats?org={id}", True, INBOX, False),
}
STATS = ("stats_page", "stats_api")


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def periods(name: str) -> dict[str, Any]:
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
        role, tree.county_a1, scope, custom=[getattr(tree, k) for k in custom], **periods(period)
    )


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_access_matrix(tree, make_user, roles, case, relation, endpoint):
    # given an opinion at the target (or dispatched to it), and a user at county_a1
    target_key, period = RELATIONS[relation]
    target = getattr(tree, target_key)
    method, url, is_api, table, to_lead = ENDPOINTS[endpoint]
    if to_lead:
        o = make_opinion(
            tree.county_b1, text="外地转来的意见", status="dispatched", lead_org=target
        )
    else:
        o = make_opinion(target, text="测试意见内容")
    user = _user(tree, make_user, roles, case, period)
    expected = table[case][list(RELATIONS).index(relation)]
    if expected == "ok":
        expected = 200 if is_api or method == "GET" else 302
    client = api_client(user) if is_api else login_client(user)
    steps = OpinionStep.objects.count()
    audits = AuditEvent.objects.filter(action__startswith="opinions.").count()
    # when
    address = url.format(o=o.pk, id=target.pk)
    if method == "GET":
        response = client.get(address)
    else:
        data = {"status": o.status, "lead_org": target.pk, "note": "不属于我们", "confirmed": "1"}
        response = (
            client.post(
                address, json.dumps({**data, "confirmed": None}), content_type="application/json"
            )
            if is_api
            else client.post(address, data)
        )
    # then
    assert response.status_code == expected, response.content[:300]
    body = response.content.decode()
    if is_api:
        body = json.dumps(response.json(), ensure_ascii=False)
    if expected == 200 and endpoint in STATS:
        assert target.name in body and o.text not in body
        if is_api:
            assert response.json()["totals"]["total"] == 1
    elif expected == 200 and method == "GET":
        assert o.text in body
    if expected in (403, 404):
        assert o.text not in body
        assert OpinionStep.objects.count() == steps
        assert AuditEvent.objects.filter(action__startswith="opinions.").count() == audits
        assert Opinion.objects.get(pk=o.pk).status == o.status
    if method == "POST" and expected in (200, 302):
        assert OpinionStep.objects.count() == steps + 1


# --- query counts ------------------------------------------------------------------------


def _grow(tree, n: int) -> None:
    """n more towns under county_a1, each with a village and an opinion at the village."""
    for i in range(n):
        town = make_org(tree.county_a1, f"150102{300 + i:03d}000", f"中共测试{i}镇委员会")
        village = make_org(town, f"150102{300 + i:03d}201", f"中共测试{i}村支部委员会")
        make_opinion(village, status="dispatched", lead_org=town)


VIEWS = {
    "inbox_page": "/opinions/orgs/{org}/",
    "inbox_api": "/api/v1/opinions?org={org}",
    "detail_page": "/opinions/{o}/",
    "detail_api": "/api/v1/opinions/{o}",
    "triage_page": "/opinions/orgs/{org}/triage/",
    "stats_page": "/opinions/orgs/{org}/stats/",
    "stats_api": "/api/v1/opinions/stats?org={org}",
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize(
    ("role", "org", "scope"),
    [
        ("system_admin", "root", "all"),
        ("campaign_office", "pref_a", "subtree"),
        ("org_admin", "county_a1", "this_org"),
    ],
)
def test_pages_take_a_fixed_number_of_queries(tree, make_user, role, org, scope, view):
    user = make_user(role, getattr(tree, org), scope)
    o = make_opinion(tree.county_a1, status="dispatched", lead_org=tree.town_a1)
    url = VIEWS[view].format(org=tree.county_a1.pk, o=o.pk)
    is_api = url.startswith("/api/")
    client = api_client(user) if is_api else login_client(user)
    client.get(url)  # the first call of a token records its use
    counts = []
    for extra in (0, 30):
        _grow(tree, extra)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code in (200, 403), response.content[:200]
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 16, counts
