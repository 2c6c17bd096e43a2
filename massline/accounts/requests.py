"""Who is asking: the signed-in user of a request, as the user model."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from massline.core.errors import Forbidden

from .models import User


def request_user(request: HttpRequest) -> User:
    """The signed-in user (pages behind `login_required`, the API behind its authentication);
    anyone else is refused."""
    if not isinstance(request.user, User):
        raise Forbidden(_("Sign in first."))
    return request.user
