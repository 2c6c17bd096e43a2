"""Errors as responses, in one place: an error's status and body for pages (the site's error
templates with the translated message) and for the API (JSON `{"code", "message", ["field"]}`).
`ApplicationErrorMiddleware` uses it for what a view raises (and for a method an address does
not take), `config/urls.py`'s `handler400/403/404` for what Django raises itself (an unknown
address), `handler500` (`server_error`) for a crash, and `massline.api` for what its endpoints
raise."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .errors import ApplicationError, Forbidden, NotFound, from_validation_error, http_status

API_PREFIX = "/api/"

# The page of each status; any other status (400, 405...) gets the refused-request page.
TEMPLATES = {403: "403.html", 404: "404.html", 429: "429.html"}


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


def back_url(request: HttpRequest) -> str:
    """The page the user came from, for a "back" link: only an address on this site, and not
    the failing address itself; "" otherwise."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
        here = request.build_absolute_uri()
    except Exception:  # a refused Host header (the 400 of DisallowedHost)
        return ""
    if referer and referer != here and url_has_allowed_host_and_scheme(referer, {host}):
        return referer
    return ""


def _json(error: ApplicationError, status: int) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=status, json_dumps_params={"ensure_ascii": False})


def error_response(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The response for an error: JSON under /api/, a page everywhere else (in the site's
    layout, with its navigation for a signed-in user). Also Django's handler400, handler403
    and handler404."""
    error = as_application_error(exception)
    status = http_status(error)
    if request.path.startswith(API_PREFIX):
        return _json(error, status)
    template = TEMPLATES.get(status, "400.html")
    # "Not found." under the heading "Page not found" says nothing more: a page shows the
    # message only when it is the error's own.
    generic = {NotFound().message, Forbidden().message}
    message = "" if error.message in generic else error.message
    context = {"message": message, "status": status, "back": back_url(request)}
    return render(request, template, context, status=status)


def method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    """405 in our shape, for a response Django or ninja gave with only an `Allow` header."""
    error = ApplicationError(
        _("This address does not accept %(method)s requests (only %(allowed)s).")
        % {"method": request.method, "allowed": allowed or "—"},
        code="method_not_allowed",
    )
    response = error_response(request, error)
    response["Allow"] = allowed
    return response


# The last resort when even the 500 template cannot be rendered. No styles (the CSP forbids
# inline ones) and nothing that can fail.
FALLBACK_500 = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title></head><body><h1>{title}</h1><p>{message}</p>"
    '<p><a href="/">{home}</a></p></body></html>'
)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. Anything may be broken (the database, a context processor, the session),
    so this touches none of them: JSON under /api/; otherwise `500.html`, a page of its own
    rendered without a request context, and plain HTML if even that fails."""
    message = _(
        "Something went wrong on our side and the request was not completed. It has been "
        "logged; try again in a moment, and tell the system administrator if it keeps "
        "happening."
    )
    if request.path.startswith(API_PREFIX):
        return _json(ApplicationError(message, code="server_error"), 500)
    language = get_language() or "zh-hans"
    try:
        html = loader.get_template("500.html").render(
            {"message": message, "back": back_url(request), "LANGUAGE_CODE": language}
        )
    except Exception:
        html = FALLBACK_500.format(
            lang="zh-CN" if language == "zh-hans" else escape(language),
            title=escape(_("Server error")),
            message=escape(message),
            home=escape(_("Back to the start page")),
        )
    return HttpResponseServerError(html)
