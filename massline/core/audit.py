"""Recording the audit trail. Services call `audit_record` inside their transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise

from .models import AuditEvent

# What each action code means, for people reading the log. Each app registers its own.
_ACTION_LABELS: dict[str, str | Promise] = {}


def register_actions(labels: Mapping[str, str | Promise]) -> None:
    _ACTION_LABELS.update(labels)


def action_label(code: str) -> str:
    return str(_ACTION_LABELS.get(code, code))


def action_labels() -> dict[str, str]:
    """Every registered action code with its label, in the order of their labels."""
    labels = {code: str(label) for code, label in _ACTION_LABELS.items()}
    return dict(sorted(labels.items(), key=lambda item: item[1]))


# Labels of the keys an audit row's before/after may hold that are not fields of its target
# model (a row count, an export's format): each app registers its own, as with actions.
_FIELD_LABELS: dict[str, str | Promise] = {}


def register_field_labels(labels: Mapping[str, str | Promise]) -> None:
    _FIELD_LABELS.update(labels)


def field_label(key: str) -> str | None:
    label = _FIELD_LABELS.get(key)
    return None if label is None else str(label)


def audit_record(
    *,
    actor: Any,
    action: str,
    org: Any = None,
    target: Any = None,
    target_type: str = "",
    target_id: str | int = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    target_label: str = "",
) -> AuditEvent:
    """Write one audit row. `org` is any object with `id` and `path`; `target` any model instance."""
    if target is not None:
        target_label = str(target)[:200]
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        org_id=getattr(org, "id", None),
        org_path=getattr(org, "path", "") or "",
        target_type=target_type,
        target_id=str(target_id),
        target_label=target_label,
        before=before,
        after=after,
    )
