"""What a roster import's checking process starts from. Kept apart from importer.py, which
imports the models: a process started by a fork server may unpickle this module's objects
before Django is set up (when `import_boot` could not set it up), and then sets Django up in
`start`."""

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
    # Where checked rows go: "stage" (the staging table) or "member" (a first load straight
    # into the empty member table, the row number as the member's id).
    target: str = "stage"
    # SQLite: the folder of the staging files, one per checking process, and how many of
    # them the database connection has attached.
    scratch: str = ""
    attached: int = 0


def start(ctx: Context, language: str) -> None:
    """The initializer of a checking process."""
    from django.apps import apps

    if not apps.ready:  # a fresh interpreter (fork server): set Django up first
        import django

        django.setup()
    from django.conf import settings
    from django.utils import translation

    from . import importer

    if ctx.field_key:
        settings.FIELD_ENCRYPTION_KEY = ctx.field_key
    translation.activate(language)
    importer._set_context(ctx)
