"""Coverage through the pages and the API: the figures at each level, the list of members not
yet reached, the recording form at a branch with its errors, taking a record back; the access
matrix (every role against the same organization, a descendant, a sibling, an ancestor, and
outside its period); query counts that do not grow with the tree."""

from __future__ import annotations

import pytest

from massline.campaigns import coverage_services
from massline.campaigns.models import Reach
from massline.conftest import api_client, login_client
from massline.core.models import AuditEvent

from .test_action_matrix import RECORD
from .test_matrix import CASES, RELATIONS, VIEW, _grow, _user

pytestmark = pytest.mark.django_db


def _reach(cov, org, *members):
    coverage_services.reach_record(
        actor=None,
        campaign=cov.campaign,
        org=org,
        member_ids=[m.pk for m in members],
        on=cov.today,
    )


def test_the_coverage_page_shows_each_level_and_goes_down(cov, make_user):
    t, m = cov.tree, cov.m
    _reach(cov, t.village_a1, m.zhang)
    client = login_client(make_user("campaign_office", t.root))
    # when
    page = client.get(f"/campaigns/{cov.campaign.pk}/coverage/")
    # then
    text = page.content.decode()
    assert page.status_code == 200
    assert "14.3%" in text  # 1 of 7
    assert t.pref_a.name in text and t.pref_b.name in text
    assert "周七" in text and "钱五" in text  # members not reached, from the whole tree
    # when one level down
    page = client.get(f"/campaigns/{cov.campaign.pk}/coverage/?org={t.pref_b.pk}")
    text = page.content.decode()
    assert "周七" in text and "钱五" not in text


def test_a_branch_records_who_took_part_and_takes_it_back(cov, make_user):
    t, m = cov.tree, cov.m
    client = login_client(make_user("org_admin", t.village_a1))
    url = f"/campaigns/{cov.campaign.pk}/coverage/?org={t.village_a1.pk}"
    page = client.get(url).content.decode()
    assert 'data-testid="reach-form"' in page
    assert "张一" in page and "钱五" not in page  # 钱五 takes part at village_a2
    # when
    answer = client.post(
        f"/campaigns/{cov.campaign.pk}/orgs/{t.village_a1.pk}/reach/",
        {"members": [m.zhang.pk, m.wang.pk], "on": cov.today.isoformat(), "way": "visit"},
        follow=True,
    )
    # then
    assert "2 名党员已记为参加" in answer.content.decode()
    assert Reach.objects.filter(campaign=cov.campaign, way="visit").count() == 2
    # when taken back
    answer = client.post(f"/campaigns/{cov.campaign.pk}/reach/{m.wang.pk}/withdraw/", follow=True)
    assert Reach.objects.filter(campaign=cov.campaign).count() == 1


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"on": "2099-01-01", "way": "meeting", "members": ["{zhang}"]}, "不能是将来"),
        ({"on": "", "way": "meeting", "members": ["{zhang}"]}, "必填"),
        ({"on": "{today}", "way": "meeting"}, "请选择参加的党员"),
        ({"on": "{today}", "way": "meeting", "members": ["{sun}"]}, "孙六"),
    ],
)
def test_bad_records_from_the_page_say_what_and_write_nothing(cov, make_user, post, message):
    t, m = cov.tree, cov.m
    client = login_client(make_user("org_admin", t.county_a1))
    data = {
        k: (
            [v.format(zhang=m.zhang.pk, sun=m.sun.pk) for v in vs]
            if isinstance(vs, list)
            else vs.format(today=cov.today.isoformat())
        )
        for k, vs in post.items()
    }
    # when
    answer = client.post(
        f"/campaigns/{cov.campaign.pk}/orgs/{t.village_a1.pk}/reach/", data, follow=True
    )
    # then
    assert message in answer.content.decode()
    assert Reach.objects.count() == 0


def test_the_api_gives_figures_missing_members_and_records(cov, make_user):
    t, m = cov.tree, cov.m
    client = api_client(make_user("org_admin", t.county_a1))
    base = f"/api/v1/campaigns/{cov.campaign.pk}"
    # when
    done = client.post(
        f"{base}/reach",
        {"org": t.village_a1.pk, "members": [m.zhang.pk, m.zhang.pk]},
        content_type="application/json",
    )
    figures = client.get(f"{base}/coverage?org={t.county_a1.pk}").json()
    missing = client.get(f"{base}/coverage/missing?org={t.village_a1.pk}").json()
    # then
    assert done.status_code == 200 and done.json() == {"added": 1, "already": 0}
    assert (figures["expected"], figures["reached"], figures["missing"]) == (5, 1, 4)
    assert figures["rate"] == 0.2
    assert [c["org_code"] for c in figures["children"]] == [t.town_a1.code]
    assert [(i["name"], i["counted_here"]) for i in missing["items"]] == [
        ("李二", True),
        ("王三", True),
        ("钱五", False),
    ]
    assert missing["next_after"] is None
    # and bad input
    bad = client.post(
        f"{base}/reach",
        {"org": t.village_a1.pk, "members": [m.sun.pk]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "members"
    assert client.get(f"{base}/coverage/missing?after=nonsense").status_code == 400
    # when taken back
    assert client.delete(f"{base}/reach/{m.zhang.pk}").status_code == 204
    assert client.delete(f"{base}/reach/{m.zhang.pk}").status_code == 404


# --- the access matrix --------------------------------------------------------------------

# As VIEW, except a user with no campaign rights anywhere (orgs_viewer) does not see the
# campaign at all: 404 even where the organization is in view.
COVERAGE_VIEW = {**VIEW, "orgs_viewer/subtree": (404,) * 6}

VIEWS = {
    "page": ("/campaigns/{c}/coverage/?org={id}", False),
    "api": ("/api/v1/campaigns/{c}/coverage?org={id}", True),
    "api_missing": ("/api/v1/campaigns/{c}/coverage/missing?org={id}", True),
}


@pytest.mark.parametrize("endpoint", list(VIEWS))
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_viewing_coverage_matrix(cov, make_user, roles, case, relation, endpoint):
    target_key, period = RELATIONS[relation]
    target = getattr(cov.tree, target_key)
    user = _user(cov.tree, make_user, roles, case, period)
    url, is_api = VIEWS[endpoint]
    client = api_client(user) if is_api else login_client(user)
    expected = COVERAGE_VIEW[case][list(RELATIONS).index(relation)]
    # when
    response = client.get(url.format(c=cov.campaign.pk, id=target.pk))
    # then
    assert response.status_code == expected, response.content[:300]
    if expected in (403, 404):
        assert target.name not in response.content.decode()


# Recording is done at an organization where members take part (a branch): the descendant
# and the sibling are the branches below county_a1 and county_a2; no branch is the same as
# or above the assignment at county_a1.
BRANCHES = {
    "descendant": ("village_a1", "zhang", ""),
    "sibling": ("branch_a2", "sun", ""),
    "expired": ("village_a1", "zhang", "expired"),
    "not_yet_valid": ("village_a1", "zhang", "future"),
}


@pytest.mark.parametrize("method", ["POST", "DELETE", "PAGE"])
@pytest.mark.parametrize("relation", list(BRANCHES))
@pytest.mark.parametrize("case", list(CASES))
def test_recording_matrix(cov, make_user, roles, case, relation, method):
    branch_key, member_key, period = BRANCHES[relation]
    branch, member = getattr(cov.tree, branch_key), getattr(cov.m, member_key)
    user = _user(cov.tree, make_user, roles, case, period)
    expected = RECORD[case][list(RELATIONS).index(relation)]
    base = f"/api/v1/campaigns/{cov.campaign.pk}"
    if method == "DELETE":
        _reach(cov, branch, member)
    audits = AuditEvent.objects.filter(action__startswith="campaigns.reach").count()
    reached = Reach.objects.count()
    # when
    if method == "POST":
        response = api_client(user).post(
            f"{base}/reach",
            {"org": branch.pk, "members": [member.pk]},
            content_type="application/json",
        )
    elif method == "DELETE":
        response = api_client(user).delete(f"{base}/reach/{member.pk}")
    else:
        response = login_client(user).post(
            f"/campaigns/{cov.campaign.pk}/orgs/{branch.pk}/reach/",
            {"members": [member.pk], "on": cov.today.isoformat(), "way": "meeting"},
        )
    # then
    success = {"POST": 200, "DELETE": 204, "PAGE": 302}[method]
    assert response.status_code == (success if expected == 200 else expected)
    changed = 0 if expected != 200 else (-1 if method == "DELETE" else 1)
    assert Reach.objects.count() == reached + changed
    assert AuditEvent.objects.filter(action__startswith="campaigns.reach").count() == (
        audits + abs(changed)
    )


@pytest.mark.parametrize("extra", [0, 5])
@pytest.mark.parametrize(
    "url",
    [
        "/campaigns/{c}/coverage/",
        "/campaigns/{c}/coverage/?org={village}",
        "/api/v1/campaigns/{c}/coverage",
        "/api/v1/campaigns/{c}/coverage/missing",
    ],
)
def test_coverage_takes_a_fixed_number_of_queries(
    cov, make_user, django_assert_max_num_queries, extra, url
):
    _grow(cov.tree, cov.campaign, extra)
    user = make_user("campaign_office", cov.tree.root)
    client = api_client(user) if url.startswith("/api") else login_client(user)
    with django_assert_max_num_queries(14):
        response = client.get(url.format(c=cov.campaign.pk, village=cov.tree.village_a1.pk))
    assert response.status_code == 200
