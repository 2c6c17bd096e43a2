"""Who may change what in the organization tree, for the pages and the API (an interface
module: it asks `access` about roles and scopes; the rules about the tree are here).

An organization's administrators keep its details (the area type). Its place in the tree and
what it is (name, kind, unit type, parent) are decided by the level above: someone who
manages the organization's parent too (the parent's administrators, or a campaign office over
them). A top-level organization has no level above; only a scope over the whole tree changes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from massline.access.permissions import ORGS_MANAGE
from massline.access.policy import can, scope_q
from massline.core.errors import ApplicationError
from massline.core.text import clean_line

from .models import Organization

#: The fields only the level above changes, in the order a form shows them.
LEVEL_ABOVE_FIELDS = ("name", "kind", "unit_type")


def can_change_structure(user: Any, org: Organization) -> bool:
    """May the user change the organization's name, kind and unit type? Authority over it and
    over its parent; for a top-level organization, over every organization."""
    if not can(user, ORGS_MANAGE, org):
        return False
    if org.parent is None:
        return scope_q(user, ORGS_MANAGE, Organization) is None
    return can(user, ORGS_MANAGE, org.parent)


def can_move(user: Any, org: Organization) -> bool:
    """Moving an organization takes authority over it and over where it sits now."""
    return org.parent is not None and can_change_structure(user, org)


def refuse_own_structure_changes(user: Any, org: Organization, changes: Mapping[str, Any]) -> None:
    """Forbidden, naming the first field, when `changes` would alter a field that only the
    level above may change and the user is not the level above. A value equal to the stored
    one (a name equal once trimmed) is no change."""
    for field in LEVEL_ABOVE_FIELDS:
        if field not in changes or changes[field] is None:
            continue
        value = clean_line(changes[field]) if field == "name" else changes[field]
        if value == getattr(org, field):
            continue
        if not can_change_structure(user, org):
            raise ApplicationError(
                _(
                    "The %(field)s of %(org)s is changed by the organization above it, not by "
                    "its own administrators."
                )
                % {"field": _field_label(field), "org": org.name},
                code="forbidden",
                field=field,
            )


_LABELS = {
    "name": _lazy("name"),
    "kind": _lazy("kind"),
    "unit_type": _lazy("unit type"),
}


def _field_label(field: str) -> str:
    return str(_LABELS[field])
