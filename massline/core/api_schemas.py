"""The API's error body, for every endpoint's response declarations:
`response={200: OrgOut, **errors(401, 403, 404, 422)}`. What each status means is in
docs/architecture.md ("Errors")."""

from __future__ import annotations

from ninja import Schema


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


def errors(*statuses: int) -> dict[int, type[Error]]:
    return dict.fromkeys(statuses, Error)
