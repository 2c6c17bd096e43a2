"""The one application error type: workflow and validation failures with a translated message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _


class ApplicationError(Exception):
    """A rule was broken. `message` is translated text for the user; `field`, `line` and
    `extra` say where, so a page, the API and the command line can all point at it."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        field: str | None = None,
        line: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.field = field
        self.line = line
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            data["field"] = self.field
        if self.line is not None:
            data["line"] = self.line
        if self.extra:
            data.update(self.extra)
        return data


class NotFound(ApplicationError):
    """The object does not exist for this user (outside their scope looks the same)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Not found."), code="not_found")


class Forbidden(ApplicationError):
    """The user can see the object but may not do this to it."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Permission denied."), code="forbidden")


# The HTTP status of an error, by its code; every other code is a refused request (400).
STATUS_BY_CODE = {
    "not_found": 404,
    "forbidden": 403,
    "unauthenticated": 401,
    "bad_credentials": 401,
    "method_not_allowed": 405,
    "gone": 410,
    "too_large": 413,
    "throttled": 429,
    "invalid_request": 422,
    "server_error": 500,
    "queue_unavailable": 503,
}


def http_status(exc: ApplicationError) -> int:
    return STATUS_BY_CODE.get(exc.code, 400)


def from_validation_error(exc: ValidationError) -> ApplicationError:
    """A model's ValidationError as an ApplicationError naming its first field."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        message = "; ".join(str(m) for e in errors for m in e.messages)
        return ApplicationError(message, field=None if field == NON_FIELD_ERRORS else field)
    return ApplicationError("; ".join(exc.messages))


def clean_or_raise(instance: Any) -> None:
    """`full_clean()` with the first problem raised as an ApplicationError naming its field,
    so services answer every bad input the same way."""
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise from_validation_error(exc) from None
