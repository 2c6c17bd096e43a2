"""Writes to the organization tree. Each one checks its rules, records an audit row and keeps
the counters in the same transaction. Callers check permissions first (access app; who may
change which field: `orgs.authority`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, clean_or_raise
from massline.core.text import clean_line, first_unprintable

from . import counters
from .metrics import difference
from .models import Division, Organization, OrgKind
from .paths import child_path, depth_of, subtree_bounds

if TYPE_CHECKING:
    from massline.accounts.models import User

# Tables that keep a copy of the owning organization's path (`org_path`), rewritten with the
# tree when a subtree moves. Each domain registers its own at start-up.
_PATH_COPIES: list[tuple[str, str]] = [("core_auditevent", "org_path")]


def register_path_copy(table: str, column: str = "org_path") -> None:
    if (table, column) not in _PATH_COPIES:
        _PATH_COPIES.append((table, column))


@dataclass(frozen=True)
class KindRule:
    """Records of another app that only some kinds of organization may hold (members: branches
    and general branches). `refusal(org, count)` says, translated, why `org` may not become
    another kind while it holds `count` of them."""

    model: type[Model]
    org_field: str
    kinds: frozenset[str]
    refusal: Callable[[Organization, int], str]
    code: str


# Each domain registers its own at start-up (members/apps.py); orgs never imports them.
_KIND_RULES: list[KindRule] = []


def register_kind_rule(
    model: type[Model],
    *,
    kinds: tuple[str, ...],
    refusal: Callable[[Organization, int], str],
    code: str,
    org_field: str = "org",
) -> None:
    if not any(r.model is model and r.org_field == org_field for r in _KIND_RULES):
        _KIND_RULES.append(KindRule(model, org_field, frozenset(kinds), refusal, code))


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


def org_name_clean(name: str) -> str:
    """An organization's name as stored: trimmed, composed (NFC), one printable line within
    the field's length. Refused with the reason, on the field `name`."""
    name = clean_line(name)
    if not name:
        raise ApplicationError(_("Enter the organization's name."), code="name_blank", field="name")
    bad = first_unprintable(name)
    if bad is not None:
        position, point, what = bad
        raise ApplicationError(
            _(
                "The name cannot hold character %(position)s (%(point)s, %(what)s): it cannot "
                "be shown or printed. Type the name again without it."
            )
            % {"position": position, "point": point, "what": what},
            code="name_unprintable",
            field="name",
        )
    limit = Organization._meta.get_field("name").max_length or 0
    if len(name) > limit:
        raise ApplicationError(
            _("The name has %(length)s characters; at most %(limit)s are allowed.")
            % {"length": len(name), "limit": limit},
            code="name_too_long",
            field="name",
        )
    return name


def _check_name_free(
    *, parent: Organization | None, name: str, exclude: int | None = None, field: str = "name"
) -> None:
    """No two organizations under one parent share a name. The parent's row is locked, so two
    renames or creations under it cannot both take the same name."""
    if parent is not None:
        Organization.objects.select_for_update().filter(pk=parent.pk).values_list("pk").get()
    siblings = Organization.objects.filter(parent=parent, name=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    taken = siblings.values_list("code", flat=True).first()
    if taken is None:
        return
    names = {"name": name, "code": taken}
    if parent is None:
        message = _("Another top-level organization is named %(name)s (code %(code)s).") % names
    else:
        message = _(
            "%(parent)s already has a subordinate organization named %(name)s (code %(code)s)."
        ) % {"parent": parent.name, **names}
    raise ApplicationError(message, code="name_taken", field=field)


def _check_kind_change(org: Organization, kind: str) -> None:
    """A kind the organization's records and subordinates allow: no member left outside a
    branch or general branch (members/rules.py), no branch with subordinate organizations."""
    for rule in _KIND_RULES:
        if kind in rule.kinds:
            continue
        count = rule.model._default_manager.filter(**{rule.org_field: org.pk}).count()
        if count:
            raise ApplicationError(rule.refusal(org, count), code=rule.code, field="kind")
    if kind == OrgKind.BRANCH:
        children = Organization.objects.filter(parent=org).count()
        if children:
            raise ApplicationError(
                ngettext(
                    "%(org)s has %(count)s subordinate organization, and a branch has none: "
                    "move it elsewhere first, or choose another kind.",
                    "%(org)s has %(count)s subordinate organizations, and a branch has none: "
                    "move them elsewhere first, or choose another kind.",
                    children,
                )
                % {"org": org.name, "count": children},
                code="branch_has_no_children",
                field="kind",
            )


@transaction.atomic
def org_create(
    *,
    actor: User | None,
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
    name = org_name_clean(name)
    _check_name_free(parent=parent, name=name)
    # The path holds the organization's own id, so the row is written first with a
    # placeholder path unique to this transaction and completed once the id is known.
    placeholder = f"~new~{code}"
    org = Organization(
        code=code,
        name=name,
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


def _locked(org: Organization) -> tuple[Organization, dict[str, Any]]:
    """The organization's row, locked for the change, and its state before it."""
    locked = Organization.objects.select_for_update().get(pk=org.pk)
    return locked, _snapshot(locked)


def _change_save(
    *, actor: User | None, org: Organization, before: dict[str, Any], action: str, fields: list[str]
) -> Organization:
    """Save a change made to a locked `org`: validated, only the changed columns, one audit
    row."""
    clean_or_raise(org)
    org.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor, action=action, org=org, target=org, before=before, after=_snapshot(org)
    )
    return org


@transaction.atomic
def org_update(
    *,
    actor: User | None,
    org: Organization,
    name: str | None = None,
    kind: str | None = None,
    unit_type: str | None = None,
    area_type: str | None = None,
) -> Organization:
    """Change what is given (None: leave it). The name is cleaned and must be free among the
    siblings; a new kind must suit the organization's members and subordinates. Nothing that
    differs from what is stored: nothing is written, no audit row."""
    org, before = _locked(org)
    wanted = {
        "name": org_name_clean(name) if name is not None else None,
        "kind": kind,
        "unit_type": unit_type,
        "area_type": area_type,
    }
    changes = {f: v for f, v in wanted.items() if v is not None and v != getattr(org, f)}
    if not changes:
        return org
    old_kind = org.kind
    for field, value in changes.items():
        setattr(org, field, value)
    clean_or_raise(org)  # an unknown kind or type, before the rules that read it
    if "name" in changes:
        _check_name_free(parent=org.parent, name=org.name, exclude=org.pk)
    if "kind" in changes:
        _check_kind_change(org, org.kind)
        counters.bump(
            path=org.path,
            deltas=difference(
                counters.org_metric_deltas(old_kind), counters.org_metric_deltas(org.kind)
            ),
        )
    return _change_save(
        actor=actor, org=org, before=before, action="orgs.update", fields=list(changes)
    )


@transaction.atomic
def org_move(*, actor: User | None, org: Organization, new_parent: Organization) -> Organization:
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
    _check_name_free(parent=new_parent, name=org.name, field="parent")
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
