"""The staff pages' access matrix: every role against a problem and its fix at the same
organization, a descendant, a sibling and an ancestor, and outside its period, for the ledger,
the problem page, the fix page and a step posted on the fix; and query counts that do not grow
with the ledger or the history.

Expected answers come from the explicit tables below, never from the policy code. Every
assignment sits at county_a1 (新城区), with a subtree scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from massline.conftest import login_client
from massline.core.models import AuditEvent
from massline.rectification.fix_services import fix_act
from massline.rectification.models import Fix, FixStep

from .conftest import a_fix, a_problem

pytestmark = pytest.mark.django_db

ROLES = ("campaign_office", "org_admin", "supervisor", "member", "none")
RELATIONS = {
    "same": ("county_a1", False),
    "descendant": ("town_a1", False),
    "sibling": ("county_a2", False),
    "ancestor": ("pref_a", False),
    "expired": ("county_a1", True),
}

#                    same desc sib  anc  expired
# The ledger: rectification.view at the organization; an organization seen (orgs.view)
# without it is 403, one not seen 404.
LEDGER = {
    "campaign_office": (200, 200, 404, 404, 404),
    "org_admin": (200, 200, 404, 404, 404),
    "supervisor": (200, 200, 404, 404, 404),
    "member": (403, 403, 404, 404, 404),
    "none": (404, 404, 404, 404, 404),
}
# The problem's and the fix's page: rectification.view at either side.
VIEW = {
    "campaign_office": (200, 200, 404, 404, 404),
    "org_admin": (200, 200, 404, 404, 404),
    "supervisor": (200, 200, 404, 404, 404),
    "member": (404, 404, 404, 404, 404),
    "none": (404, 404, 404, 404, 404),
}
# Reporting progress on the fix: rectification.manage at its organization (302 = done).
STEP = {
    "campaign_office": (302, 302, 404, 404, 404),
    "org_admin": (302, 302, 404, 404, 404),
    "supervisor": (403, 403, 404, 404, 404),
    "member": (404, 404, 404, 404, 404),
    "none": (404, 404, 404, 404, 404),
}

PAGES = {
    "ledger": ("GET", "/rectification/orgs/{org}/", LEDGER),
    "problem": ("GET", "/rectification/problems/{p}/", VIEW),
    "fix": ("GET", "/rectification/fixes/{f}/", VIEW),
    "step": ("POST", "/rectification/fixes/{f}/progress/", STEP),
}


def _user(make_user, role: str, org, expired: bool):
    if role == "none":
        return make_user()
    today = timezone.localdate()
    period = (
        {"valid_from": today - dt.timedelta(days=60), "valid_to": today - dt.timedelta(days=1)}
        if expired
        else {}
    )
    return make_user(role, org, **period)


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(tree, make_user, role, relation, page):
    # given a problem with a fix at the target, and a user at county_a1
    key, expired = RELATIONS[relation]
    target = getattr(tree, key)
    p = a_problem(target, description="矩阵测试问题")
    f = a_fix(p, today=timezone.localdate(), measure="矩阵测试措施")
    user = _user(make_user, role, tree.county_a1, expired)
    method, url, table = PAGES[page]
    expected = table[role][list(RELATIONS).index(relation)]
    address = url.format(org=target.pk, p=p.pk, f=f.pk)
    audits = AuditEvent.objects.filter(action__startswith="rectification.").count()
    # when
    client = login_client(user)
    if method == "GET":
        response = client.get(address)
    else:
        response = client.post(address, {"version": f.version, "note": "已经整改了一半"})
    # then
    assert response.status_code == expected, response.content[:300]
    body = response.content.decode()
    if expected == 200:
        assert "矩阵测试" in body
    else:
        assert "矩阵测试" not in body
    steps = FixStep.objects.filter(fix=f).count()
    if method == "POST" and expected == 302:
        assert steps == 2 and Fix.objects.get(pk=f.pk).version == 2
    else:
        assert steps == 1 and Fix.objects.get(pk=f.pk).version == 1
        assert AuditEvent.objects.filter(action__startswith="rectification.").count() == audits


# --- query counts ------------------------------------------------------------------------


def _grow(tree, n: int, fix) -> None:
    """n more problems with a fix each in the town's subtree, n more fixes of `fix`'s problem
    and n more steps on `fix`."""
    for i in range(n):
        a_fix(a_problem(tree.village_a2, description=f"新增问题{i}"), today=timezone.localdate())
        a_fix(fix.problem, today=timezone.localdate(), measure=f"新增措施{i}")
        fix_act(actor=None, fix=fix, action="progress", note=f"进展{i}")


VIEWS = {
    "ledger": "/rectification/orgs/{org}/",
    "ledger_filtered": "/rectification/orgs/{org}/?state=open&overdue=0&q=公开栏",
    "problem": "/rectification/problems/{p}/",
    "fix": "/rectification/fixes/{f}/",
    "new_problem": "/rectification/orgs/{org}/problems/new/",
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize(
    ("role", "org"), [("campaign_office", "county_a1"), ("org_admin", "town_a1")]
)
def test_pages_take_a_fixed_number_of_queries(tree, make_user, role, org, view):
    user = make_user(role, getattr(tree, org))
    p = a_problem(tree.village_a1)
    f = a_fix(p, today=timezone.localdate())
    url = VIEWS[view].format(org=tree.town_a1.pk, p=p.pk, f=f.pk)
    client = login_client(user)
    client.get(url)
    counts = []
    for extra in (0, 12):
        _grow(tree, extra, f)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, response.content[:200]
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 16, counts
