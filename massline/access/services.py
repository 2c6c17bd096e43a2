"""Granting and revoking roles; looking after the accounts of users under an administrator."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from massline.accounts.services import login_unlock, password_store
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden
from massline.orgs.models import Organization

from .models import DataScope, Role, RoleAssignment
from .permissions import BUILTIN_ROLES
from .policy import forget_grants
from .users import current_assignments, may_manage

if TYPE_CHECKING:
    from massline.accounts.models import User


@transaction.atomic
def roles_ensure_builtin(*, actor: User | None) -> list[str]:
    """Create or refresh the roles the platform ships with; the codes of those it created or
    changed, each with an audit row (none when all were as shipped)."""
    existing = {r.code: r for r in Role.objects.select_for_update().filter(code__in=BUILTIN_ROLES)}
    changed = []
    for code, (label, perms) in BUILTIN_ROLES.items():
        role = existing.get(code)
        shipped = {"name": str(label), "permissions": list(perms), "is_builtin": True}
        if role is not None and all(getattr(role, k) == v for k, v in shipped.items()):
            continue
        before = None if role is None else {"name": role.name, "permissions": role.permissions}
        if role is None:
            role = Role.objects.create(code=code, **shipped)
        else:
            for field, value in shipped.items():
                setattr(role, field, value)
            role.save(update_fields=list(shipped))
        audit_record(
            actor=actor,
            action="access.role_builtin",
            target=role,
            before=before,
            after={"name": role.name, "permissions": role.permissions},
        )
        changed.append(code)
    return changed


def _snapshot(a: RoleAssignment, custom: list[int]) -> dict[str, Any]:
    return {
        "user": a.user_id,
        "role": a.role.code,
        "org": a.org_id,
        "scope": a.scope,
        "custom_orgs": custom,
        "valid_from": a.valid_from.isoformat(),
        "valid_to": a.valid_to.isoformat() if a.valid_to else None,
    }


@transaction.atomic
def assignment_create(
    *,
    actor: User | None,
    user: Any,
    role: Role,
    org: Organization,
    scope: str,
    valid_from: date,
    valid_to: date | None = None,
    custom_orgs: Iterable[Organization] = (),
    note: str = "",
) -> RoleAssignment:
    if scope not in DataScope.values:
        raise ApplicationError(_("Unknown data scope %(scope)s.") % {"scope": scope}, field="scope")
    if valid_to is not None and valid_to < valid_from:
        raise ApplicationError(
            _("The end date %(end)s is before the start date %(start)s.")
            % {"end": valid_to.isoformat(), "start": valid_from.isoformat()},
            field="valid_to",
        )
    custom = list(custom_orgs)
    if scope == DataScope.CUSTOM and not custom:
        raise ApplicationError(
            _("A custom data scope needs at least one organization."), field="custom_orgs"
        )
    if scope != DataScope.CUSTOM and custom:
        raise ApplicationError(
            _("Only a custom data scope takes a list of organizations."), field="custom_orgs"
        )
    assignment = RoleAssignment(
        user=user,
        role=role,
        org=org,
        scope=scope,
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
    )
    assignment.full_clean()
    assignment.save()
    if custom:
        assignment.custom_orgs.set(custom)
    audit_record(
        actor=actor,
        action="access.assign",
        org=org,
        target=assignment,
        after=_snapshot(assignment, [o.pk for o in custom]),
    )
    forget_grants(user)
    return assignment


@transaction.atomic
def assignment_end(*, actor: User | None, assignment: RoleAssignment, on: date) -> RoleAssignment:
    """End an assignment on a date (it stays in the record)."""
    if on < assignment.valid_from:
        raise ApplicationError(
            _("The end date %(end)s is before the start date %(start)s.")
            % {"end": on.isoformat(), "start": assignment.valid_from.isoformat()},
            field="valid_to",
        )
    if assignment.valid_to is not None and on > assignment.valid_to:
        raise ApplicationError(
            _("The assignment already ends on %(end)s; ending it cannot extend it.")
            % {"end": assignment.valid_to.isoformat()},
            field="valid_to",
        )
    custom = list(assignment.custom_orgs.values_list("pk", flat=True))
    before = _snapshot(assignment, custom)
    assignment.valid_to = on
    assignment.save(update_fields=["valid_to"])
    audit_record(
        actor=actor,
        action="access.end",
        org=assignment.org,
        target=assignment,
        before=before,
        after=_snapshot(assignment, custom),
    )
    forget_grants(assignment.user)
    return assignment


def _account_audit(*, actor: User, user: User, action: str, after: dict[str, Any]) -> None:
    """Against each organization where the user holds a role, so the levels above see it."""
    orgs = {a.org_id: a.org for a in current_assignments(user)}
    for org in orgs.values() or [None]:
        audit_record(actor=actor, action=action, org=org, target=user, after=after)


@transaction.atomic
def user_password_reset(*, actor: User, user: User, new_password: str, repeated: str) -> User:
    """An administrator sets the password of a user under them (and so unlocks the account);
    the user should change it at their next sign-in. The audit row never holds it."""
    if not may_manage(actor, user):
        raise Forbidden(_("You may not reset the password of this user."))
    user = password_store(user=user, new_password=new_password, repeated=repeated)
    _account_audit(actor=actor, user=user, action="access.password_reset", after={})
    return user


@transaction.atomic
def user_unlock(*, actor: User, user: User) -> bool:
    """An administrator lets a user locked by failed sign-ins try again now; was it locked?"""
    if not may_manage(actor, user):
        raise Forbidden(_("You may not unlock the account of this user."))
    was_locked = login_unlock(username=user.username)
    _account_audit(actor=actor, user=user, action="access.unlock", after={"locked": was_locked})
    return was_locked
