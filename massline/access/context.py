from typing import Any

from django.http import HttpRequest

from .permissions import (
    AUDIT_VIEW,
    CAMPAIGNS_VIEW,
    MEMBERS_VIEW,
    OPINIONS_VIEW,
    RECTIFICATION_VIEW,
)
from .policy import can_anywhere
from .users import manages_anyone


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Booleans the layout needs, computed here so templates never call permission code."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "nav_audit": signed_in and can_anywhere(user, AUDIT_VIEW),
        "nav_members": signed_in and can_anywhere(user, MEMBERS_VIEW),
        "nav_campaigns": signed_in and can_anywhere(user, CAMPAIGNS_VIEW),
        "nav_opinions": signed_in and can_anywhere(user, OPINIONS_VIEW),
        "nav_rectification": signed_in and can_anywhere(user, RECTIFICATION_VIEW),
        "nav_users": signed_in and manages_anyone(user),
    }
