"""The production web server's command line, in one place: `massline serve` runs it, and the
load tests in bench/ run the very same server (gunicorn with threads, the portal's private
access log)."""

from __future__ import annotations

import sys

#: Threads per web worker: requests mostly wait on the database.
THREADS = 4


def web_command(bind: str, workers: int, *, access_log: str = "-") -> list[str]:
    """gunicorn serving `config.wsgi` on `bind` with `workers` processes of `THREADS` threads,
    its access log to `access_log` ("-": standard output) through the logger that keeps the
    public portal's lines free of anything about the person."""
    bin_dir = sys.executable.rsplit("/", 1)[0]
    return [
        f"{bin_dir}/gunicorn",
        "config.wsgi",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(THREADS),
        "--access-logfile",
        access_log,
        # the public portal's lines without the client's address, device or time of day
        "--logger-class",
        "massline.portal.privacy.PrivateAccessLogger",
    ]
