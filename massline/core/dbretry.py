"""Writes tried again while SQLite says a table is locked."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError

T = TypeVar("T")


def retry_while_locked(action: Callable[[], T], *, seconds: float = 2.0) -> T:
    """`action`, tried again for up to `seconds` while SQLite says a table or the database
    is locked: two consumers' first writes can meet (an in-memory database with a shared
    cache locks tables, and busy_timeout does not apply there). Other errors pass."""
    attempts = max(1, int(seconds / 0.1))
    for attempt in range(attempts):
        try:
            return action()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")
