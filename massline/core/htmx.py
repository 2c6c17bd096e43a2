"""htmx helpers: choosing between a page and one of its fragments."""

from django.http import HttpRequest


def wants_fragment(request: HttpRequest, target: str) -> bool:
    """True when htmx asks for the element with this id (hx-target="#<target>")."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and htmx.target == target
