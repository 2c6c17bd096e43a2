"""Preloaded by the roster import's fork server (`workers`): Django set up and the checking
code imported once, so that each checking process forked from the server starts at once.
If Django cannot be set up here, each process does it itself (`workers.start`).

A module of its own, as importing it has effects meant for the fork server alone."""

import os

# One checking process runs per core: each keeps the column engine to one thread.
os.environ.setdefault("POLARS_MAX_THREADS", "1")

try:
    import django

    django.setup()
    from massline.members.roster_import import checking  # noqa: F401
except Exception:
    pass
