"""The checking processes: one per core (`MASSLINE_IMPORT_WORKERS` to change), started from
a fork server that has Django set up (`boot`), each given the import's context once
(`start`); blocks go to them a few at a time, so the file is never read far ahead of the
database and memory stays flat whatever the file's size.

Imports nothing of Django's or of the app's models at the top: `start` is what a process
started by a fork server that could not set Django up unpickles first, and it sets Django
up itself. What a worker runs comes from the caller (`results`' `check`)."""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .context import Context, set_current

#: The module the fork server imports before it forks any checking process.
BOOT = "massline.members.roster_import.boot"

Result = TypeVar("Result")


def start(ctx: Context, language: str) -> None:
    """The initializer of a checking process."""
    from django.apps import apps

    if not apps.ready:  # a fresh interpreter (fork server): set Django up first
        import django

        django.setup()
    from django.conf import settings
    from django.utils import translation

    if ctx.field_key:
        settings.FIELD_ENCRYPTION_KEY = ctx.field_key
    translation.activate(language)
    set_current(ctx)


def worker_count() -> int:
    setting = os.environ.get("MASSLINE_IMPORT_WORKERS")
    if setting:
        return max(0, int(setting))
    return min(4, os.cpu_count() or 1)


def _pool(n_workers: int, ctx: Context) -> Any:
    """Worker processes, from a fork server: a process forked from this one could inherit a
    lock held by another of its threads (a web process's, or the column engine's thread
    pool, which is not fork-safe), so they come from a clean process that has Django set up
    (`boot`), started once per process."""
    from django.utils import translation

    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload([BOOT])
    return mp.Pool(n_workers, initializer=start, initargs=(ctx, translation.get_language()))


@contextlib.contextmanager
def results(
    tasks: Iterator[tuple[Any, ...]],
    n_workers: int,
    ctx: Context,
    check: Callable[[tuple[Any, ...]], Result],
) -> Iterator[Iterator[Result]]:
    """`check` of each task, in order: in worker processes, with a few tasks in flight per
    worker (so the file is never read far ahead of the database), or in this process when
    `n_workers` is 0."""
    if n_workers <= 0:
        set_current(ctx)
        yield map(check, tasks)
        return
    pool = _pool(n_workers, ctx)

    def ordered() -> Iterator[Result]:
        window: collections.deque[Any] = collections.deque()
        for task in tasks:
            window.append(pool.apply_async(check, (task,)))
            if len(window) >= 2 * n_workers + 1:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()

    try:
        yield ordered()
    finally:
        pool.terminate()
        pool.join()
