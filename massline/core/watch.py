"""Nothing dies silently: every consumer says it is alive, and work whose consumer died is
found and dealt with.

Each consumer process beats every JOB_HEARTBEAT seconds: a key in the shared cache (Redis
in production; a cache on the machine's disk in the embedded default) that lives
JOB_HEARTBEAT_TTL seconds. Every consumer also sweeps: a running job or scheduled run whose
consumer has no live key, seen so on two sweeps at least JOB_HEARTBEAT apart (a cache that
was emptied is beaten again within that time), is handed to `jobs.abandon` (failed, or
queued again when its kind is idempotent) or `schedule.abandon`. A job killed with its
consumer, `kill -9` included, is dealt with about JOB_HEARTBEAT_TTL + 2 × JOB_HEARTBEAT
seconds later (30 seconds by default) by any consumer still running or the next to start.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone

from . import jobs, queue, schedule
from .models import Job, JobStatus, RunStatus, ScheduledRun

log = logging.getLogger(__name__)

KEY = "massline:consumer:%s"
#: Set by every consumer's beat: whether any consumer at all is alive.
ANY = "massline:consumers"


def beat() -> None:
    cache.set_many(
        {KEY % queue.worker_name(): 1, ANY: queue.worker_name()},
        timeout=settings.JOB_HEARTBEAT_TTL,
    )


def alive(worker: str) -> bool:
    return bool(worker) and cache.get(KEY % worker) is not None


def any_alive() -> bool:
    """Whether some consumer has beaten lately: a queued job will be run."""
    return cache.get(ANY) is not None


class Sweeper:
    """Finds running work whose consumer is gone. `suspects` remembers when each was first
    seen without a live consumer, so one missing key alone does not condemn it."""

    def __init__(self) -> None:
        self.suspects: dict[tuple[str, int], float] = {}

    def sweep(self, now: float | None = None) -> list[tuple[str, int, str | bool | None]]:
        moment = time.monotonic() if now is None else now
        grace = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TTL)
        running: list[tuple[str, int, str]] = [
            ("job", pk, worker)
            for pk, worker, started in Job.objects.filter(status=JobStatus.RUNNING).values_list(
                "pk", "worker", "started_at"
            )
            if worker or (started is not None and started < grace)
        ]
        running += [
            ("run", pk, worker)
            for pk, worker in ScheduledRun.objects.filter(status=RunStatus.RUNNING).values_list(
                "pk", "worker"
            )
        ]
        dealt: list[tuple[str, int, str | bool | None]] = []
        seen = set()
        for what, pk, worker in running:
            key = (what, pk)
            seen.add(key)
            if alive(worker):
                self.suspects.pop(key, None)
                continue
            first = self.suspects.setdefault(key, moment)
            if moment - first < settings.JOB_HEARTBEAT:
                continue
            self.suspects.pop(key, None)
            if what == "job":
                dealt.append((what, pk, jobs.abandon(pk, worker)))
            else:
                dealt.append((what, pk, schedule.abandon(pk, worker)))
        for key in set(self.suspects) - seen:
            del self.suspects[key]
        return dealt


_started = threading.Lock()
_running = False


def start() -> None:
    """Beat and sweep in a thread of this process, once however often it is called (Huey
    calls it as each of its workers starts)."""
    global _running
    with _started:
        if _running:
            return
        _running = True
    threading.Thread(target=_loop, name="massline-watch", daemon=True).start()


def _loop() -> None:
    sweeper = Sweeper()
    every = settings.JOB_HEARTBEAT
    while True:
        try:
            beat()
            sweeper.sweep()
        except Exception:
            log.exception("the consumer's watch failed; trying again")
        finally:
            close_old_connections()
        time.sleep(every)


@queue.huey.on_startup("massline-watch")
def _on_startup() -> None:
    if not queue.huey.immediate:
        start()
