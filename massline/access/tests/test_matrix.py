"""The access matrix over pages and API: every role against the same organization, a
descendant, a sibling and an ancestor, and outside its period; then what lists, searches and
the audit log show, what anonymous callers get, and query counts.

Expected answers come from the explicit tables below, never from the policy code. Every
assignment sits at county_a1 (新城区)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from massline.access.models import DataScope, Role
from massline.accounts.models import ApiToken
from massline.conftest import api_client, login_client, make_org
from massline.core.audit import audit_record
from massline.core.models import AuditEvent

ORG_KEYS = [
    "root",
    "pref_a",
    "pref_b",
    "county_a1",
    "county_a2",
    "county_b1",
    "town_a1",
    "village_a1",
    "village_a2",
    "branch_a2",
    "branch_b1",
]

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

# relation: the target organization, and the assignment's period ("" = current).
RELATIONS = {
    "same": ("county_a1", ""),
    "descendant": ("town_a1", ""),
    "sibling": ("county_a2", ""),
    "ancestor": ("pref_a", ""),
    "expired": ("county_a1", "expired"),
    "not_yet_valid": ("county_a1", "future"),
}

# Status codes. VIEW: endpoints that need orgs.view; STATS: the stats endpoint (stats.view).
#                              same desc  sib  anc  expired future
VIEW = {
    "system_admin/all": (200, 200, 200, 200, 404, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404, 404, 404),
    "supervisor/custom": (200, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (200, 200, 404, 404, 404, 404),
}
STATS = {
    "system_admin/all": (200, 200, 200, 200, 404, 404),
    "campaign_office/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/subtree": (200, 200, 404, 404, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404, 404, 404),
    "supervisor/custom": (200, 404, 404, 404, 404, 404),
    "member/self": (404, 404, 404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404, 404, 404),
}

# endpoint: (url template, API?, table)
ENDPOINTS = {
    "page": ("/orgs/{id}/", False, VIEW),
    "fragment": ("/orgs/{id}/children/", False, VIEW),
    "api_org": ("/api/v1/orgs/{id}", True, VIEW),
    "api_children": ("/api/v1/orgs/{id}/children", True, VIEW),
    "api_stats": ("/api/v1/orgs/{id}/stats", True, STATS),
}

HTMX = {"HX-Request": "true"}


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


def _make_case_user(tree, make_user, roles, case: str, period: str = ""):
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


def _names_in(content: str, tree) -> set[str]:
    """Which of the tree's organizations are named in a page."""
    return {key for key in ORG_KEYS if getattr(tree, key).name in content}


def _linked_in(content: str, tree) -> set[str]:
    """Which of the tree's organizations a page links to."""
    hrefs = set(re.findall(r'href="/orgs/(\d+)/', content))
    return {key for key in ORG_KEYS if str(getattr(tree, key).pk) in hrefs}


def _search_results(content: str) -> str:
    """The search result list of the tree page or its fragment ("" when nothing matched)."""
    found = re.search(r'data-testid="search-results">(.*?)</ul>', content, re.DOTALL)
    return found.group(1) if found else ""


# --- the matrix --------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("relation", list(RELATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_access_matrix(tree, make_user, roles, case, relation, endpoint):
    # given
    target_key, period = RELATIONS[relation]
    target = getattr(tree, target_key)
    user = _make_case_user(tree, make_user, roles, case, period)
    url_template, is_api, table = ENDPOINTS[endpoint]
    expected = table[case][list(RELATIONS).index(relation)]
    client = api_client(user) if is_api else login_client(user)
    headers = HTMX if endpoint == "fragment" else {}
    # when
    response = client.get(url_template.format(id=target.pk), headers=headers)
    # then
    assert response.status_code == expected, response.content[:300]
    if expected == 200 and endpoint == "page":
        assert target.name in response.content.decode()
    if expected == 200 and endpoint == "api_org":
        assert response.json()["code"] == target.code
    if expected == 200 and endpoint == "api_stats":
        assert response.json()["org"] == target.pk
    if expected != 200:
        assert target.name not in response.content.decode()


def test_the_matrix_covers_allowed_hidden_and_forbidden_answers():
    # given / when
    codes = {code for table in (VIEW, STATS) for row in table.values() for code in row}
    # then: the matrix exercises all three answers
    assert codes == {200, 403, 404}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("system_admin/all", 200),
        ("org_admin/this_org", 200),
        ("member/self", 404),
        ("orgs_viewer/subtree", 403),
    ],
)
def test_the_api_answers_a_browser_session_like_a_bearer_token(
    tree, make_user, roles, case, expected
):
    # given
    user = _make_case_user(tree, make_user, roles, case)
    # when
    response = login_client(user).get(f"/api/v1/orgs/{tree.county_a1.pk}/stats")
    # then
    assert response.status_code == expected


# --- what pages and lists show -----------------------------------------------------------

# case -> the organizations the tree page starts from (and the only ones it names).
TREE_ROOTS = {
    "system_admin/all": {"root"},
    "campaign_office/subtree": {"county_a1"},
    "org_admin/subtree": {"county_a1"},
    "org_admin/this_org": {"county_a1"},
    "supervisor/custom": {"county_a1", "branch_b1"},
    "member/self": set(),
    "orgs_viewer/subtree": {"county_a1"},
}


@pytest.mark.parametrize("case", list(CASES))
def test_tree_page_names_only_the_organizations_in_scope(tree, make_user, roles, case):
    # given
    user = _make_case_user(tree, make_user, roles, case)
    # when
    response = login_client(user).get("/orgs/")
    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert _names_in(content, tree) == TREE_ROOTS[case]
    assert _linked_in(content, tree) == TREE_ROOTS[case]


@pytest.mark.parametrize("period", ["expired", "future"])
def test_tree_page_is_empty_outside_the_assignment_period(tree, make_user, roles, period):
    # given
    user = _make_case_user(tree, make_user, roles, "system_admin/all", period)
    # when
    response = login_client(user).get("/orgs/")
    # then
    assert response.status_code == 200
    assert _names_in(response.content.decode(), tree) == set()


# (case, organization whose children are listed) -> children listed.
CHILDREN = [
    ("system_admin/all", "pref_a", {"county_a1", "county_a2"}),
    ("system_admin/all", "root", {"pref_a", "pref_b"}),
    ("org_admin/subtree", "county_a1", {"town_a1"}),
    ("org_admin/subtree", "town_a1", {"village_a1", "village_a2"}),
    ("org_admin/this_org", "county_a1", set()),
    ("supervisor/custom", "county_a1", set()),
    ("orgs_viewer/subtree", "town_a1", {"village_a1", "village_a2"}),
]


@pytest.mark.parametrize(("case", "parent", "expected"), CHILDREN)
def test_children_fragment_lists_only_children_in_scope(
    tree, make_user, roles, case, parent, expected
):
    # given
    user = _make_case_user(tree, make_user, roles, case)
    # when
    response = login_client(user).get(f"/orgs/{getattr(tree, parent).pk}/children/", headers=HTMX)
    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert _names_in(content, tree) == expected
    assert _linked_in(content, tree) == expected


@pytest.mark.parametrize(("case", "parent", "expected"), CHILDREN)
def test_api_children_lists_only_children_in_scope(tree, make_user, roles, case, parent, expected):
    # given
    user = _make_case_user(tree, make_user, roles, case)
    # when
    response = api_client(user).get(f"/api/v1/orgs/{getattr(tree, parent).pk}/children")
    # then
    assert response.status_code == 200
    assert {item["code"] for item in response.json()} == {
        getattr(tree, key).code for key in expected
    }


# (role, scope, custom list, organization viewed) -> organizations its page names.
DETAIL_NAMES = [
    pytest.param(
        "system_admin",
        "all",
        [],
        "county_a1",
        {"root", "pref_a", "county_a1", "town_a1"},
        id="all_sees_path_and_children",
    ),
    pytest.param(
        "org_admin",
        "subtree",
        [],
        "county_a1",
        {"county_a1", "town_a1"},
        id="subtree_root_hides_ancestors",
    ),
    pytest.param(
        "org_admin",
        "subtree",
        [],
        "town_a1",
        {"county_a1", "town_a1", "village_a1", "village_a2"},
        id="subtree_inside_shows_visible_parent",
    ),
    pytest.param("org_admin", "this_org", [], "county_a1", {"county_a1"}, id="this_org_alone"),
    pytest.param(
        "supervisor",
        "custom",
        ["county_a1", "village_a1"],
        "county_a1",
        {"county_a1"},
        id="custom_hides_unlisted_children",
    ),
    pytest.param(
        "supervisor",
        "custom",
        ["pref_a", "village_a1"],
        "village_a1",
        {"pref_a", "village_a1"},
        id="custom_hides_unlisted_parent",
    ),
]


@pytest.mark.parametrize(("role", "scope", "custom", "viewed", "expected"), DETAIL_NAMES)
def test_org_page_names_only_organizations_in_scope(
    tree, make_user, role, scope, custom, viewed, expected
):
    # given
    user = make_user(role, tree.county_a1, scope, custom=[getattr(tree, k) for k in custom])
    # when
    response = login_client(user).get(f"/orgs/{getattr(tree, viewed).pk}/")
    # then
    assert response.status_code == 200
    assert _names_in(response.content.decode(), tree) == expected


@pytest.mark.parametrize(
    ("case", "shown"),
    [
        ("org_admin/subtree", True),
        ("supervisor/custom", True),
        ("orgs_viewer/subtree", False),
    ],
)
def test_org_page_shows_figures_only_with_stats_view(tree, make_user, roles, case, shown):
    # given
    user = _make_case_user(tree, make_user, roles, case)
    # when
    response = login_client(user).get(f"/orgs/{tree.county_a1.pk}/")
    # then
    assert response.status_code == 200
    assert ('data-testid="figures"' in response.content.decode()) is shown


# --- search ------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("中共回民区委员会", set(), id="sibling_full_name"),
        pytest.param("回民区", set(), id="sibling_name_part"),
        pytest.param("呼和浩特", set(), id="ancestor_name"),
        pytest.param("包头", set(), id="other_prefecture"),
        pytest.param("150103", set(), id="sibling_code"),
        pytest.param("150202000000-A001", set(), id="other_branch_code"),
        pytest.param("村", {"village_a1", "village_a2"}, id="in_scope_part"),
        pytest.param(
            "委员会", {"county_a1", "town_a1", "village_a1", "village_a2"}, id="every_name"
        ),
        pytest.param("1501", {"county_a1", "town_a1", "village_a1", "village_a2"}, id="code"),
    ],
)
def test_search_finds_only_organizations_in_scope(tree, make_user, q, expected, htmx):
    # given
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    headers = {**HTMX, "HX-Target": "search-results"} if htmx else {}
    # when
    response = login_client(user).get("/orgs/", {"q": q}, headers=headers)
    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert ("<html" in content) is not htmx
    assert _linked_in(_search_results(content), tree) == expected
    if expected:
        assert _names_in(_search_results(content), tree) == expected


@pytest.mark.parametrize(
    ("case", "q", "expected"),
    [
        ("org_admin/subtree", "回民区", set()),
        ("org_admin/subtree", "委员会", {"county_a1", "town_a1", "village_a1", "village_a2"}),
        ("org_admin/subtree", "1501", {"county_a1", "town_a1", "village_a1", "village_a2"}),
        ("org_admin/this_org", "委员会", {"county_a1"}),
        ("supervisor/custom", "财政局", {"branch_b1"}),
        ("supervisor/custom", "东河区", {"branch_b1"}),
        ("member/self", "委员会", set()),
        ("system_admin/all", "回民区", {"county_a2", "branch_a2"}),
    ],
)
def test_api_search_returns_only_organizations_in_scope(tree, make_user, roles, case, q, expected):
    # given
    user = _make_case_user(tree, make_user, roles, case)
    # when
    response = api_client(user).get("/api/v1/orgs", {"q": q})
    # then
    assert response.status_code == 200
    assert {item["code"] for item in response.json()["items"]} == {
        getattr(tree, key).code for key in expected
    }


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("org_admin/subtree", ["county_a1", "town_a1", "village_a1", "village_a2"]),
        ("org_admin/this_org", ["county_a1"]),
        ("member/self", []),
        ("system_admin/all", ORG_KEYS),
    ],
)
def test_api_list_pages_through_the_scope_only(tree, make_user, roles, case, expected):
    # given
    user = _make_case_user(tree, make_user, roles, case)
    client = api_client(user)
    # when: pages of two, following next_after
    codes: list[str] = []
    after = ""
    for _ in range(10):
        page = client.get("/api/v1/orgs", {"limit": 2, "after": after}).json()
        codes += [item["code"] for item in page["items"]]
        after = page["next_after"]
        if not after:
            break
    # then: in tree order, nothing outside the scope
    orgs = sorted((getattr(tree, key) for key in expected), key=lambda o: o.path)
    assert codes == [o.code for o in orgs]


# --- audit log ---------------------------------------------------------------------------


@pytest.fixture
def audit_events(tree, make_user):
    """Assignments made at the county's town, at the sibling county and in the other
    prefecture (each writes an access.assign event there), and one event with no org."""
    events = {}
    for key in ("town_a1", "county_a2", "branch_b1"):
        make_user("org_admin", getattr(tree, key), DataScope.SUBTREE)
        events[key] = AuditEvent.objects.filter(
            action="access.assign", org_id=getattr(tree, key).pk
        ).get()
    events["none"] = audit_record(actor=None, action="test.platform")
    return events


@pytest.mark.parametrize(
    ("role", "org", "scope", "expected"),
    [
        ("org_admin", "county_a1", "subtree", {"town_a1"}),
        ("campaign_office", "pref_a", "subtree", {"town_a1", "county_a2"}),
        ("org_admin", "county_a1", "this_org", set()),
        ("system_admin", "county_a1", "all", {"town_a1", "county_a2", "branch_b1", "none"}),
    ],
)
def test_audit_log_shows_only_events_in_scope(
    tree, make_user, audit_events, role, org, scope, expected
):
    # given
    user = make_user(role, getattr(tree, org), scope)
    # when
    response = login_client(user).get("/access/audit/")
    # then
    assert response.status_code == 200
    shown = {row.event.pk for row in response.context["events"]}
    assert {k for k, e in audit_events.items() if e.pk in shown} == expected
    content = response.content.decode()
    for key, event in audit_events.items():
        assert (f'data-event="{event.pk}"' in content) is (key in expected)


def test_audit_log_filter_keeps_the_scope(tree, make_user, audit_events):
    # given
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    # when
    response = login_client(user).get("/access/audit/", {"action": "access.assign"})
    # then
    assert response.status_code == 200
    events = [row.event for row in response.context["events"]]
    assert {e.action for e in events} == {"access.assign"}
    assert audit_events["county_a2"].pk not in {e.pk for e in events}
    assert audit_events["town_a1"].pk in {e.pk for e in events}


def test_audit_log_pages_within_the_scope(tree, make_user):
    # given: more events on the sibling county than a page holds, interleaved with ours
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    ours = []
    for _ in range(60):
        audit_record(actor=None, action="test.sibling", org=tree.county_a2)
        ours.append(audit_record(actor=None, action="test.ours", org=tree.town_a1).pk)
    client = login_client(user)
    # when
    first = client.get("/access/audit/", {"action": "test."})
    second = client.get("/access/audit/" + first.context["older_url"])
    # then
    shown = [row.event.pk for row in first.context["events"]] + [
        row.event.pk for row in second.context["events"]
    ]
    assert shown == sorted(ours, reverse=True)
    assert second.context["older_url"] == ""


@pytest.mark.parametrize(
    ("role", "scope", "period"),
    [
        pytest.param(None, "subtree", "", id="no_assignment"),
        pytest.param("member", "subtree", "", id="member"),
        pytest.param("member", "self", "", id="member_self"),
        pytest.param("supervisor", "custom", "", id="supervisor"),
        pytest.param("org_admin", "subtree", "expired", id="expired_org_admin"),
        pytest.param("system_admin", "all", "future", id="future_system_admin"),
    ],
)
def test_audit_log_is_forbidden_without_audit_view_anywhere(
    tree, make_user, audit_events, role, scope, period
):
    # given
    custom = [tree.county_a1] if scope == "custom" else None
    if role is None:
        user = make_user()
    else:
        user = make_user(role, tree.county_a1, scope, custom=custom, **periods(period))
    # when
    response = login_client(user).get("/access/audit/")
    # then
    assert response.status_code == 403
    assert "access.assign" not in response.content.decode()


@pytest.mark.parametrize(("case", "shown"), [("org_admin/subtree", True), ("member/self", False)])
def test_audit_log_link_appears_only_for_users_who_may_open_it(tree, make_user, roles, case, shown):
    # given
    user = _make_case_user(tree, make_user, roles, case)
    # when
    response = login_client(user).get("/orgs/")
    # then
    assert ('href="/access/audit/"' in response.content.decode()) is shown


# --- anonymous and bad credentials -------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/orgs/", "/orgs/{id}/", "/orgs/{id}/children/", "/orgs/?q=回民区", "/access/audit/"]
)
def test_anonymous_pages_redirect_to_login(tree, url):
    # given
    path = url.format(id=tree.county_a1.pk)
    # when
    response = Client().get(path)
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


API_URLS = [
    "/api/v1/orgs",
    "/api/v1/orgs?q=回民区",
    "/api/v1/orgs/{id}",
    "/api/v1/orgs/{id}/children",
    "/api/v1/orgs/{id}/stats",
]


@pytest.mark.parametrize("url", API_URLS)
def test_anonymous_api_calls_get_401(tree, url):
    # given
    path = url.format(id=tree.county_a1.pk)
    # when
    response = Client().get(path)
    # then
    assert response.status_code == 401


@pytest.mark.parametrize("url", API_URLS)
@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Bearer ", "Token abc", "bearer", "Basic dXNlcjpwYXNz"],
)
def test_bad_credentials_get_401_from_the_api(tree, url, authorization):
    # given
    client = Client(headers={"Authorization": authorization})
    # when
    response = client.get(url.format(id=tree.county_a1.pk))
    # then
    assert response.status_code == 401


def test_an_expired_token_gets_401(tree, make_user):
    # given
    user = make_user("system_admin", tree.root, DataScope.ALL)
    client = api_client(user)
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    # when
    response = client.get(f"/api/v1/orgs/{tree.root.pk}")
    # then
    assert response.status_code == 401


def test_the_token_of_a_deactivated_user_gets_401(tree, make_user):
    # given
    user = make_user("system_admin", tree.root, DataScope.ALL)
    client = api_client(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    # when
    response = client.get(f"/api/v1/orgs/{tree.root.pk}")
    # then
    assert response.status_code == 401


def test_a_valid_token_without_assignment_sees_nothing(tree, make_user):
    # given
    client = api_client(make_user())
    # when
    listing = client.get("/api/v1/orgs")
    one = client.get(f"/api/v1/orgs/{tree.root.pk}")
    # then
    assert listing.status_code == 200
    assert listing.json()["items"] == []
    assert one.status_code == 404


# --- query counts ------------------------------------------------------------------------


def _grow(tree, n: int) -> None:
    """n more towns under county_a1, each with a village, so every row has children."""
    for i in range(n):
        town = make_org(tree.county_a1, f"150102{300 + i:03d}000", f"中共测试{i}镇委员会")
        make_org(town, f"150102{300 + i:03d}201", f"中共测试{i}村支部委员会")


# (url, headers, most queries): session, user, assignments, custom lists, then the page's own;
# a whole page (not a fragment) also the bell's unread count in its layout (one capped count).
QUERY_BUDGET = {
    "org_page": ("/orgs/{id}/", {}, 10),
    "children_fragment": ("/orgs/{id}/children/", HTMX, 7),
    # +1 under this_org or a custom list: which roots have a subordinate in view (one query)
    "tree_page": ("/orgs/", {}, 8),
    "tree_search": ("/orgs/?q=测试", {}, 9),
    # the ids the filters keep (up to 2,000, to choose how to read), the rows, then one query
    # per kind of name they point at (organizations, users, roles)
    "audit_log": ("/access/audit/", {}, 10),
}


@pytest.mark.parametrize("extra", [0, 40])
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
    tree, make_user, django_assert_max_num_queries, role, org, scope, view, extra
):
    # given
    _grow(tree, extra)
    user = make_user(role, getattr(tree, org), scope)
    client = login_client(user)
    url, headers, budget = QUERY_BUDGET[view]
    # when
    with django_assert_max_num_queries(budget):
        response = client.get(url.format(id=tree.county_a1.pk), headers=headers)
    # then
    assert response.status_code == 200


@pytest.mark.parametrize("extra", [0, 40])
@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/api/v1/orgs", 5),
        ("/api/v1/orgs?q=测试", 5),
        ("/api/v1/orgs/{id}/children", 5),
        ("/api/v1/orgs/{id}/stats", 5),
    ],
)
def test_api_lists_take_a_fixed_number_of_queries(
    tree, make_user, django_assert_max_num_queries, url, budget, extra
):
    # given
    _grow(tree, extra)
    user = make_user("campaign_office", tree.pref_a, DataScope.SUBTREE)
    client = api_client(user)
    client.get("/api/v1/orgs")  # the token's first use records it; not part of the budget
    # when
    with django_assert_max_num_queries(budget):
        response = client.get(url.format(id=tree.county_a1.pk), {"limit": 500})
    # then
    assert response.status_code == 200
