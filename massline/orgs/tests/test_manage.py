"""Creating, editing and moving organizations through the pages and the API."""

from datetime import date, timedelta

import pytest

from massline.access.models import Role
from massline.access.policy import scope_roots
from massline.access.services import assignment_create
from massline.conftest import api_client, login_client
from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent
from massline.orgs import counters
from massline.orgs.models import Organization
from massline.orgs.services import org_create


def test_org_admin_adds_a_branch_under_own_township(tree, make_user):
    # given
    client = login_client(make_user("org_admin", tree.town_a1))
    # when
    response = client.post(
        f"/orgs/{tree.town_a1.pk}/new/",
        {
            "code": "150102101203",
            "name": "中共新村支部委员会",
            "kind": "branch",
            "unit_type": "rural",
            "area_type": "farming",
        },
    )
    # then
    org = Organization.objects.get(code="150102101203")
    assert response.status_code == 302 and response["Location"] == f"/orgs/{org.pk}/"
    assert org.parent == tree.town_a1 and org.path.startswith(tree.town_a1.path)
    assert counters.read([tree.root.pk])[tree.root.pk]["orgs.branch"][1] == 5


def test_duplicate_code_comes_back_on_the_form_with_a_chinese_error(tree, make_user):
    # given
    client = login_client(make_user("org_admin", tree.town_a1))
    # when
    response = client.post(
        f"/orgs/{tree.town_a1.pk}/new/",
        {"code": tree.village_a1.code, "name": "重复", "kind": "branch", "unit_type": "rural"},
    )
    # then
    assert response.status_code == 200
    assert f"组织编码 {tree.village_a1.code} 已被使用" in response.content.decode()
    assert Organization.objects.filter(code=tree.village_a1.code).count() == 1


def test_moving_under_own_descendant_is_refused_on_the_form_and_nothing_changes(tree, make_user):
    # given
    client = login_client(make_user("campaign_office", tree.root))
    paths = dict(Organization.objects.values_list("pk", "path"))
    # when
    response = client.post(
        f"/orgs/{tree.county_a1.pk}/move/", {"parent_code": tree.village_a1.code}
    )
    # then
    assert response.status_code == 200
    assert "不能将中共新城区委员会调整到中共古路板村支部委员会之下" in response.content.decode()
    assert dict(Organization.objects.values_list("pk", "path")) == paths
    assert not AuditEvent.objects.filter(action="orgs.move").exists()


def test_moving_a_county_to_another_prefecture_carries_its_subtree_and_figures(tree, make_user):
    # given
    client = login_client(make_user("campaign_office", tree.root))
    # when
    response = client.post(f"/orgs/{tree.county_a1.pk}/move/", {"parent_code": tree.pref_b.code})
    # then
    assert response.status_code == 302
    village = Organization.objects.get(pk=tree.village_a1.pk)
    assert village.path.startswith(Organization.objects.get(pk=tree.pref_b.pk).path)
    figures = counters.read([tree.pref_a.pk, tree.pref_b.pk])
    assert figures[tree.pref_a.pk]["orgs.total"][1] == 3
    assert figures[tree.pref_b.pk]["orgs.total"][1] == 7
    assert counters.rebuild(check_only=True) == []


def test_move_target_outside_scope_is_reported_as_unknown(tree, make_user):
    # given a county user trying to move a branch to another prefecture
    client = login_client(make_user("campaign_office", tree.county_a1))
    # when
    response = client.post(f"/orgs/{tree.town_a1.pk}/move/", {"parent_code": tree.county_b1.code})
    # then
    assert response.status_code == 200
    assert "您的数据范围内没有这个编码的党组织" in response.content.decode()


@pytest.mark.parametrize("url", ["new/", "edit/", "move/"])
def test_viewer_without_manage_permission_gets_403(tree, make_user, url):
    client = login_client(make_user("supervisor", tree.county_a1))
    assert client.get(f"/orgs/{tree.county_a1.pk}/{url}").status_code == 403


def test_api_creates_edits_and_moves(tree, make_user):
    # given
    client = api_client(make_user("campaign_office", tree.pref_a))
    # when
    created = client.post(
        "/api/v1/orgs",
        {
            "parent": tree.county_a2.pk,
            "code": "150103000000-a002",
            "name": "中共回民区教育局支部委员会",
            "kind": "branch",
            "unit_type": "agency",
        },
        content_type="application/json",
    )
    org_id = created.json()["id"]
    patched = client.patch(
        f"/api/v1/orgs/{org_id}", {"kind": "general_branch"}, content_type="application/json"
    )
    moved = client.post(
        f"/api/v1/orgs/{org_id}/move",
        {"parent": tree.county_a1.pk},
        content_type="application/json",
    )
    # then
    assert created.status_code == 201 and created.json()["code"] == "150103000000-A002"
    assert patched.status_code == 200 and patched.json()["kind"] == "general_branch"
    assert moved.status_code == 200 and moved.json()["parent"] == tree.county_a1.pk
    assert counters.rebuild(check_only=True) == []


def test_api_move_into_own_subtree_answers_400_with_field(tree, make_user):
    client = api_client(make_user("campaign_office", tree.root))
    response = client.post(
        f"/api/v1/orgs/{tree.pref_a.pk}/move",
        {"parent": tree.town_a1.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "move_into_own_subtree"
    assert response.json()["field"] == "parent"


def test_api_rejects_unknown_kind_with_422(tree, make_user):
    client = api_client(make_user("campaign_office", tree.root))
    response = client.post(
        "/api/v1/orgs",
        {"parent": tree.root.pk, "code": "X1", "name": "x", "kind": "club", "unit_type": "agency"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not Organization.objects.filter(code="X1").exists()


def test_a_branch_takes_no_subordinate_organizations(tree):
    # when / then
    with pytest.raises(ApplicationError) as caught:
        org_create(
            actor=None,
            parent=tree.village_a1,
            code="X-1",
            name="x",
            kind="branch",
            unit_type="rural",
        )
    assert caught.value.code == "branch_has_no_children"
    assert not Organization.objects.filter(code="X-1").exists()


def test_branch_secretary_is_offered_neither_add_nor_move_on_own_branch(tree, make_user):
    # given a secretary whose scope is their branch only
    client = login_client(make_user("org_admin", tree.village_a1, "this_org"))
    # when
    page = client.get(f"/orgs/{tree.village_a1.pk}/").content.decode()
    # then editing is offered, adding and moving are not
    assert f"/orgs/{tree.village_a1.pk}/edit/" in page
    assert f"/orgs/{tree.village_a1.pk}/new/" not in page
    assert f"/orgs/{tree.village_a1.pk}/move/" not in page
    assert client.get(f"/orgs/{tree.village_a1.pk}/move/").status_code == 403


def test_moving_needs_authority_over_the_current_parent_too(tree, make_user):
    # given a township admin (subtree) and the township itself
    user = make_user("org_admin", tree.town_a1)
    # when they try to move their own township (its parent is above their scope)
    page = login_client(user).post(
        f"/orgs/{tree.town_a1.pk}/move/", {"parent_code": tree.village_a1.code}
    )
    api = api_client(user).post(
        f"/api/v1/orgs/{tree.town_a1.pk}/move",
        {"parent": tree.village_a1.pk},
        content_type="application/json",
    )
    # then
    assert page.status_code == 403 and api.status_code == 403
    assert Organization.objects.get(pk=tree.town_a1.pk).parent_id == tree.county_a1.pk


def test_tree_offers_to_expand_only_what_shows_something(tree, make_user):
    # given a supervisor whose custom list holds a county but none of its subordinates
    user = make_user("supervisor", tree.county_a1, "custom", custom=[tree.county_a1, tree.pref_b])
    subtree_user = make_user("campaign_office", tree.county_a1)
    # when
    page = login_client(user).get("/orgs/").content.decode()
    subtree_page = login_client(subtree_user).get("/orgs/").content.decode()
    # then the county is listed without an expander for the supervisor, with one otherwise
    assert f'hx-get="/orgs/{tree.county_a1.pk}/children/"' not in page
    assert "中共新城区委员会" in page
    assert f'hx-get="/orgs/{tree.county_a1.pk}/children/"' in subtree_page


def test_roots_leave_out_organizations_shown_under_a_visible_parent(tree, make_user):
    # given this_org at a prefecture and subtree at one of its counties
    user = make_user("supervisor", tree.pref_a, "this_org")
    assignment_create(
        actor=None,
        user=user,
        role=Role.objects.get(code="supervisor"),
        org=tree.county_a1,
        scope="subtree",
        valid_from=date.today() - timedelta(days=30),
    )
    # when
    roots = scope_roots(user)
    # then only the prefecture starts the tree; the county shows when it is expanded
    assert roots == [tree.pref_a]


@pytest.mark.parametrize("towns", [2, 40])
def test_tree_page_for_a_long_custom_list_takes_a_fixed_number_of_queries(
    tree, make_user, django_assert_max_num_queries, towns
):
    # given a supervision team assigned to many towns, each with a village
    listed = []
    for i in range(towns):
        town = org_create(
            actor=None,
            parent=tree.county_a1,
            code=f"150102{300 + i:03d}000",
            name=f"中共测试{i}镇委员会",
            kind="committee",
            unit_type="rural",
        )
        org_create(
            actor=None,
            parent=town,
            code=f"150102{300 + i:03d}201",
            name=f"中共测试{i}村支部委员会",
            kind="branch",
            unit_type="rural",
        )
        listed.append(town)
    client = login_client(make_user("supervisor", tree.county_a1, "custom", custom=listed))
    # when
    with django_assert_max_num_queries(8):
        response = client.get("/orgs/")
    # then every town is a root, none expandable (their villages are not in the list)
    page = response.content.decode()
    assert page.count('class="ml-leaf"') == towns
