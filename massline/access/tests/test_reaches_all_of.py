"""`reaches_all_of`: does one permission cover everything another reaches (e.g. may an export
of all the roster a user sees carry full numbers)? Every kind of scope, with and without an
organization to stay under."""

from __future__ import annotations

import datetime as dt

import pytest

from massline.access.models import DataScope
from massline.access.policy import forget_grants, reaches_all_of
from massline.access.services import assignment_create

VIEW, SENSITIVE = "members.view", "members.view_sensitive"


def grant(user, roles, role, org, scope, custom=()):
    assignment_create(
        actor=None,
        user=user,
        role=roles[role],
        org=org,
        scope=scope,
        valid_from=dt.date.today() - dt.timedelta(days=1),
        valid_to=None,
        custom_orgs=list(custom),
    )
    forget_grants(user)


def test_all_scope_covers_everything(tree, make_user):
    user = make_user("system_admin", tree.root, DataScope.ALL)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW, under=tree.town_a1)


def test_same_subtree_for_both(tree, make_user):
    user = make_user("org_admin", tree.pref_a)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW, under=tree.village_a1)


def test_no_right_at_all(tree, make_user):
    user = make_user("supervisor", tree.pref_a)
    assert not reaches_all_of(user, SENSITIVE, of_perm=VIEW)
    assert not reaches_all_of(user, SENSITIVE, of_perm=VIEW, under=tree.village_a1)


def test_wide_view_and_narrow_right(tree, make_user, roles):
    # given the roster of the region, full numbers in one county
    user = make_user("supervisor", tree.root)
    grant(user, roles, "org_admin", tree.county_a1, DataScope.SUBTREE)
    assert not reaches_all_of(user, SENSITIVE, of_perm=VIEW)
    assert not reaches_all_of(user, SENSITIVE, of_perm=VIEW, under=tree.pref_a)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW, under=tree.county_a1)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW, under=tree.village_a2)


def test_view_all_is_covered_only_under_a_covered_org(tree, make_user, roles):
    user = make_user("supervisor", tree.root, DataScope.ALL)
    grant(user, roles, "org_admin", tree.pref_b, DataScope.SUBTREE)
    assert not reaches_all_of(user, SENSITIVE, of_perm=VIEW)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW, under=tree.county_b1)
    assert not reaches_all_of(user, SENSITIVE, of_perm=VIEW, under=tree.pref_a)


def test_two_view_subtrees_each_needs_cover(tree, make_user, roles):
    user = make_user("supervisor", tree.pref_a)
    grant(user, roles, "supervisor", tree.pref_b, DataScope.SUBTREE)
    grant(user, roles, "org_admin", tree.pref_a, DataScope.SUBTREE)
    assert not reaches_all_of(user, SENSITIVE, of_perm=VIEW)
    # under pref_a, the pref_b subtree is beside the region and does not count
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW, under=tree.pref_a)
    grant(user, roles, "org_admin", tree.root, DataScope.SUBTREE)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW)


def test_this_org_and_custom_are_checked_org_by_org(tree, make_user, roles):
    user = make_user("org_admin", tree.village_a1, DataScope.THIS_ORG)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW)
    team = make_user(
        "supervisor", tree.root, DataScope.CUSTOM, custom=[tree.village_a1, tree.village_a2]
    )
    assert not reaches_all_of(team, SENSITIVE, of_perm=VIEW)
    grant(team, roles, "org_admin", tree.village_a1, DataScope.THIS_ORG)
    assert not reaches_all_of(team, SENSITIVE, of_perm=VIEW)
    # under village_a1 only that branch counts
    assert reaches_all_of(team, SENSITIVE, of_perm=VIEW, under=tree.village_a1)
    grant(team, roles, "org_admin", tree.town_a1, DataScope.SUBTREE)
    assert reaches_all_of(team, SENSITIVE, of_perm=VIEW)


@pytest.mark.parametrize("scope", [DataScope.SUBTREE, DataScope.THIS_ORG])
def test_a_narrower_view_inside_a_wider_right(tree, make_user, roles, scope):
    user = make_user("supervisor", tree.town_a1, scope)
    grant(user, roles, "org_admin", tree.pref_a, DataScope.SUBTREE)
    assert reaches_all_of(user, SENSITIVE, of_perm=VIEW)
