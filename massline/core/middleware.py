from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext as _

from .error_responses import API_PREFIX, error_response, method_not_allowed
from .errors import ApplicationError

# Every script and style comes from our own static files; no inline scripts anywhere.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The API's interactive docs page ships its own inline bootstrap script.
        if not request.path.startswith("/api/v1/docs"):
            response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Referrer-Policy", "same-origin")
        return response


class ApplicationErrorMiddleware:
    """Turns the errors a view raises into responses (`core.error_responses`): NotFound 404,
    Forbidden 403, any other ApplicationError 400, as a page or, under /api/, as JSON. A 405
    that Django or ninja answered with an empty page gets the same shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX) and _holds_nul(request):
            # No database stores it (PostgreSQL refuses NUL in text): refused before any view.
            # The API refuses it in its schemas, with the rest of a request's faults.
            return error_response(
                request,
                ApplicationError(
                    _("The request contains a character that cannot be stored (NUL)."),
                    code="bad_request",
                ),
            )
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed):
            return method_not_allowed(request, response.get("Allow", ""))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApplicationError | ValidationError):
            return error_response(request, exception)
        return None


def _holds_nul(request: HttpRequest) -> bool:
    fields = [request.GET]
    if request.method == "POST":
        fields.append(request.POST)
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for data in fields
        for key, values in data.lists()
    )
