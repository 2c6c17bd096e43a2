"""`can`, `scoped`, `access_org` and `scope_roots` against a real tree and real assignments.

Every assignment in the scope matrix sits at county_a1 (新城区); the target organization is
named by its relation to it. "Today" is the application's date (`timezone.localdate()`, Asia/
Shanghai), which is what the policy compares validity periods against: `date.today()` on a
UTC machine is a day behind for eight hours of every day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from massline.access.models import DataScope, Role
from massline.access.policy import (
    access_org,
    access_org_by_code,
    can,
    can_anywhere,
    scope_roots,
    scoped,
)
from massline.access.services import assignment_create
from massline.core.audit import audit_record
from massline.core.errors import Forbidden, NotFound
from massline.core.models import AuditEvent
from massline.orgs.models import Organization

SCOPES = ["all", "custom", "this_org", "subtree", "self"]

# The target's relation to the assignment's organization (county_a1) -> the fixture name.
RELATIVES = {
    "same": "county_a1",
    "child": "town_a1",
    "grandchild": "village_a1",
    "sibling": "county_a2",
    "sibling_child": "branch_a2",
    "ancestor": "pref_a",
    "root": "root",
    "other_branch": "county_b1",
}

# Is the target in scope? The custom list is [county_a1, village_a1]: exactly those two.
#                same   child  grandch sibling sib_ch ancest root   other
IN_SCOPE = {
    "all": (True, True, True, True, True, True, True, True),
    "custom": (True, False, True, False, False, False, False, False),
    "this_org": (True, False, False, False, False, False, False, False),
    "subtree": (True, True, True, False, False, False, False, False),
    "self": (False, False, False, False, False, False, False, False),
}

MATRIX = [
    pytest.param(scope, relation, IN_SCOPE[scope][i], id=f"{scope}-{relation}")
    for scope in SCOPES
    for i, relation in enumerate(RELATIVES)
]


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def _user_with_scope(tree, make_user, scope: str, role: str = "org_admin", **period):
    custom = [tree.county_a1, tree.village_a1] if scope == DataScope.CUSTOM else None
    return make_user(role, tree.county_a1, scope, custom=custom, **period)


def _names(orgs) -> set[str]:
    return {o.name for o in orgs}


# --- can ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "relation", "expected"), MATRIX)
def test_can_follows_the_data_scope(tree, make_user, scope, relation, expected):
    # given
    user = _user_with_scope(tree, make_user, scope)
    target = getattr(tree, RELATIVES[relation])
    # when
    allowed = can(user, "orgs.view", target)
    # then
    assert allowed is expected


@pytest.mark.parametrize(("scope", "relation", "expected"), MATRIX)
def test_can_checks_every_permission_of_the_role_with_the_same_scope(
    tree, make_user, scope, relation, expected
):
    # given: org_admin has stats.view and audit.view but not access.manage
    user = _user_with_scope(tree, make_user, scope)
    target = getattr(tree, RELATIVES[relation])
    # when
    result = {perm: can(user, perm, target) for perm in ("stats.view", "audit.view")}
    managed = can(user, "access.manage", target)
    # then
    assert result == {"stats.view": expected, "audit.view": expected}
    assert managed is False


@pytest.mark.parametrize("relation", list(RELATIVES))
@pytest.mark.parametrize(
    "period",
    [
        pytest.param({"valid_from": days(-60), "valid_to": days(-1)}, id="expired"),
        pytest.param({"valid_from": days(1)}, id="starts_tomorrow"),
        pytest.param({"valid_from": days(30), "valid_to": days(60)}, id="future_period"),
    ],
)
def test_an_assignment_outside_its_period_grants_nothing(tree, make_user, period, relation):
    # given: even the widest scope
    user = make_user("system_admin", tree.county_a1, DataScope.ALL, **period)
    target = getattr(tree, RELATIVES[relation])
    # when
    allowed = can(user, "orgs.view", target)
    # then
    assert allowed is False
    assert can_anywhere(user, "orgs.view") is False


@pytest.mark.parametrize(
    "period",
    [
        pytest.param({"valid_from": days(-10), "valid_to": days(0)}, id="last_day_today"),
        pytest.param({"valid_from": days(0)}, id="first_day_today"),
        pytest.param({"valid_from": days(0), "valid_to": days(0)}, id="single_day_today"),
        pytest.param({"valid_from": days(-10), "valid_to": None}, id="open_ended"),
    ],
)
def test_an_assignment_is_valid_on_its_first_and_last_day(tree, make_user, period):
    # given
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE, **period)
    # when
    allowed = can(user, "orgs.view", tree.town_a1)
    # then
    assert allowed is True


@pytest.mark.parametrize("relation", list(RELATIVES))
def test_no_assignment_denies_everything(tree, make_user, relation):
    # given
    user = make_user()
    target = getattr(tree, RELATIVES[relation])
    # when
    allowed = can(user, "orgs.view", target)
    # then
    assert allowed is False
    assert can_anywhere(user, "orgs.view") is False
    assert not scoped(Organization.objects.all(), user, "orgs.view").exists()
    assert scope_roots(user) == []


def test_a_superuser_flag_grants_nothing_without_an_assignment(tree, make_user):
    # given: access comes from assignments only, never from Django's is_superuser
    user = make_user()
    user.is_superuser = True
    user.is_staff = True
    user.save(update_fields=["is_superuser", "is_staff"])
    # when
    allowed = can(user, "orgs.view", tree.root)
    # then
    assert allowed is False


def test_anonymous_and_missing_users_are_denied(tree):
    # given
    anonymous = AnonymousUser()
    # when / then
    assert can(anonymous, "orgs.view", tree.root) is False
    assert can(None, "orgs.view", tree.root) is False
    assert not scoped(Organization.objects.all(), anonymous, "orgs.view").exists()
    with pytest.raises(NotFound):
        access_org(anonymous, tree.root.pk, "orgs.view")


def test_an_inactive_user_is_denied_despite_a_valid_assignment(tree, make_user):
    # given
    user = make_user("system_admin", tree.root, DataScope.ALL)
    user.is_active = False
    user.save(update_fields=["is_active"])
    # when
    allowed = can(user, "orgs.view", tree.root)
    # then
    assert allowed is False


def test_an_assignment_applies_to_the_same_user_object_at_once(tree, make_user, roles):
    # given: the user's (empty) grants were already read and cached on the object
    user = make_user()
    assert can(user, "orgs.view", tree.county_a1) is False
    # when
    assignment_create(
        actor=None,
        user=user,
        role=roles["org_admin"],
        org=tree.county_a1,
        scope=DataScope.SUBTREE,
        valid_from=days(0),
    )
    # then
    assert can(user, "orgs.view", tree.county_a1) is True


# --- scoped ------------------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "relation", "expected"), MATRIX)
def test_scoped_lists_what_can_allows(tree, make_user, scope, relation, expected):
    # given
    user = _user_with_scope(tree, make_user, scope)
    target = getattr(tree, RELATIVES[relation])
    # when
    visible = scoped(Organization.objects.all(), user, "orgs.view")
    # then
    assert visible.filter(pk=target.pk).exists() is expected


# The exact set each scope sees over the whole tree (assignment at county_a1).
VISIBLE = {
    "all": {
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
    },
    "custom": {"county_a1", "village_a1"},
    "this_org": {"county_a1"},
    "subtree": {"county_a1", "town_a1", "village_a1", "village_a2"},
    "self": set(),
}


@pytest.mark.parametrize("scope", SCOPES)
def test_scoped_returns_exactly_the_organizations_of_the_scope(tree, make_user, scope):
    # given
    user = _user_with_scope(tree, make_user, scope)
    # when
    visible = scoped(Organization.objects.all(), user, "orgs.view")
    # then
    assert _names(visible) == {getattr(tree, key).name for key in VISIBLE[scope]}


@pytest.mark.parametrize("scope", SCOPES)
def test_scoped_is_empty_for_a_permission_the_role_lacks(tree, make_user, scope):
    # given: a member holds orgs.view only
    user = _user_with_scope(tree, make_user, scope, role="member")
    # when
    visible = scoped(Organization.objects.all(), user, "stats.view")
    # then
    assert list(visible) == []


def test_scoped_keeps_the_callers_filters(tree, make_user):
    # given
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    # when
    branches = scoped(Organization.objects.filter(kind="branch"), user, "orgs.view")
    # then
    assert _names(branches) == {tree.village_a1.name, tree.village_a2.name}


def test_scoped_subtree_does_not_leak_to_an_organization_whose_path_shares_a_prefix(
    tree, make_user
):
    # given: a subtree at a leaf; its siblings' paths start with the same parent path
    user = make_user("org_admin", tree.village_a1, DataScope.SUBTREE)
    # when
    visible = scoped(Organization.objects.all(), user, "orgs.view")
    # then
    assert _names(visible) == {tree.village_a1.name}
    assert can(user, "orgs.view", tree.village_a2) is False


def test_scoped_audit_events_follow_the_subtree(tree, make_user):
    # given: an event on the county's town and one on the sibling county
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    inside = audit_record(actor=None, action="test.inside", org=tree.town_a1)
    outside = audit_record(actor=None, action="test.outside", org=tree.county_a2)
    nowhere = audit_record(actor=None, action="test.no_org")
    # when
    events = scoped(AuditEvent.objects.all(), user, "audit.view")
    # then
    ids = set(events.values_list("pk", flat=True))
    assert inside.pk in ids
    assert outside.pk not in ids
    assert nowhere.pk not in ids


def test_scoped_audit_events_under_self_scope_are_the_users_own(tree, make_user, roles):
    # given: a role that may read the audit log, for its own actions only
    roles["self_auditor"] = Role.objects.create(
        code="self_auditor", name="self auditor", permissions=["audit.view"]
    )
    user = make_user("self_auditor", tree.county_a1, DataScope.SELF)
    other = make_user()
    own = audit_record(actor=user, action="test.own", org=tree.county_b1)
    foreign = audit_record(actor=other, action="test.foreign", org=tree.county_a1)
    # when
    events = scoped(AuditEvent.objects.all(), user, "audit.view")
    # then
    ids = set(events.values_list("pk", flat=True))
    assert own.pk in ids
    assert foreign.pk not in ids


# --- two assignments ---------------------------------------------------------------------


def test_two_assignments_combine_as_a_union(tree, make_user, roles):
    # given: a county cadre who also sits on a supervision team for another prefecture
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    assignment_create(
        actor=None,
        user=user,
        role=roles["supervisor"],
        org=tree.pref_b,
        scope=DataScope.CUSTOM,
        valid_from=days(-5),
        valid_to=days(20),
        custom_orgs=[tree.county_b1, tree.branch_a2],
    )
    # when
    visible = scoped(Organization.objects.all(), user, "orgs.view")
    # then
    expected = {"county_a1", "town_a1", "village_a1", "village_a2", "county_b1", "branch_a2"}
    assert _names(visible) == {getattr(tree, k).name for k in expected}
    assert can(user, "orgs.view", tree.branch_b1) is False
    assert can(user, "orgs.view", tree.county_a2) is False
    assert can(user, "orgs.view", tree.pref_b) is False


def test_a_permission_applies_only_within_the_scope_of_the_assignment_that_holds_it(
    tree, make_user, roles
):
    # given: orgs.view over the county's subtree (member), stats.view only on a custom list
    user = make_user("member", tree.county_a1, DataScope.SUBTREE)
    assignment_create(
        actor=None,
        user=user,
        role=roles["supervisor"],
        org=tree.pref_b,
        scope=DataScope.CUSTOM,
        valid_from=days(-5),
        custom_orgs=[tree.county_b1],
    )
    # when
    stats_orgs = scoped(Organization.objects.all(), user, "stats.view")
    # then
    assert _names(stats_orgs) == {tree.county_b1.name}
    assert can(user, "stats.view", tree.county_b1) is True
    assert can(user, "stats.view", tree.town_a1) is False
    with pytest.raises(Forbidden):
        access_org(user, tree.town_a1.pk, "stats.view")
    assert access_org(user, tree.county_b1.pk, "stats.view") == tree.county_b1


def test_an_expired_assignment_adds_nothing_to_an_active_one(tree, make_user, roles):
    # given: the prefecture subtree has expired; this_org at the county is current
    user = make_user("org_admin", tree.county_a1, DataScope.THIS_ORG)
    assignment_create(
        actor=None,
        user=user,
        role=roles["campaign_office"],
        org=tree.pref_a,
        scope=DataScope.SUBTREE,
        valid_from=days(-90),
        valid_to=days(-1),
    )
    # when
    visible = scoped(Organization.objects.all(), user, "orgs.view")
    # then
    assert _names(visible) == {tree.county_a1.name}
    assert can(user, "access.manage", tree.county_a1) is False


# --- access_org --------------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "relation", "expected"), MATRIX)
def test_access_org_returns_visible_organizations_and_hides_the_rest(
    tree, make_user, scope, relation, expected
):
    # given
    user = _user_with_scope(tree, make_user, scope)
    target = getattr(tree, RELATIVES[relation])
    # when / then
    if expected:
        assert access_org(user, target.pk, "orgs.view") == target
        assert access_org(user, str(target.pk), "stats.view") == target
    else:
        with pytest.raises(NotFound):
            access_org(user, target.pk, "orgs.view")
        with pytest.raises(NotFound):
            access_org(user, target.pk, "stats.view")


@pytest.mark.parametrize(("scope", "relation", "expected"), MATRIX)
def test_access_org_forbids_a_missing_permission_only_where_the_org_is_visible(
    tree, make_user, scope, relation, expected
):
    # given: a member may see organizations but not their figures
    user = _user_with_scope(tree, make_user, scope, role="member")
    target = getattr(tree, RELATIVES[relation])
    # when / then
    with pytest.raises(Forbidden if expected else NotFound):
        access_org(user, target.pk, "stats.view")


def test_access_org_is_404_for_a_member_at_self_scope_even_at_its_own_org(tree, make_user):
    # given
    user = make_user("member", tree.village_a1, DataScope.SELF)
    # when / then
    with pytest.raises(NotFound):
        access_org(user, tree.village_a1.pk, "orgs.view")
    with pytest.raises(NotFound):
        access_org(user, tree.village_a1.pk, "stats.view")


@pytest.mark.parametrize("org_id", ["0", "-1", "abc", "", None, "1.5", 2**31, 2**63, 10**30])
def test_access_org_is_404_for_an_id_that_names_no_organization(tree, make_user, org_id):
    # given
    user = make_user("system_admin", tree.root, DataScope.ALL)
    # when / then
    with pytest.raises(NotFound):
        access_org(user, org_id, "orgs.view")


def test_access_org_by_code_applies_the_same_rules(tree, make_user):
    # given
    user = make_user("member", tree.county_a1, DataScope.SUBTREE)
    # when / then
    assert access_org_by_code(user, tree.town_a1.code, "orgs.view") == tree.town_a1
    with pytest.raises(Forbidden):
        access_org_by_code(user, tree.town_a1.code, "stats.view")
    with pytest.raises(NotFound):
        access_org_by_code(user, tree.county_a2.code, "orgs.view")
    with pytest.raises(NotFound):
        access_org_by_code(user, "no-such-code", "orgs.view")


# --- scope_roots -------------------------------------------------------------------------


def test_scope_roots_for_all_is_the_top_of_the_tree(tree, make_user):
    # given
    user = make_user("system_admin", tree.county_b1, DataScope.ALL)
    # when
    roots = scope_roots(user)
    # then
    assert roots == [tree.root]


def test_scope_roots_of_a_custom_list_are_exactly_its_organizations(tree, make_user):
    # given: a list with an organization below another listed one; custom does not cover
    # descendants, so both are starting points
    user = make_user(
        "supervisor",
        tree.pref_b,
        DataScope.CUSTOM,
        custom=[tree.village_a1, tree.county_a1, tree.branch_b1],
    )
    # when
    roots = scope_roots(user)
    # then
    assert set(roots) == {tree.county_a1, tree.village_a1, tree.branch_b1}
    assert len(roots) == 3
    assert tree.pref_b not in roots


def test_scope_roots_of_nested_subtrees_collapse_to_the_highest(tree, make_user, roles):
    # given
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    for org, scope in ((tree.pref_a, DataScope.SUBTREE), (tree.town_a1, DataScope.THIS_ORG)):
        assignment_create(
            actor=None,
            user=user,
            role=roles["campaign_office"],
            org=org,
            scope=scope,
            valid_from=days(-1),
        )
    # when
    roots = scope_roots(user)
    # then
    assert roots == [tree.pref_a]


def test_scope_roots_drop_custom_organizations_inside_a_subtree(tree, make_user, roles):
    # given
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    assignment_create(
        actor=None,
        user=user,
        role=roles["supervisor"],
        org=tree.pref_b,
        scope=DataScope.CUSTOM,
        valid_from=days(-1),
        custom_orgs=[tree.village_a2, tree.county_b1],
    )
    # when
    roots = scope_roots(user)
    # then
    assert set(roots) == {tree.county_a1, tree.county_b1}
    assert len(roots) == 2


def test_scope_roots_of_separate_subtrees_are_in_tree_order(tree, make_user, roles):
    # given
    user = make_user("org_admin", tree.county_b1, DataScope.SUBTREE)
    assignment_create(
        actor=None,
        user=user,
        role=roles["org_admin"],
        org=tree.county_a2,
        scope=DataScope.SUBTREE,
        valid_from=days(-1),
    )
    # when
    roots = scope_roots(user)
    # then
    assert roots == sorted([tree.county_a2, tree.county_b1], key=lambda o: o.path)


@pytest.mark.parametrize(
    ("role", "scope", "perm", "expected"),
    [
        pytest.param("org_admin", "this_org", "orgs.view", ["county_a1"], id="this_org"),
        pytest.param("org_admin", "subtree", "orgs.view", ["county_a1"], id="subtree"),
        pytest.param("member", "self", "orgs.view", [], id="self"),
        pytest.param("member", "subtree", "stats.view", [], id="permission_missing"),
        pytest.param("org_admin", "subtree", "stats.view", ["county_a1"], id="other_permission"),
    ],
)
def test_scope_roots_per_scope_and_permission(tree, make_user, role, scope, perm, expected):
    # given
    user = make_user(role, tree.county_a1, scope)
    # when
    roots = scope_roots(user, perm)
    # then
    assert roots == [getattr(tree, key) for key in expected]


def test_scope_roots_ignore_an_expired_assignment(tree, make_user, roles):
    # given
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    assignment_create(
        actor=None,
        user=user,
        role=roles["campaign_office"],
        org=tree.root,
        scope=DataScope.SUBTREE,
        valid_from=days(-30),
        valid_to=days(-1),
    )
    # when
    roots = scope_roots(user)
    # then
    assert roots == [tree.county_a1]
