"""Errors as responses, in one place: an error's status and body for pages (the site's error
templates with the translated message) and for the API (JSON `{"code", "message", ["field"]}`).
`ApplicationErrorMiddleware` uses it for what a view raises, `config/urls.py`'s
`handler400/403/404` for what Django raises itself (an unknown address), and `massline.api`
for what its endpoints raise."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .errors import ApplicationError, Forbidden, NotFound, from_validation_error, http_status

API_PREFIX = "/api/"

TEMPLATES = {404: "404.html", 403: "403.html"}


def as_application_error(exc: Exception) -> ApplicationError:
    """Any error in our vocabulary. Django's Http404 and PermissionDenied carry Django's text
    (or a debugging hint), so the user gets ours; a model's ValidationError names its field."""
    if isinstance(exc, ApplicationError):
        return exc
    if isinstance(exc, Http404):
        return NotFound()
    if isinstance(exc, PermissionDenied):
        return Forbidden()
    if isinstance(exc, ValidationError):
        return from_validation_error(exc)
    return ApplicationError(_("The request could not be understood."), code="bad_request")


def error_response(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The response for an error: JSON under /api/, a page everywhere else. Also Django's
    handler400, handler403 and handler404."""
    error = as_application_error(exception)
    status = http_status(error)
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            error.as_dict(), status=status, json_dumps_params={"ensure_ascii": False}
        )
    template = TEMPLATES.get(status, "400.html")
    return render(request, template, {"message": error.message}, status=status)
