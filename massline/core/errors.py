"""The one application error type: workflow and validation failures with a translated message."""

from __future__ import annotations

from typing import Any


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

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message, code="not_found")


class Forbidden(ApplicationError):
    """The user can see the object but may not do this to it."""

    def __init__(self, message: str = "Permission denied.") -> None:
        super().__init__(message, code="forbidden")


def clean_or_raise(instance: Any) -> None:
    """`full_clean()` with the first problem raised as an ApplicationError naming its field,
    so services answer every bad input the same way."""
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            field, errors = next(iter(exc.error_dict.items()))
            message = "; ".join(str(m) for e in errors for m in e.messages)
            raise ApplicationError(message, field=None if field == "__all__" else field) from None
        raise ApplicationError("; ".join(exc.messages)) from None
