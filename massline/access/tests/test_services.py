"""Granting and ending role assignments: the rules, the database constraint, the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from massline.access.models import DataScope, Role, RoleAssignment
from massline.access.permissions import BUILTIN_ROLES
from massline.access.policy import can
from massline.access.services import (
    assignment_create,
    assignment_end,
    roles_ensure_builtin,
)
from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def _counts() -> tuple[int, int]:
    return RoleAssignment.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(
    ("scope", "custom_keys", "valid_from", "valid_to", "field"),
    [
        pytest.param("subtree", [], days(0), days(-1), "valid_to", id="end_before_start"),
        pytest.param("custom", ["county_a1"], days(10), days(3), "valid_to", id="custom_backwards"),
        pytest.param("custom", [], days(0), None, "custom_orgs", id="custom_without_orgs"),
        pytest.param(
            "subtree", ["county_a1"], days(0), None, "custom_orgs", id="subtree_with_orgs"
        ),
        pytest.param(
            "this_org", ["town_a1"], days(0), None, "custom_orgs", id="this_org_with_orgs"
        ),
        pytest.param("all", ["root"], days(0), None, "custom_orgs", id="all_with_orgs"),
        pytest.param("self", ["county_a1"], days(0), None, "custom_orgs", id="self_with_orgs"),
        pytest.param("everything", [], days(0), None, "scope", id="unknown_scope"),
        pytest.param("", [], days(0), None, "scope", id="empty_scope"),
        pytest.param("SUBTREE", [], days(0), None, "scope", id="scope_is_case_sensitive"),
    ],
)
def test_assignment_create_rejects_a_broken_rule_and_writes_nothing(
    tree, make_user, roles, scope, custom_keys, valid_from, valid_to, field
):
    # given
    admin = make_user("system_admin", tree.root, DataScope.ALL)
    user = make_user()
    before = _counts()
    # when
    with pytest.raises(ApplicationError) as caught:
        assignment_create(
            actor=admin,
            user=user,
            role=roles["org_admin"],
            org=tree.county_a1,
            scope=scope,
            valid_from=valid_from,
            valid_to=valid_to,
            custom_orgs=[getattr(tree, key) for key in custom_keys],
        )
    # then
    assert caught.value.field == field
    assert caught.value.message
    assert _counts() == before
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert can(user, "orgs.view", tree.county_a1) is False


def test_assignment_create_names_both_dates_when_the_end_is_before_the_start(
    tree, make_user, roles
):
    # given
    user = make_user()
    # when
    with pytest.raises(ApplicationError) as caught:
        assignment_create(
            actor=None,
            user=user,
            role=roles["supervisor"],
            org=tree.county_a1,
            scope=DataScope.THIS_ORG,
            valid_from=date(2025, 3, 10),
            valid_to=date(2025, 3, 9),
        )
    # then
    assert "2025-03-09" in caught.value.message
    assert "2025-03-10" in caught.value.message
    assert caught.value.as_dict()["field"] == "valid_to"


def test_assignment_create_accepts_a_single_day_period(tree, make_user, roles):
    # given
    user = make_user()
    # when
    assignment = assignment_create(
        actor=None,
        user=user,
        role=roles["supervisor"],
        org=tree.county_a1,
        scope=DataScope.THIS_ORG,
        valid_from=days(0),
        valid_to=days(0),
    )
    # then
    assignment.refresh_from_db()
    assert assignment.valid_from == assignment.valid_to == days(0)


def test_the_database_rejects_an_end_before_the_start_when_the_service_is_bypassed(
    tree, make_user, roles
):
    # given
    user = make_user()
    before = RoleAssignment.objects.count()
    # when
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=user,
            role=roles["org_admin"],
            org=tree.county_a1,
            scope=DataScope.SUBTREE,
            valid_from=days(0),
            valid_to=days(-1),
        )
    # then
    assert RoleAssignment.objects.count() == before


def test_the_database_constraint_allows_an_open_end_and_equal_dates(tree, make_user, roles):
    # given
    user = make_user()
    # when
    for valid_to in (None, days(0)):
        RoleAssignment.objects.create(
            user=user,
            role=roles["org_admin"],
            org=tree.county_a1,
            scope=DataScope.SUBTREE,
            valid_from=days(0),
            valid_to=valid_to,
        )
    # then
    assert RoleAssignment.objects.filter(user=user).count() == 2


@pytest.mark.parametrize("scope", ["all", "this_org", "subtree", "self", "custom"])
def test_assignment_create_writes_an_access_assign_audit_event(tree, make_user, roles, scope):
    # given
    admin = make_user("system_admin", tree.root, DataScope.ALL)
    user = make_user()
    custom = [tree.village_a1, tree.branch_b1] if scope == DataScope.CUSTOM else []
    # when
    assignment = assignment_create(
        actor=admin,
        user=user,
        role=roles["supervisor"],
        org=tree.county_a1,
        scope=scope,
        valid_from=days(-1),
        valid_to=days(30),
        custom_orgs=custom,
        note="督导组第一组",
    )
    # then
    event = AuditEvent.objects.get(action="access.assign", target_id=str(assignment.pk))
    assert event.actor == admin
    assert event.org_id == tree.county_a1.pk
    assert event.org_path == tree.county_a1.path
    assert event.target_type == "access.roleassignment"
    assert event.before is None
    assert event.after == {
        "user": user.pk,
        "role": "supervisor",
        "org": tree.county_a1.pk,
        "scope": scope,
        "custom_orgs": [o.pk for o in custom],
        "valid_from": days(-1).isoformat(),
        "valid_to": days(30).isoformat(),
    }
    assert set(assignment.custom_orgs.all()) == set(custom)
    assert assignment.note == "督导组第一组"


def test_each_assignment_writes_its_own_audit_event(tree, make_user, roles):
    # given
    user = make_user()
    before = AuditEvent.objects.filter(action="access.assign").count()
    # when
    for org in (tree.county_a1, tree.county_b1, tree.county_a1):
        assignment_create(
            actor=None,
            user=user,
            role=roles["org_admin"],
            org=org,
            scope=DataScope.SUBTREE,
            valid_from=days(0),
        )
    # then
    events = AuditEvent.objects.filter(action="access.assign", after__user=user.pk)
    assert AuditEvent.objects.filter(action="access.assign").count() == before + 3
    assert events.count() == 3
    assert events.filter(actor__isnull=True).count() == 3
    assert len(set(events.values_list("target_id", flat=True))) == 3


def test_assignment_end_sets_the_last_day_and_audits_before_and_after(tree, make_user, roles):
    # given
    admin = make_user("system_admin", tree.root, DataScope.ALL)
    user = make_user()
    assignment = assignment_create(
        actor=admin,
        user=user,
        role=roles["supervisor"],
        org=tree.pref_a,
        scope=DataScope.CUSTOM,
        valid_from=days(-10),
        custom_orgs=[tree.county_a2],
    )
    # when
    assignment_end(actor=admin, assignment=assignment, on=days(-1))
    # then
    assignment.refresh_from_db()
    assert assignment.valid_to == days(-1)
    event = AuditEvent.objects.get(action="access.end", target_id=str(assignment.pk))
    assert event.actor == admin
    assert event.org_id == tree.pref_a.pk
    assert event.before["valid_to"] is None
    assert event.after["valid_to"] == days(-1).isoformat()
    assert event.before["custom_orgs"] == event.after["custom_orgs"] == [tree.county_a2.pk]


def test_an_ended_assignment_stops_granting_the_next_day_and_stays_in_the_record(
    tree, make_user, roles
):
    # given
    user = make_user()
    assignment = assignment_create(
        actor=None,
        user=user,
        role=roles["org_admin"],
        org=tree.county_a1,
        scope=DataScope.SUBTREE,
        valid_from=days(-10),
    )
    # when
    assignment_end(actor=None, assignment=assignment, on=days(-1))
    # then
    assert can(user, "orgs.view", tree.county_a1) is False
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_an_assignment_ended_today_still_grants_today(tree, make_user, roles):
    # given
    user = make_user()
    assignment = assignment_create(
        actor=None,
        user=user,
        role=roles["org_admin"],
        org=tree.county_a1,
        scope=DataScope.SUBTREE,
        valid_from=days(-10),
    )
    # when
    assignment_end(actor=None, assignment=assignment, on=days(0))
    # then
    assert can(user, "orgs.view", tree.town_a1) is True


def test_assignment_end_rejects_a_day_before_the_start_and_changes_nothing(tree, make_user, roles):
    # given
    user = make_user()
    assignment = assignment_create(
        actor=None,
        user=user,
        role=roles["org_admin"],
        org=tree.county_a1,
        scope=DataScope.SUBTREE,
        valid_from=days(0),
        valid_to=days(30),
    )
    events_before = AuditEvent.objects.filter(action="access.end").count()
    # when
    with pytest.raises(ApplicationError) as caught:
        assignment_end(actor=None, assignment=assignment, on=days(-1))
    # then
    assert caught.value.field == "valid_to"
    assignment.refresh_from_db()
    assert assignment.valid_to == days(30)
    assert AuditEvent.objects.filter(action="access.end").count() == events_before


def test_roles_ensure_builtin_restores_the_shipped_permissions(db):
    # given: a built-in role was tampered with
    roles_ensure_builtin(actor=None)
    Role.objects.filter(code="member").update(permissions=["orgs.view", "audit.view"])
    # when
    roles_ensure_builtin(actor=None)
    # then
    stored = {r.code: r.permissions for r in Role.objects.filter(is_builtin=True)}
    assert stored == {code: perms for code, (_label, perms) in BUILTIN_ROLES.items()}


def test_roles_ensure_builtin_audits_what_it_restores_and_nothing_else(db):
    # given: the roles as shipped, then one tampered with
    roles_ensure_builtin(actor=None)
    before = AuditEvent.objects.filter(action="access.role_builtin").count()
    assert roles_ensure_builtin(actor=None) == []
    Role.objects.filter(code="member").update(permissions=["orgs.view", "audit.view"])
    # when
    changed = roles_ensure_builtin(actor=None)
    # then: one row, for that role, with what it held and what it holds now
    assert changed == ["member"]
    rows = AuditEvent.objects.filter(action="access.role_builtin").order_by("id")
    assert rows.count() == before + 1
    assert rows.last().before == {
        "name": Role.objects.get(code="member").name,
        "permissions": ["orgs.view", "audit.view"],
    }
