"""The /api/v1 router: authentication, error shapes, and each app's endpoints."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema

from massline.accounts.services import user_authenticate
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


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    status = {"throttled": 429, "bad_credentials": 401, "not_found": 404, "forbidden": 403}.get(
        exc.code, 400
    )
    return api.create_response(request, {"detail": exc.message, **exc.as_dict()}, status=status)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": _("Permission denied.")}, status=403)


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


@api.post("/auth/token", auth=None, response=TokenOut, tags=["auth"], summary="Get a bearer token")
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
    from massline.members.api import router as members_router
    from massline.members.roster_import.api import router as imports_router
    from massline.members.transfers.api import router as transfers_router
    from massline.orgs.api import router as orgs_router

    api.add_router("/orgs", orgs_router)
    api.add_router("/members", members_router)
    api.add_router("/imports", imports_router)
    api.add_router("/transfers", transfers_router)


_register_routers()
