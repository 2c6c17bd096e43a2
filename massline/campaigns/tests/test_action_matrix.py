"""The actions' access matrix: every role against the same organization, a descendant, a
sibling and an ancestor, and outside its period, over the checklist page, the completion page
and the API's record and withdraw; query counts of the checklist that do not grow with the
tree. Expected answers come from the tables below, never from the policy code. Every
assignment sits at county_a1 (新城区); the campaign and its action are the province's."""

from __future__ import annotations

import pytest
from django.utils import timezone

from massline.campaigns import action_services
from massline.campaigns.models import Completion, Participation
from massline.conftest import api_client, login_client
from massline.core.models import AuditEvent

from .test_matrix import CASES, RELATIONS, VIEW, _grow, _user

pytestmark = pytest.mark.django_db

#                              same desc  sib  anc  expired future
RECORD = {
    "system_admin/all": (200, 200, 200, 200, 404, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404, 404, 404),
    "supervisor/custom": (403, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404, 404),
}

ENDPOINTS = {
    "checklist": ("GET", "/campaigns/{c}/orgs/{id}/checklist/", False, VIEW),
    "complete_page": ("GET", "/campaigns/{c}/orgs/{id}/actions/{a}/complete/", False, RECORD),
    "api_record": ("POST", "/api/v1/campaigns/{c}/completions", True, RECORD),
    "api_withdraw": (
        "DELETE",
        "/api/v1/campaigns/{c}/completions?org={id}&action={a}",
        True,
        RECORD,
    ),
}
SUCCESS = {"GET": 200, "POST": 201, "DELETE": 204}


@pytest.fixture
def opened(w):
    """Every window opened ten days ago; a required study at the province."""
    today = timezone.localdate()
    Participation.objects.filter(campaign=w.campaign).update(
        starts_on=today - timezone.timedelta(days=10)
    )
    w.study = action_services.action_define(
        actor=None,
        campaign=w.campaign,
        org=w.tree.root,
        kind="study",
        title="集中学习",
        offset_days=5,
    )
    return w


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_access_matrix(opened, make_user, roles, case, relation, endpoint):
    # given
    tree, campaign = opened.tree, opened.campaign
    target_key, period = RELATIONS[relation]
    target = getattr(tree, target_key)
    user = _user(tree, make_user, roles, case, period)
    method, url, is_api, table = ENDPOINTS[endpoint]
    expected = table[case][list(RELATIONS).index(relation)]
    if expected == 200:
        expected = SUCCESS[method]
    if method == "DELETE":
        action_services.completion_record(
            actor=None, campaign=campaign, org=target, action_id=opened.study.pk
        )
    client = api_client(user) if is_api else login_client(user)
    done = Completion.objects.count()
    audits = AuditEvent.objects.filter(action__startswith="campaigns.").count()
    # when
    address = url.format(c=campaign.pk, id=target.pk, a=opened.study.pk)
    if method == "POST":
        response = client.post(
            address,
            {"org": target.pk, "action": opened.study.pk, "text": "学习了"},
            content_type="application/json",
        )
    elif method == "DELETE":
        response = client.delete(address)
    else:
        response = client.get(address)
    # then
    assert response.status_code == expected, response.content[:300]
    changed = {"POST": 1, "DELETE": -1}.get(method, 0) if expected in (201, 204) else 0
    assert Completion.objects.count() == done + changed
    assert AuditEvent.objects.filter(action__startswith="campaigns.").count() == audits + abs(
        changed
    )
    if expected == 200 and endpoint == "checklist":
        assert "集中学习" in response.content.decode()
    if expected in (403, 404):
        assert target.name not in response.content.decode()


@pytest.mark.parametrize("extra", [0, 5])
def test_the_checklist_page_takes_a_fixed_number_of_queries(
    opened, make_user, django_assert_max_num_queries, extra
):
    _grow(opened.tree, opened.campaign, extra)
    Participation.objects.filter(campaign=opened.campaign).update(
        starts_on=timezone.localdate() - timezone.timedelta(days=10)
    )
    target = opened.tree.village_a1
    action_services.completion_record(
        actor=None, campaign=opened.campaign, org=target, action_id=opened.study.pk
    )
    client = login_client(make_user("org_admin", opened.tree.county_a1))
    with django_assert_max_num_queries(16):
        response = client.get(f"/campaigns/{opened.campaign.pk}/orgs/{target.pk}/checklist/")
    assert response.status_code == 200
