"""The access matrix of editing an organization, through the page and the API: every role
against the same organization, a descendant, a sibling and an ancestor, and outside its
period; for a change only the level above may make (the name) and one the organization's own
administrators may make too (the area type).

Expected answers come from the explicit tables below, never from the policy code. Every
assignment sits at county_a1 (新城区), like access/tests/test_matrix.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from massline.access.models import Role
from massline.conftest import api_client, login_client
from massline.orgs.models import Organization

# case: (role, scope, custom list). "orgs_viewer" is made in the test: orgs.view only.
CASES = {
    "system_admin/all": ("system_admin", "all", []),
    "campaign_office/subtree": ("campaign_office", "subtree", []),
    "org_admin/subtree": ("org_admin", "subtree", []),
    "org_admin/this_org": ("org_admin", "this_org", []),
    "supervisor/custom": ("supervisor", "custom", ["county_a1", "branch_b1"]),
    "member/self": ("member", "self", []),
    "orgs_viewer/subtree": ("orgs_viewer", "subtree", []),
}

# relation: the organization edited, and the assignment's period ("" = current).
RELATIONS = {
    "same": ("county_a1", ""),
    "descendant": ("town_a1", ""),
    "sibling": ("county_a2", ""),
    "ancestor": ("pref_a", ""),
    "expired": ("county_a1", "expired"),
}

# Outcomes: "ok" saved; "own" refused as the organization's own change (the form again with
# the error on the field; the API's 403 naming it); 403 and 404 as anywhere else.
#                          same   desc   sib  anc  expired
RENAME = {
    "system_admin/all": ("ok", "ok", "ok", "ok", 404),
    "campaign_office/subtree": ("own", "ok", 404, 404, 404),
    "org_admin/subtree": ("own", "ok", 404, 404, 404),
    "org_admin/this_org": ("own", 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404),
}
AREA_TYPE = {
    "system_admin/all": ("ok", "ok", "ok", "ok", 404),
    "campaign_office/subtree": ("ok", "ok", 404, 404, 404),
    "org_admin/subtree": ("ok", "ok", 404, 404, 404),
    "org_admin/this_org": ("ok", 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404),
}

# change: (field, new value from the organization, table)
CHANGES = {
    "rename": ("name", lambda org: f"{org.name}（更名）", RENAME),
    "area_type": ("area_type", lambda org: "pastoral", AREA_TYPE),
}

# How each outcome looks: the page's status, the API's.
STATUS = {
    "ok": {"page": 302, "api": 200},
    "own": {"page": 200, "api": 403},
    403: {"page": 403, "api": 403},
    404: {"page": 404, "api": 404},
}


def periods(name: str) -> dict[str, Any]:
    """An assignment's period by name, reckoned when the test runs: computed at import,
    a day boundary between collecting and running made "future" valid already."""
    return {
        "": {},
        "expired": {
            "valid_from": timezone.localdate() - timedelta(days=60),
            "valid_to": timezone.localdate() - timedelta(days=1),
        },
    }[name]


def _case_user(tree, make_user, roles, case: str, period: str):
    role, scope, custom = CASES[case]
    if role not in roles:
        roles[role] = Role.objects.create(code=role, name=role, permissions=["orgs.view"])
    return make_user(
        role, tree.county_a1, scope, custom=[getattr(tree, k) for k in custom], **periods(period)
    )


def _send(client, endpoint: str, org: Organization, field: str, value: str):
    if endpoint == "api":
        return client.patch(
            f"/api/v1/orgs/{org.pk}", {field: value}, content_type="application/json"
        )
    data = {
        "name": org.name,
        "kind": org.kind,
        "unit_type": org.unit_type,
        "area_type": org.area_type,
        field: value,
    }
    return client.post(f"/orgs/{org.pk}/edit/", data)


@pytest.mark.parametrize("endpoint", ["page", "api"])
@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_edit_access_matrix(tree, make_user, roles, case, relation, change, endpoint):
    # given
    target_key, period = RELATIONS[relation]
    target = getattr(tree, target_key)
    field, new_value, table = CHANGES[change]
    value = new_value(target)
    outcome = table[case][list(RELATIONS).index(relation)]
    user = _case_user(tree, make_user, roles, case, period)
    client = api_client(user) if endpoint == "api" else login_client(user)
    # when
    response = _send(client, endpoint, target, field, value)
    # then
    assert response.status_code == STATUS[outcome][endpoint], response.content[:300]
    stored = getattr(Organization.objects.get(pk=target.pk), field)
    assert (stored == value) is (outcome == "ok")
    if outcome == "own" and endpoint == "api":
        assert response.json() == {
            "code": "forbidden",
            "field": field,
            "message": f"{target.name}的名称由上级党组织修改，本组织的管理员不能修改。",
        }
    if outcome == "own" and endpoint == "page":
        assert "由上级党组织修改，本组织的管理员不能修改" in response.content.decode()
    if outcome == 404:
        assert target.name not in response.content.decode()


def test_the_edit_matrix_covers_every_answer():
    # given / when
    outcomes = {o for table in (RENAME, AREA_TYPE) for row in table.values() for o in row}
    # then
    assert outcomes == {"ok", "own", 403, 404}
