"""The rectification API's access matrix: every role against a problem or fix of the same
organization, a descendant, a sibling and an ancestor, and outside its period; and query
counts that do not grow with the tree.

Expected answers come from the explicit tables below, never from the policy code. Every
assignment sits at county_a1 (新城区); the level above a fix approves its close-out (the
parent organization's rectification.approve)."""

from __future__ import annotations

import datetime as dt
import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from massline.access.models import Role
from massline.conftest import api_client, make_org
from massline.core.models import AuditEvent
from massline.rectification import workflow
from massline.rectification.fix_services import fix_act
from massline.rectification.models import Fix, FixStep, Problem

from .conftest import a_fix, a_problem

CASES = {
    "system_admin/all": ("system_admin", "all", []),
    "campaign_office/subtree": ("campaign_office", "subtree", []),
    "org_admin/subtree": ("org_admin", "subtree", []),
    "org_admin/this_org": ("org_admin", "this_org", []),
    "supervisor/custom": ("supervisor", "custom", ["county_a1", "branch_b1"]),
    "member/self": ("member", "self", []),
    "orgs_viewer/subtree": ("orgs_viewer", "subtree", []),
    "no role": (None, "", []),
}

RELATIONS = {
    "same": ("county_a1", ""),
    "descendant": ("town_a1", ""),
    "sibling": ("county_a2", ""),
    "ancestor": ("pref_a", ""),
    "expired": ("county_a1", "expired"),
}

#                              same desc  sib  anc  expired
# An organization's lists: the organization seen (orgs.view) without rectification.view: 403.
LIST = {
    "system_admin/all": (200, 200, 200, 200, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404),
    "org_admin/subtree": (200, 200, 404, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404, 404),
    "supervisor/custom": (200, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404),
    "no role": (404, 404, 404, 404, 404),
}
# One problem or fix at the organization, its history (rectification.view on either side).
READ = {
    "system_admin/all": (200, 200, 200, 200, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404),
    "org_admin/subtree": (200, 200, 404, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404, 404),
    "supervisor/custom": (200, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (404, 404, 404, 404, 404),
    "no role": (404, 404, 404, 404, 404),
}
# Recording a problem at the organization, publishing its commitments (rectification.manage).
MANAGE_ORG = {
    "system_admin/all": ("ok", "ok", "ok", "ok", 404),
    "campaign_office/subtree": ("ok", "ok", 404, 404, 404),
    "org_admin/subtree": ("ok", "ok", 404, 404, 404),
    "org_admin/this_org": ("ok", 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404),
    "no role": (404, 404, 404, 404, 404),
}
# Recording a fix of a problem at the organization: a problem out of view is a bad field (400).
NEW_FIX = {
    "system_admin/all": ("ok", "ok", "ok", "ok", 400),
    "campaign_office/subtree": ("ok", "ok", 400, 400, 400),
    "org_admin/subtree": ("ok", "ok", 400, 400, 400),
    "org_admin/this_org": ("ok", 400, 400, 400, 400),
    "supervisor/custom": (403, 400, 400, 400, 400),
    "member/self": (400, 400, 400, 400, 400),
    "orgs_viewer/subtree": (400, 400, 400, 400, 400),
    "no role": (400, 400, 400, 400, 400),
}
# Reporting progress on a fix at the organization (the responsible side).
PROGRESS = {
    "system_admin/all": ("ok", "ok", "ok", "ok", 404),
    "campaign_office/subtree": ("ok", "ok", 404, 404, 404),
    "org_admin/subtree": ("ok", "ok", 404, 404, 404),
    "org_admin/this_org": ("ok", 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (404, 404, 404, 404, 404),
    "no role": (404, 404, 404, 404, 404),
}
# Approving a close-out of a fix at the organization: the level above (its parent) decides, so
# an office at county_a1 approves its towns' and not its own.
APPROVE = {
    "system_admin/all": ("ok", "ok", "ok", "ok", 404),
    "campaign_office/subtree": (403, "ok", 404, 404, 404),
    "org_admin/subtree": (403, "ok", 404, 404, 404),
    "org_admin/this_org": (403, 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (404, 404, 404, 404, 404),
    "no role": (404, 404, 404, 404, 404),
}

B = "/api/v1/rectification"
ENDPOINTS: dict[str, tuple[str, str, Any, dict]] = {
    "problems": ("GET", B + "/problems?org={org}", None, LIST),
    "fixes": ("GET", B + "/fixes?org={org}", None, LIST),
    "problem": ("GET", B + "/problems/{p}", None, READ),
    "fix": ("GET", B + "/fixes/{f}", None, READ),
    "steps": ("GET", B + "/fixes/{f}/steps", None, READ),
    "new_problem": (
        "POST",
        B + "/problems",
        {"source": "supervision", "description": "新问题", "responsible_person": "王"},
        MANAGE_ORG,
    ),
    "new_fix": (
        "POST",
        B + "/fixes",
        {"measure": "新措施", "kind": "ongoing", "responsible_person": "王"},
        NEW_FIX,
    ),
    "progress": ("POST", B + "/fixes/{f}/steps", {"action": "progress", "note": "做了"}, PROGRESS),
    "approve": ("POST", B + "/fixes/{f}/steps", {"action": "approve_close"}, APPROVE),
    "publish": ("POST", B + "/orgs/{org}/commitments/publish", {}, MANAGE_ORG),
}


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def _user(tree, make_user, roles, case: str, period: str):
    role, scope, custom = CASES[case]
    if role is None:
        return make_user()
    if role not in roles:
        roles[role] = Role.objects.create(code=role, name=role, permissions=["orgs.view"])
    valid = {"valid_from": days(-60), "valid_to": days(-1)} if period else {}
    return make_user(
        role, tree.county_a1, scope, custom=[getattr(tree, k) for k in custom], **valid
    )


def _written() -> tuple[int, int, int, int]:
    return (
        Problem.objects.count(),
        Fix.objects.count(),
        FixStep.objects.count(),
        AuditEvent.objects.filter(action__startswith="rectification.").count(),
    )


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_access_matrix(tree, make_user, roles, case, relation, endpoint):
    # given a problem with a fix at the target (its close-out asked for), a user at county_a1
    target_key, period = RELATIONS[relation]
    target = getattr(tree, target_key)
    p = a_problem(target, description="目标单位的问题")
    f = a_fix(p, kind="ongoing", deadline=None, measure="目标单位的措施")
    if endpoint == "approve":
        fix_act(actor=None, fix=f, action=workflow.REQUEST_CLOSE, note="完成")
    user = _user(tree, make_user, roles, case, period)
    method, url, body, table = ENDPOINTS[endpoint]
    expected = table[case][list(RELATIONS).index(relation)]
    ok = expected == "ok"
    if ok:
        expected = 201 if endpoint.startswith("new_") else 200
    client = api_client(user)
    before = _written()
    # when
    address = url.format(org=target.pk, p=p.pk, f=f.pk)
    if method == "GET":
        response = client.get(address)
    else:
        data = {**body}
        if endpoint == "new_problem":
            data["org"] = target.pk
        if endpoint == "new_fix":
            data["problem"] = p.pk
        response = client.post(address, json.dumps(data), content_type="application/json")
    # then
    assert response.status_code == expected, response.content[:300]
    text = json.dumps(response.json(), ensure_ascii=False)
    if expected == 200 and method == "GET":
        assert ("目标单位的问题" if endpoint.startswith("problem") else "目标单位") in text or (
            endpoint == "steps" and response.json()["steps"]
        )
    if expected in (400, 403, 404):
        assert "目标单位" not in text
        assert _written() == before
    if expected in (400, 404):  # out of view: not even its name (a 403 is about one in view)
        assert target.name not in text
    if method == "POST" and ok and endpoint != "publish":
        assert _written() != before


# --- query counts ------------------------------------------------------------------------


def _grow(tree, n: int) -> None:
    """n more towns under county_a1, each with a village and a problem with a fix there."""
    for i in range(n):
        town = make_org(tree.county_a1, f"150102{300 + i:03d}000", f"中共测试{i}镇委员会")
        village = make_org(town, f"150102{300 + i:03d}201", f"中共测试{i}村支部委员会")
        a_fix(a_problem(village), kind="ongoing", deadline=None, co_orgs=[tree.town_a1])


VIEWS = {
    "problems": B + "/problems?org={org}",
    "fixes": B + "/fixes?org={org}",
    "problem": B + "/problems/{p}",
    "fix": B + "/fixes/{f}",
    "steps": B + "/fixes/{f}/steps",
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
def test_reads_take_a_fixed_number_of_queries(tree, make_user, role, org, scope, view):
    user = make_user(role, getattr(tree, org), scope)
    p = a_problem(tree.county_a1)
    f = a_fix(p, kind="ongoing", deadline=None, co_orgs=[tree.county_a2, tree.town_a1])
    fix_act(actor=None, fix=f, action=workflow.PROGRESS, note="做了", today=dt.date.today())
    url = VIEWS[view].format(org=tree.county_a1.pk, p=p.pk, f=f.pk)
    client = api_client(user)
    client.get(url)  # the first call of a token records its use
    counts = []
    for extra in (0, 30):
        _grow(tree, extra)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url + ("&limit=200" if "?" in url else ""))
        assert response.status_code == 200, response.content[:200]
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12, counts
