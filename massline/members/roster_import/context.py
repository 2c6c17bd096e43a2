"""What checking a row needs, built once per import and handed to the checking processes,
and the context of the import this process is checking for.

Imports nothing of Django's or of the app's models: a checking process started by a fork
server that could not set Django up unpickles a Context before it sets Django up
(`workers.start`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class Context:
    """What checking a row needs, built once per import and handed to the workers."""

    orgs: dict[str, tuple[int, str, str]]  # code → (id, path, kind) of orgs in scope
    today: dt.date
    postgres: bool
    field_key: str = ""  # FIELD_ENCRYPTION_KEY of the importing process
    # The file's columns: the template's 17, or its first 15 (without the optional party
    # group and position, which an import then leaves as members have them).
    columns: int = 17
    # Where checked rows go: "stage" (the staging table) or "member" (a first load straight
    # into the empty member table, the row number as the member's id).
    target: str = "stage"
    # SQLite: the folder of the staging files, one per checking process, and how many of
    # them the database connection has attached.
    scratch: str = ""
    attached: int = 0


_current: Context | None = None  # set in each worker


def set_current(ctx: Context) -> None:
    """This process checks blocks for the import of `ctx` (in a worker: `workers.start`)."""
    global _current
    _current = ctx


def current() -> Context:
    """The context of the import this process checks blocks for."""
    assert _current is not None
    return _current
