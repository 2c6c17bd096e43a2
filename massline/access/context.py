from typing import Any

from django.http import HttpRequest

from .permissions import AUDIT_VIEW
from .policy import can_anywhere


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Booleans the layout needs, computed here so templates never call permission code."""
    user = getattr(request, "user", None)
    return {"nav_audit": bool(user and user.is_authenticated and can_anywhere(user, AUDIT_VIEW))}
