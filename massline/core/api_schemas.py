"""The API's error body, for every endpoint's response declarations:
`response={200: OrgOut, **errors(401, 403, 404, 422)}`. What each status means is in
docs/architecture.md ("Errors")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ninja import Schema
from pydantic import WithJsonSchema, model_validator

# A line a person typed (a name, a code): no control characters, not only spaces (a service
# strips it, and PostgreSQL refuses NUL).
LINE = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
# A note of several lines: anything but NUL, not only spaces.
NOTE = r"^[^\x00]*[^\s\x00][^\x00]*$"
# Any text, even empty, but NUL (a query string, an optional note).
NO_NUL = r"^[^\x00]*$"


class RequestBody(Schema):
    """A JSON object in a request. (ninja's Schema reads attributes, so without this check
    a list or a number would pass as an object whose fields are all missing.)"""

    @model_validator(mode="wrap")
    @classmethod
    def _an_object(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("Input should be a JSON object")
        return handler(data)


class FieldError(Schema):
    field: str
    message: str


class Error(Schema):
    """`code` is stable for programs, `message` translated for people, `field` names the
    input at fault; a request that does not match the schema (422) lists every fault."""

    code: str
    message: str
    field: str | None = None
    line: int | None = None
    errors: list[FieldError] | None = None


def one_of(values: Iterable[str]) -> WithJsonSchema:
    """Documents a string's values where the code, not the schema, refuses the others (with
    400, as it did before the document listed them)."""
    return WithJsonSchema({"type": "string", "enum": list(values)})


def errors(*statuses: int) -> dict[int, type[Error]]:
    return dict.fromkeys(statuses, Error)
