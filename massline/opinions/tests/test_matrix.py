"""The access matrix of staff entry (opinions.enter at the organization): every role against
the same organization, a descendant, a sibling and an ancestor, and outside its period.
Expected answers come from the tables below, never from the policy code. Every assignment
sits at county_a1 (新城区)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from massline.access.models import Role
from massline.conftest import api_client
from massline.core.models import AuditEvent
from massline.opinions.models import BoxClosure, Forum, Opinion

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
ENTER = {
    "system_admin/all": (201, 201, 201, 201, 404, 404),
    "campaign_office/subtree": (201, 201, 404, 404, 404, 404),
    "org_admin/subtree": (201, 201, 404, 404, 404, 404),
    "org_admin/this_org": (201, 404, 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404, 404),
}
# reading the categories: opinions.view
VIEW = {
    "system_admin/all": (200, 200, 200, 200, 404, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404, 404, 404),
    "supervisor/custom": (200, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404, 404),
}

# closing a box: opinions.dispatch (the campaign office)
DISPATCH = {
    "system_admin/all": (200, 200, 200, 200, 404, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/subtree": (403, 403, 404, 404, 404, 404),
    "org_admin/this_org": (403, 404, 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404, 404),
}

ENDPOINTS = {
    "entry": ("POST", "/api/v1/opinions/entries", {"channel": "visit", "text": "意见"}, ENTER),
    "forum": ("POST", "/api/v1/opinions/forums", {"held_on": "today"}, ENTER),
    "categories": ("GET", "/api/v1/opinions/categories?org={id}", None, VIEW),
    "close_box": ("POST", "/api/v1/opinions/boxes/{id}/close", {"reason": "撤并"}, DISPATCH),
}


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def periods(name: str) -> dict[str, Any]:
    return {
        "": {},
        "expired": {"valid_from": days(-60), "valid_to": days(-1)},
        "future": {"valid_from": days(1), "valid_to": days(60)},
    }[name]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_access_matrix(tree, make_user, roles, case, relation, endpoint):
    # given
    target_key, period = RELATIONS[relation]
    target = getattr(tree, target_key)
    role, scope, custom = CASES[case]
    if role not in roles:
        roles[role] = Role.objects.create(code=role, name=role, permissions=["orgs.view"])
    user = make_user(
        role, tree.county_a1, scope, custom=[getattr(tree, k) for k in custom], **periods(period)
    )
    method, url, body, table = ENDPOINTS[endpoint]
    expected = table[case][list(RELATIONS).index(relation)]
    client = api_client(user)
    # when
    if method == "POST":
        url = url.format(id=target.pk)
        payload = {"org": target.pk, **(body or {})}
        if payload.get("held_on") == "today":
            payload["held_on"] = timezone.localdate().isoformat()
        response = client.post(url, payload, content_type="application/json")
    else:
        response = client.get(url.format(id=target.pk))
    # then
    assert response.status_code == expected, response.content[:300]
    written = Opinion.objects.count() + Forum.objects.count() + BoxClosure.objects.count()
    audits = AuditEvent.objects.filter(action__startswith="opinions.").count()
    assert written == audits == (1 if expected in (200, 201) and method == "POST" else 0)
    if expected in (403, 404):
        assert target.name not in response.content.decode()
