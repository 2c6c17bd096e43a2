"""The /api/v1 router: authentication, error shapes, and each app's endpoints."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid

from massline.accounts.services import user_authenticate
from massline.core.api_schemas import NO_NUL, RequestBody, errors
from massline.core.error_responses import error_response
from massline.core.errors import ApplicationError

from .auth import AUTH

api = NinjaAPI(
    title="massline API",
    version="1",
    description="Every page's data, with the same access rules. Authenticate with "
    "POST /api/v1/auth/token and send `Authorization: Bearer <token>`.",
    auth=AUTH,
    urls_namespace="api",
)


# Every error is answered by core.error_responses: {"code", "message", ["field"]} with the
# status of its code (docs/architecture.md, "Errors").
for _error_type in (ApplicationError, Http404, PermissionDenied, ValidationError):
    api.add_exception_handler(_error_type, error_response)  # type: ignore[arg-type]

HTTP_ERROR_CODES = {401: "unauthenticated", 403: "forbidden"}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals: no token or a bad one (401), a session without its CSRF token
    (403), a body that is not JSON (400)."""
    code = HTTP_ERROR_CODES.get(exc.status_code, "bad_request")
    message = {
        "unauthenticated": _("Sign in, or send a valid token."),
        "forbidden": _("Permission denied."),
    }.get(code, _("The request could not be understood."))
    return error_response(request, ApplicationError(message, code=code))


@api.exception_handler(RequestInvalid)
def request_invalid(request: HttpRequest, exc: RequestInvalid) -> HttpResponse:
    """A request the schema does not allow (422), every fault with its field."""
    faults = [
        {"field": _field_name(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors
    ]
    first = faults[0]["field"] if faults else None
    return error_response(
        request,
        ApplicationError(
            _("The request does not match the API's schema."),
            code="invalid_request",
            field=first or None,
            extra={"errors": faults},
        ),
    )


def _field_name(loc: Any) -> str:
    """("body", "payload", "name") -> "name"; ("query", "limit") -> "limit"."""
    parts = [str(p) for p in loc]
    return ".".join(parts[2:] if parts[:1] == ["body"] and len(parts) > 2 else parts[1:])


class TokenIn(RequestBody):
    username: str = Field(..., max_length=150, pattern=NO_NUL)
    password: str = Field(..., max_length=4096, pattern=NO_NUL)


class TokenOut(Schema):
    token: str


@api.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, **errors(400, 401, 422, 429)},
    tags=["auth"],
    summary="Get a bearer token",
)
def token(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    from massline.accounts.services import api_token_create

    user = user_authenticate(
        request=request,
        username=payload.username,
        password=payload.password,
        address=request.META.get("REMOTE_ADDR", ""),
    )
    return {"token": api_token_create(user=user)}


def _register_routers() -> None:
    from massline.campaigns.api import router as campaigns_router
    from massline.campaigns.coverage_api import router as campaigns_coverage_router
    from massline.members.api import router as members_router
    from massline.members.roster_import.api import router as imports_router
    from massline.members.transfers.api import router as transfers_router
    from massline.notices.api import router as notices_router
    from massline.opinions.dispatch_api import router as opinions_router
    from massline.opinions.hotline_api import router as opinions_hotline_router
    from massline.opinions.intake_api import router as opinions_intake_router
    from massline.opinions.public_api import router as public_router
    from massline.opinions.stats_api import router as opinions_stats_router
    from massline.orgs.api import router as orgs_router
    from massline.rectification.api import router as rectification_router
    from massline.rectification.board_api import router as commitments_public_router
    from massline.rectification.evaluation_api import public_router as evaluations_public_router
    from massline.rectification.evaluation_api import router as evaluations_router
    from massline.rectification.export_api import router as rectification_export_router
    from massline.rectification.rates_api import router as rectification_rates_router

    api.add_router("/orgs", orgs_router)
    api.add_router("/orgs", rectification_rates_router)
    api.add_router("/members", members_router)
    api.add_router("/imports", imports_router)
    api.add_router("/transfers", transfers_router)
    api.add_router("/notices", notices_router)
    api.add_router("/campaigns", campaigns_router)
    api.add_router("/campaigns", campaigns_coverage_router)
    # the intake's and the statistics' fixed paths (/entries, /forums…, /stats) before the
    # dispatch's /{opinion_id}
    api.add_router("/opinions", opinions_intake_router)
    api.add_router("/opinions", opinions_hotline_router)
    api.add_router("/opinions", opinions_stats_router)
    api.add_router("/opinions", opinions_router)
    api.add_router("/public", public_router)
    api.add_router("/public", evaluations_public_router)
    api.add_router("/rectification", evaluations_router)
    api.add_router("/rectification", rectification_export_router)
    api.add_router("/rectification", rectification_router)
    api.add_router("/public", commitments_public_router)


_register_routers()
