"""The public paths' own rules, before any view: a body larger than a public request needs is
refused unread (413), and their responses are never cached by a browser or a proxy (a
receipt code is shown once)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from massline.core.error_responses import error_response
from massline.core.errors import ApplicationError

#: Where the public pages and API live (also the access log's public paths, `accesslog`).
PUBLIC_PREFIXES = ("/p/", "/api/v1/public/")
#: The largest body a public request may send: a 2000-character Chinese opinion is 18 KB
#: form-encoded (9 bytes a character) and 12 KB as JSON with \u escapes.
MAX_BODY = 32 * 1024


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


class PublicRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_public(request.path):
            return self.get_response(request)
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = MAX_BODY + 1
        if size > MAX_BODY:
            return error_response(
                request,
                ApplicationError(
                    _("The request is too large: at most %(kb)d KB.") % {"kb": MAX_BODY // 1024},
                    code="too_large",
                ),
            )
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response
