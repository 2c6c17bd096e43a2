from functools import cache
from typing import Any

from django.http import HttpRequest

from .selectors import shown_count, unread_count


def bell(request: HttpRequest) -> dict[str, Any]:
    """The bell's unread count for the layout: one capped, indexed count, asked only when a
    page's layout shows it (a function the template calls, at most once)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {"nav_unread": cache(lambda: shown_count(unread_count(user)))}
