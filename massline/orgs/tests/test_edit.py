"""Editing an organization keeps the tree sound, through the service, the page and the API:
names are trimmed, printable, within the limit and free among the siblings; the name, kind and
unit type are changed by the level above; a kind change may not leave members outside a
branch or give a branch subordinates; each refusal names its field and changes nothing; a
save that changes nothing writes nothing."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from massline.conftest import api_client, login_client
from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent
from massline.members.idnumber import make_id
from massline.members.models import Category, MemberStatus
from massline.members.services import member_create
from massline.orgs.models import AreaType, Organization, OrgCounter, OrgKind
from massline.orgs.services import org_create, org_move, org_update

# (name typed, the service's code, the API's status): village_a1 renamed by the township.
BAD_NAMES = {
    "control_bel": ("中共古路板村\x07支部委员会", "name_unprintable", 422),
    "control_c1": ("中共古路板村\x85支部委员会", "name_unprintable", 400),
    "private_use": ("\ue000\ue001", "name_unprintable", 400),
    "unassigned": ("中共\u0378支部委员会", "name_unprintable", 400),
    "zero_width_space": ("中共古路板村\u200b支部委员会", "name_unprintable", 400),
    "bidi_override": ("中共\u202e会员委部支", "name_unprintable", 400),
    "line_separator": ("中共古路板村\u2028支部委员会", "name_unprintable", 400),
    "spaces_only": ("   ", "name_blank", 422),
    "ideographic_spaces_only": ("\u3000\u3000", "name_blank", 422),
    "over_the_limit": ("中" * 129, "name_too_long", 422),
    "a_siblings_name": ("中共讨思浩村支部委员会", "name_taken", 400),
    "a_siblings_name_padded": ("\u3000中共讨思浩村支部委员会 ", "name_taken", 400),
}


def _state() -> dict[str, Any]:
    """Everything an edit could change: the organizations, their counters, the audit log."""
    return {
        "orgs": list(
            Organization.objects.order_by("pk").values(
                "name", "kind", "unit_type", "area_type", "parent", "path", "updated_at"
            )
        ),
        "counters": list(OrgCounter.objects.order_by("pk").values("metric", "own", "subtree")),
        "audit": AuditEvent.objects.filter(action__startswith="orgs.").count(),
    }


def _form(org: Organization, **changes: str) -> dict[str, str]:
    data = {
        "name": org.name,
        "kind": org.kind,
        "unit_type": org.unit_type,
        "area_type": org.area_type,
    }
    return {**data, **changes}


def _invalid_field(page: str) -> set[str]:
    """The fields a form page marks as invalid."""
    return {
        name
        for name in ("name", "kind", "unit_type", "area_type")
        if f'is-invalid" type="text" name="{name}"' in page or f'is-invalid" name="{name}"' in page
    }


def _with_members(org: Organization, count: int) -> None:
    for i in range(count):
        member_create(
            actor=None,
            org=org,
            name="张伟",
            gender="",
            ethnicity="01",
            id_number=make_id("150102", date(1990, 5, 17), 11 + i),
            join_date=date(2015, 7, 1),
            status=MemberStatus.PROBATIONARY,
            category=Category.EMPLOYED,
        )


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_service_refuses_a_bad_name_naming_the_field_and_changes_nothing(tree, case):
    # given
    name, code, _status = BAD_NAMES[case]
    before = _state()
    # when
    with pytest.raises(ApplicationError) as caught:
        org_update(actor=None, org=tree.village_a1, name=name)
    # then
    assert (caught.value.code, caught.value.field) == (code, "name")
    assert _state() == before


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_page_refuses_a_bad_name_on_the_form_and_changes_nothing(tree, make_user, case):
    # given the township's administrator, the level above the village branch
    client = login_client(make_user("org_admin", tree.town_a1))
    name, _code, _status = BAD_NAMES[case]
    before = _state()
    # when
    response = client.post(f"/orgs/{tree.village_a1.pk}/edit/", _form(tree.village_a1, name=name))
    # then
    assert response.status_code == 200
    assert _invalid_field(response.content.decode()) == {"name"}
    assert _state() == before


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_api_refuses_a_bad_name_naming_the_field_and_changes_nothing(tree, make_user, case):
    # given
    client = api_client(make_user("org_admin", tree.town_a1))
    name, code, status = BAD_NAMES[case]
    before = _state()
    # when
    response = client.patch(
        f"/api/v1/orgs/{tree.village_a1.pk}", {"name": name}, content_type="application/json"
    )
    # then
    assert response.status_code == status
    body = response.json()
    assert body["field"] == "name"
    assert body["code"] == (code if status == 400 else "invalid_request")
    assert _state() == before


def test_the_error_says_which_character_in_chinese(tree):
    # when
    with pytest.raises(ApplicationError) as caught:
        org_update(actor=None, org=tree.village_a1, name="中共\ue000支部")
    # then
    assert caught.value.message == (
        "名称的第 3 个字符（U+E000，私用区字符）无法显示或打印，请去掉后重新输入名称。"
    )


def test_a_siblings_name_is_refused_with_the_siblings_code(tree):
    # when
    with pytest.raises(ApplicationError) as caught:
        org_update(actor=None, org=tree.village_a1, name="中共讨思浩村支部委员会")
    # then
    assert caught.value.message == (
        "中共保合少镇委员会下已有名为中共讨思浩村支部委员会的党组织（编码 150102101202）。"
    )


def test_a_name_is_stored_trimmed_and_composed(tree):
    # given a name with a decomposed é and ideographic spaces around it
    typed = "\u3000中共Cafe\u0301党支部委员会 "
    # when
    org = org_update(actor=None, org=tree.village_a1, name=typed)
    # then
    org.refresh_from_db()
    assert org.name == unicodedata.normalize("NFC", "中共Cafe\u0301党支部委员会")
    assert org.name == "中共Café党支部委员会"


def test_a_name_taken_by_a_cousin_is_free(tree):
    # given branch_a2 (under county_a2) and village_a1 (under town_a1) are not siblings
    # when
    org_update(actor=None, org=tree.village_a1, name=tree.branch_a2.name)
    # then
    assert Organization.objects.get(pk=tree.village_a1.pk).name == tree.branch_a2.name


def test_creating_under_a_parent_refuses_a_siblings_name(tree):
    # when
    with pytest.raises(ApplicationError) as caught:
        org_create(
            actor=None,
            parent=tree.town_a1,
            code="150102101299",
            name=" 中共古路板村支部委员会",
            kind=OrgKind.BRANCH,
            unit_type="rural",
        )
    # then
    assert (caught.value.code, caught.value.field) == ("name_taken", "name")
    assert not Organization.objects.filter(code="150102101299").exists()


def test_moving_under_a_parent_with_a_child_of_the_same_name_is_refused(tree):
    # given a branch under county_a2 named like one of town_a1's villages
    twin = org_create(
        actor=None,
        parent=tree.county_a2,
        code="150103000000-A009",
        name=tree.village_a1.name,
        kind=OrgKind.BRANCH,
        unit_type="rural",
    )
    before = _state()
    # when
    with pytest.raises(ApplicationError) as caught:
        org_move(actor=None, org=twin, new_parent=tree.town_a1)
    # then
    assert (caught.value.code, caught.value.field) == ("name_taken", "parent")
    assert _state() == before


# --- a kind change that strands members or subordinates ----------------------------------


def test_service_refuses_a_kind_that_would_leave_members_outside_a_branch(tree):
    # given a branch with members
    _with_members(tree.village_a1, 2)
    before = _state()
    # when
    with pytest.raises(ApplicationError) as caught:
        org_update(actor=None, org=tree.village_a1, kind=OrgKind.WORKING_COMMITTEE)
    # then
    assert (caught.value.code, caught.value.field) == ("kind_strands_members", "kind")
    assert caught.value.message == (
        "中共古路板村支部委员会有 2 名党员，党员只能隶属于党支部或党总支："
        "请先转出党员，或保留原组织类别。"
    )
    assert _state() == before


def test_a_branch_with_members_may_become_a_general_branch(tree):
    # given
    _with_members(tree.village_a1, 1)
    # when
    org_update(actor=None, org=tree.village_a1, kind=OrgKind.GENERAL_BRANCH)
    # then
    assert Organization.objects.get(pk=tree.village_a1.pk).kind == OrgKind.GENERAL_BRANCH


def test_service_refuses_to_make_a_branch_of_an_organization_with_subordinates(tree):
    # given the township, with two village branches
    before = _state()
    # when
    with pytest.raises(ApplicationError) as caught:
        org_update(actor=None, org=tree.town_a1, kind=OrgKind.BRANCH)
    # then
    assert (caught.value.code, caught.value.field) == ("branch_has_no_children", "kind")
    assert "2 个下级党组织" in caught.value.message
    assert _state() == before


def test_page_refuses_a_kind_change_that_strands_members(tree, make_user):
    # given
    _with_members(tree.village_a1, 3)
    client = login_client(make_user("org_admin", tree.town_a1))
    before = _state()
    # when
    response = client.post(
        f"/orgs/{tree.village_a1.pk}/edit/", _form(tree.village_a1, kind=OrgKind.COMMITTEE)
    )
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert _invalid_field(page) == {"kind"}
    assert "有 3 名党员，党员只能隶属于党支部或党总支" in page
    assert _state() == before


def test_api_refuses_a_kind_change_that_strands_members(tree, make_user):
    # given
    _with_members(tree.village_a1, 1)
    client = api_client(make_user("org_admin", tree.town_a1))
    before = _state()
    # when
    response = client.patch(
        f"/api/v1/orgs/{tree.village_a1.pk}",
        {"kind": "working_committee"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "kind_strands_members"
    assert response.json()["field"] == "kind"
    assert _state() == before


def test_page_and_api_refuse_making_a_branch_of_an_organization_with_subordinates(tree, make_user):
    # given the county's administrators, the level above the township
    user = make_user("org_admin", tree.county_a1)
    before = _state()
    # when
    page = login_client(user).post(
        f"/orgs/{tree.town_a1.pk}/edit/", _form(tree.town_a1, kind=OrgKind.BRANCH)
    )
    api = api_client(user).patch(
        f"/api/v1/orgs/{tree.town_a1.pk}", {"kind": "branch"}, content_type="application/json"
    )
    # then
    assert page.status_code == 200 and _invalid_field(page.content.decode()) == {"kind"}
    assert api.status_code == 400
    assert api.json()["code"] == "branch_has_no_children" and api.json()["field"] == "kind"
    assert _state() == before


# --- the unit's own administrators --------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "中共古路板村第一支部委员会"), ("kind", "general_branch"), ("unit_type", "agency")],
)
def test_a_branch_may_not_change_its_own_name_kind_or_unit_type(tree, make_user, field, value):
    # given the branch's own administrator (the demo's 村党支部书记)
    user = make_user("org_admin", tree.village_a1, "this_org")
    before = _state()
    # when
    page = login_client(user).post(
        f"/orgs/{tree.village_a1.pk}/edit/", _form(tree.village_a1, **{field: value})
    )
    api = api_client(user).patch(
        f"/api/v1/orgs/{tree.village_a1.pk}", {field: value}, content_type="application/json"
    )
    # then
    assert page.status_code == 200
    assert _invalid_field(page.content.decode()) == {field}
    assert "由上级党组织修改，本组织的管理员不能修改" in page.content.decode()
    assert api.status_code == 403
    assert api.json()["code"] == "forbidden" and api.json()["field"] == field
    assert _state() == before


def test_a_branch_keeps_its_own_area_type_and_sees_the_rest_disabled(tree, make_user):
    # given
    client = login_client(make_user("org_admin", tree.village_a1, "this_org"))
    # when
    form = client.get(f"/orgs/{tree.village_a1.pk}/edit/").content.decode()
    saved = client.post(f"/orgs/{tree.village_a1.pk}/edit/", {"area_type": "pastoral"})
    # then the disabled fields send nothing, and the area type is saved
    assert form.count(" disabled>") == 3 and "由上级党组织修改。" in form
    assert saved.status_code == 302
    org = Organization.objects.get(pk=tree.village_a1.pk)
    assert (org.area_type, org.name) == (AreaType.PASTORAL, tree.village_a1.name)


def test_a_top_level_organization_is_renamed_only_with_a_scope_over_the_whole_tree(tree, make_user):
    # given the province's campaign office (subtree) and a system administrator (all)
    office = api_client(make_user("campaign_office", tree.root))
    admin = api_client(make_user("system_admin", tree.root, "all"))
    url = f"/api/v1/orgs/{tree.root.pk}"
    # when
    refused = office.patch(
        url, {"name": "中共内蒙古自治区委员会（新）"}, content_type="application/json"
    )
    allowed = admin.patch(
        url, {"name": "中共内蒙古自治区委员会（新）"}, content_type="application/json"
    )
    # then
    assert refused.status_code == 403 and refused.json()["field"] == "name"
    assert allowed.status_code == 200 and allowed.json()["name"] == "中共内蒙古自治区委员会（新）"


# --- a save that changes nothing ------------------------------------------------------------


def test_service_writes_nothing_when_nothing_changes(tree):
    # given
    before = _state()
    # when the same values are given again, the name with spaces around it
    org_update(
        actor=None,
        org=tree.village_a1,
        name=f" {tree.village_a1.name}\u3000",
        kind=tree.village_a1.kind,
        unit_type=tree.village_a1.unit_type,
        area_type="",
    )
    # then
    assert _state() == before


def test_page_and_api_write_nothing_when_nothing_changes(tree, make_user):
    # given the branch itself and the level above
    own = make_user("org_admin", tree.village_a1, "this_org")
    above = make_user("org_admin", tree.town_a1)
    before = _state()
    # when
    pages = [
        login_client(u).post(f"/orgs/{tree.village_a1.pk}/edit/", _form(tree.village_a1))
        for u in (own, above)
    ]
    apis = [
        api_client(u).patch(
            f"/api/v1/orgs/{tree.village_a1.pk}",
            {"name": tree.village_a1.name, "kind": "branch"},
            content_type="application/json",
        )
        for u in (own, above)
    ]
    # then
    assert [p.status_code for p in pages] == [302, 302]
    assert [a.status_code for a in apis] == [200, 200]
    assert _state() == before


def test_a_change_writes_one_audit_row_and_updates_only_the_changed_columns(tree):
    # when
    with CaptureQueriesContext(connection) as queries:
        org_update(actor=None, org=tree.village_a1, name="中共古路板嘎查支部委员会")
    # then
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "orgs_organization"')]
    assert len(updates) == 1
    assert '"name"' in updates[0] and '"kind"' not in updates[0]
    event = AuditEvent.objects.get(action="orgs.update")
    assert (event.before["name"], event.after["name"]) == (
        "中共古路板村支部委员会",
        "中共古路板嘎查支部委员会",
    )
    assert event.before["kind"] == event.after["kind"] == "branch"
