"""Writes to the organization tree. Each one checks its rules, records an audit row and keeps
the counters in the same transaction. Callers check permissions first (access app)."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from massline.core.audit import audit_record
from massline.core.errors import ApplicationError

from . import counters
from .metrics import difference
from .models import Division, Organization, OrgKind
from .paths import child_path, depth_of, subtree_bounds

# Tables that keep a copy of the owning organization's path (`org_path`), rewritten with the
# tree when a subtree moves. Each domain registers its own at start-up.
_PATH_COPIES: list[tuple[str, str]] = [("core_auditevent", "org_path")]


def register_path_copy(table: str, column: str = "org_path") -> None:
    if (table, column) not in _PATH_COPIES:
        _PATH_COPIES.append((table, column))


def _snapshot(org: Organization) -> dict[str, Any]:
    return {
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "unit_type": org.unit_type,
        "area_type": org.area_type,
        "division": org.division_id,
        "parent": org.parent_id,
        "path": org.path,
    }


@transaction.atomic
def org_create(
    *,
    actor: Any,
    parent: Organization | None,
    code: str,
    name: str,
    kind: str,
    unit_type: str,
    area_type: str = "",
    division: Division | None = None,
) -> Organization:
    code = code.strip()
    if parent is not None and parent.kind == OrgKind.BRANCH:
        raise ApplicationError(
            _("A branch cannot have subordinate organizations (party groups belong to members)."),
            code="branch_has_no_children",
            field="parent",
        )
    if Organization.objects.filter(code=code).exists():
        raise ApplicationError(
            _("The organization code %(code)s is taken.") % {"code": code}, field="code"
        )
    # The path holds the organization's own id, so the row is written first with a
    # placeholder path unique to this transaction and completed once the id is known.
    placeholder = f"~new~{code}"
    org = Organization(
        code=code,
        name=name.strip(),
        kind=kind,
        unit_type=unit_type,
        area_type=area_type,
        division=division,
        parent=parent,
        depth=0,
        path=placeholder,
    )
    org.full_clean()
    org.save()
    org.path = child_path(parent.path if parent else "", org.pk)
    org.depth = depth_of(org.path)
    org.save(update_fields=["path", "depth"])
    counters.bump(path=org.path, deltas=counters.org_metric_deltas(org.kind))
    audit_record(actor=actor, action="orgs.create", org=org, target=org, after=_snapshot(org))
    return org


@transaction.atomic
def org_update(
    *,
    actor: Any,
    org: Organization,
    name: str | None = None,
    kind: str | None = None,
    unit_type: str | None = None,
    area_type: str | None = None,
) -> Organization:
    before = _snapshot(org)
    old_kind = org.kind
    if name is not None:
        org.name = name.strip()
    if kind is not None:
        org.kind = kind
    if unit_type is not None:
        org.unit_type = unit_type
    if area_type is not None:
        org.area_type = area_type
    org.full_clean()
    org.save(update_fields=["name", "kind", "unit_type", "area_type", "updated_at"])
    if org.kind != old_kind:
        counters.bump(
            path=org.path,
            deltas=difference(
                counters.org_metric_deltas(old_kind), counters.org_metric_deltas(org.kind)
            ),
        )
    audit_record(
        actor=actor, action="orgs.update", org=org, target=org, before=before, after=_snapshot(org)
    )
    return org


@transaction.atomic
def org_move(*, actor: Any, org: Organization, new_parent: Organization) -> Organization:
    """Move an organization and its whole subtree under `new_parent`: the paths are rewritten
    by one statement per table, and the counters follow."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    new_parent = Organization.objects.get(pk=new_parent.pk)
    if new_parent.pk == org.pk or new_parent.path.startswith(org.path):
        raise ApplicationError(
            _(
                "%(org)s cannot be moved under %(parent)s: that is the organization itself or one of its subordinates."
            )
            % {"org": org.name, "parent": new_parent.name},
            code="move_into_own_subtree",
            field="parent",
        )
    if org.parent_id == new_parent.pk:
        return org
    before = _snapshot(org)
    old_path = org.path
    old_parent_path = old_path[: -len(child_path("", org.pk))]
    new_path = child_path(new_parent.path, org.pk)
    totals = {m: sub for m, (_own, sub) in counters.read([org.pk]).get(org.pk, {}).items()}
    low, high = subtree_bounds(old_path)
    depth_change = depth_of(new_path) - depth_of(old_path)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orgs_organization SET path = %s || substr(path, %s), depth = depth + %s "
            "WHERE path >= %s AND path < %s",
            [new_path, len(old_path) + 1, depth_change, low, high],
        )
        for table, column in _PATH_COPIES:
            cursor.execute(
                f"UPDATE {table} SET {column} = %s || substr({column}, %s) "
                f"WHERE {column} >= %s AND {column} < %s",
                [new_path, len(old_path) + 1, low, high],
            )
    Organization.objects.filter(pk=org.pk).update(parent=new_parent)
    counters.shift_subtree(
        old_parent_path=old_parent_path, new_parent_path=new_parent.path, totals=totals
    )
    org.refresh_from_db()
    audit_record(
        actor=actor, action="orgs.move", org=org, target=org, before=before, after=_snapshot(org)
    )
    return org
