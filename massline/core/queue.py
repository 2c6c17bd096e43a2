"""The task queue that runs background work: Huey (see docs/decisions/0010).

Huey keeps the queue, runs the consumers (`massline consumer`), retries, locks and the
periodic schedule; settings.HUEY says where the queue lives (a SQLite file under the var
folder by default, Redis in production). What a job is for its user (who asked, progress,
files, result, error) stays on the `Job` row: the queue only carries a job's id.

This module knows who this process is (`worker_name`), so that a job or a scheduled run
can say which consumer runs it, and turns a queue that cannot be reached into an error the
user can read."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection
from django.utils.translation import gettext
from huey.contrib.djhuey import HUEY

from .errors import ApplicationError

log = logging.getLogger(__name__)

huey = HUEY

_BOOT = uuid.uuid4().hex[:8]


def worker_name() -> str:
    """Who this process is, as recorded on the jobs and runs it takes: host, process id and
    a token of this start (a process id is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_BOOT}"


class QueueUnavailable(ApplicationError):
    """The queue did not take the work (503)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="queue_unavailable")


def put(send: Callable[[], Any]) -> None:
    """Hand something to the queue (`send` is a task call); QueueUnavailable, with nothing
    sent, when the queue cannot be reached."""
    if huey.immediate:
        send()
        return
    try:
        send()
    except Exception as exc:
        log.error("the task queue cannot be reached: %s", exc)
        raise QueueUnavailable(
            gettext(
                "The background work queue cannot be reached just now, so nothing was "
                "started and nothing was saved. Try again in a few minutes; if it keeps "
                "happening, tell the system administrator."
            )
        ) from exc


def close_connections() -> None:
    """Before and after a task in a consumer: drop database connections that are broken or
    past their age, as Django does around a request."""
    if not huey.immediate and not connection.in_atomic_block:  # (a test's transaction)
        close_old_connections()
