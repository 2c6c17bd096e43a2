"""What a roster import's checking process starts from. Kept apart from importer.py, which
imports the models: a process started by a fork server unpickles this module's objects before
Django is set up, and sets Django up in `start`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class Context:
    """What checking a row needs, built once per import and handed to the workers."""

    orgs: dict[str, tuple[int, str, str]]  # code → (id, path, kind) of orgs in scope
    today: dt.date
    postgres: bool


def start(ctx: Context, language: str) -> None:
    """The initializer of a checking process."""
    from django.apps import apps

    if not apps.ready:  # a fresh interpreter (fork server): set Django up first
        import django

        django.setup()
    from django.utils import translation

    from . import importer

    translation.activate(language)
    importer._set_context(ctx)
