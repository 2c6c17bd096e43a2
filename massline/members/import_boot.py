"""Preloaded by the roster import's fork server (importer._pool): Django set up and the
importer imported once, so that each checking process forked from the server starts at once.
If Django cannot be set up here, each process does it itself (import_worker.start)."""

import os

# One checking process runs per core: each keeps the column engine to one thread.
os.environ.setdefault("POLARS_MAX_THREADS", "1")

try:
    import django

    django.setup()
    from massline.members import importer  # noqa: F401
except Exception:
    pass
