"""Recording the audit trail. Services call `audit_record` inside their transaction."""

from __future__ import annotations

from typing import Any

from .models import AuditEvent


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
) -> AuditEvent:
    """Write one audit row. `org` is any object with `id` and `path`; `target` any model instance."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        org_id=getattr(org, "id", None),
        org_path=getattr(org, "path", "") or "",
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
    )
