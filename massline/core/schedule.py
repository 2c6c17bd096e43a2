"""Scheduled work: periodic tasks declared in code, each with a crontab read in local time
(settings.TIME_ZONE, Asia/Shanghai).

An app declares a task in its `ready()` with `register_periodic(name, cron, handler,
label=)`; the crontab is the usual five fields ("30 2 * * *": every day at 02:30). The
queue's scheduler (Huey, in every consumer) finds it due and queues it; the run is recorded
as a `ScheduledRun` for the minute it was due, and (task, minute) is unique, so when several
consumers find the same task due it runs once. A queue lock keeps two runs of one task (a
scheduled one and one asked for by hand) from overlapping. The handler must be safe to run
again; it returns an `Outcome`: fine, or findings for the system administrators (shown on
the 计划任务 page and sent to settings.ADMINS by mail when mail is set up).
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cronsim import CronSim, CronSimError
from django.conf import settings
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from huey import crontab
from huey.exceptions import TaskLockedException

from . import queue
from .audit import audit_record
from .dbretry import retry_while_locked
from .errors import ApplicationError, Forbidden, NotFound
from .models import RunStatus, ScheduledRun
from .outcome import Outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    cron: str
    handler: Callable[[], Outcome]
    label: str | Promise
    description: str | Promise = ""


_periodic: dict[str, Periodic] = {}


def register_periodic(
    name: str,
    cron: str,
    handler: Callable[[], Outcome],
    *,
    label: str | Promise,
    description: str | Promise = "",
) -> None:
    """Declare a periodic task. The same declaration drives the queue's scheduler (Huey's
    crontab), the minute a run is due, and the next run shown on the page (cronsim)."""
    fields = cron.split()
    try:
        CronSim(cron, timezone.localtime())
    except CronSimError as exc:
        raise ValueError(f"{name}: bad crontab {cron!r}: {exc}") from exc
    if len(fields) != 5:
        raise ValueError(f"{name}: a crontab has five fields, not {cron!r}")
    known = name in _periodic
    _periodic[name] = Periodic(name, cron, handler, label, description)
    if known:
        return

    def due() -> None:
        queue.close_connections()
        try:
            fire(name)
        finally:
            queue.close_connections()

    queue.huey.periodic_task(crontab(*fields, strict=True), name=f"periodic.{name}")(due)


def periodic_tasks() -> list[Periodic]:
    return sorted(_periodic.values(), key=lambda p: p.name)


def _tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def last_due(task: Periodic, now: datetime | None = None) -> datetime:
    """The latest minute at or before `now` that the crontab names: the run's slot."""
    local = (now or timezone.now()).astimezone(_tz()).replace(second=0, microsecond=0)
    # (cronsim's reverse search starts before its start time: a second after the minute
    # lets the minute itself be found)
    return next(iter(CronSim(task.cron, local + timedelta(seconds=1), reverse=True)))


def next_due(task: Periodic, now: datetime | None = None) -> datetime:
    local = (now or timezone.now()).astimezone(_tz()).replace(microsecond=0)
    return next(iter(CronSim(task.cron, local)))


def fire(name: str, *, now: datetime | None = None) -> ScheduledRun | None:
    """The scheduler found `name` due: run it, unless another consumer already has this
    slot (then None)."""
    task = _periodic.get(name)
    if task is None:
        return None
    moment = now or timezone.now()

    def take() -> ScheduledRun:
        with transaction.atomic():
            return ScheduledRun.objects.create(
                task=name,
                slot=last_due(task, moment),
                status=RunStatus.RUNNING,
                worker=queue.worker_name(),
                started_at=timezone.now(),
            )

    try:
        run = retry_while_locked(take)
    except IntegrityError:
        log.info("periodic task %s: this slot is already taken", name)
        return None
    return _execute(run, task)


def run_now(name: str, *, actor: Any) -> ScheduledRun:
    """A system administrator runs a periodic task now (it queues like any run)."""
    if actor is not None and not actor.is_superuser:
        raise Forbidden()
    task = _periodic.get(name)
    if task is None:
        raise NotFound()
    immediate = settings.JOBS_MODE == "immediate"
    with transaction.atomic():
        run = ScheduledRun.objects.create(
            task=name,
            slot=timezone.now(),
            status=RunStatus.QUEUED,
            requested_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="core.schedule_run",
            target=run,
            after={"task": name},
        )
        if not immediate:
            queue.put(lambda: run_requested(run.pk))
    if immediate:
        _take_and_execute(run.pk)
        run.refresh_from_db()
    return run


@queue.huey.task()
def run_requested(run_id: int) -> None:
    """The queue's task for a run asked for by hand."""
    queue.close_connections()
    try:
        _take_and_execute(run_id)
    finally:
        queue.close_connections()


def _take_and_execute(run_id: int) -> None:
    taken = ScheduledRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, worker=queue.worker_name(), started_at=timezone.now()
    )
    run = ScheduledRun.objects.filter(pk=run_id).first()
    if not taken or run is None:
        return
    task = _periodic.get(run.task)
    if task is None:
        _end(run, RunStatus.FAILED, _("This task is no longer part of the platform."))
        return
    _execute(run, task)


def lock(name: str) -> Any:
    return queue.huey.lock_task(f"periodic.{name}")


def _execute(run: ScheduledRun, task: Periodic) -> ScheduledRun:
    task_lock = lock(task.name)
    try:
        task_lock.acquire()
    except TaskLockedException:
        _end(run, RunStatus.SKIPPED, "")
        return run
    try:
        outcome = task.handler()
    except ApplicationError as exc:
        _end(run, RunStatus.FAILED, exc.message)
        _tell_admins(task, run)
    except Exception:
        log.exception("periodic task %s failed", task.name)
        _end(run, RunStatus.FAILED, _("The task failed because of an error in the system."))
        _tell_admins(task, run)
    else:
        status = RunStatus.FINDINGS if outcome.findings else RunStatus.OK
        _end(run, status, outcome.message, outcome.details)
        if outcome.findings:
            _tell_admins(task, run)
    finally:
        task_lock.release()
    return run


def _end(run: ScheduledRun, status: str, message: str, details: dict[str, Any] | None = None):
    run.status = status
    run.message = message
    run.details = details or {}
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "details", "finished_at"])


def _tell_admins(task: Periodic, run: ScheduledRun) -> None:
    log.error("periodic task %s: %s: %s", task.name, run.status, run.message)
    subject = _("%(task)s: %(outcome)s") % {
        "task": task.label,
        "outcome": run.get_status_display(),
    }
    mail_admins(str(subject), run.message or str(subject), fail_silently=True)


INTERRUPTED = gettext_lazy("The run stopped because the process running it ended.")


def abandon(run_id: int, worker: str) -> bool:
    """The run `worker` had when it died: failed, and its task's lock released."""
    run = ScheduledRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, worker=worker).first()
    if run is None:
        return False
    updated = ScheduledRun.objects.filter(
        pk=run_id, status=RunStatus.RUNNING, worker=worker
    ).update(status=RunStatus.FAILED, message=str(INTERRUPTED), finished_at=timezone.now())
    if updated:
        lock(run.task).release()
        log.warning("periodic task %s (run %s) lost its consumer %s", run.task, run_id, worker)
    return bool(updated)


def describe(cron: str) -> str:
    """A crontab in words, for the common shapes; the crontab itself otherwise."""
    minute, hour, day, month, weekday = cron.split()
    if (day, month, weekday) == ("*", "*", "*") and minute.isdigit():
        if hour.isdigit():
            return _("every day at %(time)s") % {"time": f"{int(hour):02d}:{int(minute):02d}"}
        if hour == "*":
            return _("every hour at minute %(minute)s") % {"minute": f"{int(minute):02d}"}
    if minute.startswith("*/") and (hour, day, month, weekday) == ("*", "*", "*", "*"):
        return _("every %(n)s minutes") % {"n": minute[2:]}
    return cron


def overview(now: datetime | None = None) -> list[dict[str, Any]]:
    """Each periodic task with its schedule, last run and next run, for the page."""
    moment = now or timezone.now()
    rows = []
    for task in periodic_tasks():
        last = ScheduledRun.objects.filter(task=task.name).order_by("-id").first()
        rows.append(
            {
                "task": task,
                "schedule": describe(task.cron),
                "last": last,
                "next": next_due(task, moment),
            }
        )
    return rows
