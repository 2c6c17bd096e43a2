"""Background jobs: imports and large exports run outside the request that asks for them.

A job is a row (`Job`) and a folder of files (`folder(job)`: the uploaded roster, the
report, the produced export). A kind of job is registered with `register(kind, handler,
label=, idempotent=)`, the label naming the kind for people on the job page (`label(kind)`);
`enqueue` saves the row and starts it according to settings.JOBS_MODE:

- "queue": on the task queue (massline.core.queue, Huey), run by a `massline consumer`;
- "immediate": before `enqueue` returns, on the caller's connection (tests).

The handler gets the job and a `Progress` to report how far it has got. What it returns is
stored as the job's result; an ApplicationError it raises is stored as the job's error (a
translated message for the user), any other exception as a generic failure, logged in full,
and tried again (by the queue, after JOB_RETRY_DELAY seconds) only when the kind is
`idempotent`. The row says which consumer runs the job (`worker`); a job whose consumer dies
is found by massline.core.job_watch and failed, or queued again when its kind is idempotent
(`abandon`). Progress is written outside the handler's transactions, so it is seen while the
job runs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override

from . import queue
from .audit import audit_record
from .dbretry import retry_while_locked
from .errors import ApplicationError, Forbidden, NotFound
from .models import Job, JobStatus
from .outcome import Outcome

log = logging.getLogger(__name__)

Handler = Callable[[Job, "Progress"], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """A kind of job. `idempotent`: running it again after a failure or a dead consumer
    gives the same outcome (an export), so the platform does so by itself; otherwise (an
    import) the job fails and its user decides. `interrupted`: what its user is told when
    its consumer died under it."""

    handler: Handler
    label: str | Promise | None = None
    phases: dict[str, str | Promise] | None = None
    idempotent: bool = False
    interrupted: str | Promise | None = None


_kinds: dict[str, Kind] = {}


def register(
    kind: str,
    handler: Handler,
    *,
    label: str | Promise | None = None,
    phases: dict[str, str | Promise] | None = None,
    idempotent: bool = False,
    interrupted: str | Promise | None = None,
) -> None:
    """Make `kind` runnable by `handler`. `label` names the kind for people and `phases` the
    phase codes its handler reports (both lazily translated), for the job pages; see `Kind`
    for `idempotent` and `interrupted`."""
    _kinds[kind] = Kind(handler, label, dict(phases or {}), idempotent, interrupted)


def registered(kind: str) -> Kind | None:
    return _kinds.get(kind)


def label(kind: str) -> str:
    """What a kind of job is called on the job pages (the code itself when none is known)."""
    known = _kinds.get(kind)
    return str(known.label) if known and known.label is not None else kind


def phase_label(kind: str, phase: str) -> str:
    known = _kinds.get(kind)
    return str((known.phases or {}).get(phase, phase)) if known else phase


#: Called with each job that has just ended (done or failed), after its row is saved:
#: apps above core subscribe from their apps.py (`on_finished`), so core imports none of them.
FinishedHook = Callable[[Job], None]
_finished_hooks: list[FinishedHook] = []


def on_finished(hook: FinishedHook) -> None:
    """Call `hook(job)` whenever a job ends, done or failed (once per end: a job tried again
    ends again). A hook that raises is logged and never changes the job's outcome."""
    if hook not in _finished_hooks:
        _finished_hooks.append(hook)


def _announce(job: Job) -> None:
    for hook in list(_finished_hooks):
        try:
            hook(job)
        except Exception:
            log.exception("job %s (%s): a finished hook failed", job.pk, job.kind)


def folder(job: Job) -> Path:
    """The job's own folder for its files, made on first use."""
    path = Path(settings.JOBS_DIR) / str(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


PROGRESS_FILE = "progress.json"


class Progress:
    """Reports how far a job has got: `progress(done, total, phase=)`. A job does its work in
    a transaction (an import is all or nothing), where a change to its row would not be seen
    by anyone, and on PostgreSQL a connection busy with a COPY can run no other statement: so
    progress goes to a small file in the job's folder (`progress.json`, replaced whole), which
    `live` reads. At most a few writes a second, and always a change of phase."""

    def __init__(self, job: Job, *, every: float = 0.3) -> None:
        self.job = job
        self.every = every
        self._last = 0.0

    def __call__(self, done: int, total: int | None = None, *, phase: str | None = None) -> None:
        now = time.monotonic()
        job = self.job
        changed_phase = phase is not None and phase != job.phase
        job.done = done
        if total is not None:
            job.total = total
        if phase is not None:
            job.phase = phase
        if changed_phase or now - self._last >= self.every or (job.total and done >= job.total):
            self._last = now
            target = folder(job) / PROGRESS_FILE
            part = target.with_name(PROGRESS_FILE + ".part")
            part.write_text(json.dumps({"done": job.done, "total": job.total, "phase": job.phase}))
            os.replace(part, target)


def live(job: Job) -> Job:
    """The job with the progress its handler last reported, while it runs."""
    if job.status == JobStatus.RUNNING:
        path = Path(settings.JOBS_DIR) / str(job.pk) / PROGRESS_FILE
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return job
        job.done = int(data.get("done") or 0)
        job.total = int(data.get("total") or 0)
        job.phase = str(data.get("phase") or "")
    return job


def enqueue(
    kind: str,
    *,
    actor: Any,
    params: dict[str, Any] | None = None,
    files: dict[str, Path] | None = None,
    mode: str | None = None,
) -> Job:
    """Save a job of `kind` and start it (see the module's notes). `files` are moved into the
    job's folder under the given names. When the queue cannot be reached, QueueUnavailable
    (503), and neither the row nor the folder remains."""
    if kind not in _kinds:
        raise ValueError(f"no handler for job kind {kind!r}")
    mode = mode or settings.JOBS_MODE
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            actor=actor if getattr(actor, "pk", None) else None,
            params=params or {},
        )
        for name, source in (files or {}).items():
            shutil.move(str(source), folder(job) / name)
        if mode != "immediate":
            try:
                # Sent before the row is committed: a consumer that is quicker than the
                # commit waits for it (`execute`).
                queue.put(lambda: run_queued(job.pk))
            except queue.QueueUnavailable:
                shutil.rmtree(Path(settings.JOBS_DIR) / str(job.pk), ignore_errors=True)
                raise
    if mode == "immediate":
        run(job)
        job.refresh_from_db()
    return job


#: How long a consumer waits for the row of a job sent before its transaction committed.
COMMIT_WAIT = 10.0


def execute(job_id: int, *, retries_left: int = 0) -> None:
    """Run a job the queue handed to this consumer. The job is taken only while it waits
    (never twice); a job whose row never appears was rolled back and is dropped. An
    idempotent kind that crashed raises `Retry`, so the queue tries it again later."""
    deadline = time.monotonic() + COMMIT_WAIT
    while True:
        job = _take(job_id)
        if job is not None:
            break
        status = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        if status is None and time.monotonic() > deadline:
            return  # never committed
        if status is not None and status != JobStatus.QUEUED:
            return  # taken by another consumer, or finished
        time.sleep(0.02)
    if run(job, retries_left=retries_left) == "retry":
        raise Retry(job_id)


class Retry(Exception):
    """An idempotent job crashed and goes back to the queue (the queue retries the task)."""


def _take(job_id: int) -> Job | None:
    now = timezone.now()
    taken = retry_while_locked(
        lambda: Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            worker=queue.worker_name(),
            started_at=now,
            attempts=F("attempts") + 1,
        )
    )
    return Job.objects.get(pk=job_id) if taken else None


def run(job: Job, *, retries_left: int = 0) -> str:
    """Run a taken (or, in immediate mode, just created) job to its end: "done", "failed",
    or "retry" (it crashed, its kind is idempotent and the queue has tries left; the job
    waits again)."""
    if job.status == JobStatus.QUEUED:
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "attempts"])
    kind = _kinds.get(job.kind)
    language = job.params.get("language") or settings.LANGUAGE_CODE
    with override(language):
        if kind is None:
            _finish(job, JobStatus.FAILED, error=str(UNKNOWN_KIND))
            return "failed"
        try:
            result = kind.handler(job, Progress(job))
        except ApplicationError as exc:
            _finish(job, JobStatus.FAILED, error=exc.message, result=exc.as_dict())
        except FileNotFoundError as exc:
            if not _in_folder(job, exc.filename):
                return _crashed(job, kind, retries_left)
            log.warning("job %s (%s): its file %s is gone", job.pk, job.kind, exc.filename)
            _finish(job, JobStatus.FAILED, error=str(FILES_GONE))
        except Exception:
            return _crashed(job, kind, retries_left)
        else:
            _finish(job, JobStatus.DONE, result=result or {})
            return "done"
    return "failed"


UNKNOWN_KIND = gettext_lazy(
    "This kind of job is no longer part of the platform, so it cannot run. Nothing was changed."
)
FILES_GONE = gettext_lazy(
    "The files this job works on are no longer there (they are removed some days after a "
    "job ends, or were removed by hand). Nothing was changed; start it again with the file."
)
CRASHED = gettext_lazy("The job failed because of an error in the system. It has been logged.")
INTERRUPTED = gettext_lazy(
    "The job stopped because the process running it ended (it was stopped or its machine "
    "restarted). Nothing it was doing was kept; start it again."
)


def _crashed(job: Job, kind: Kind, retries_left: int) -> str:
    log.exception("job %s (%s) failed", job.pk, job.kind)
    if kind.idempotent and retries_left > 0:
        _requeue(job)
        return "retry"
    _finish(job, JobStatus.FAILED, error=str(CRASHED))
    return "failed"


def _in_folder(job: Job, filename: Any) -> bool:
    try:
        return (
            Path(str(filename))
            .resolve()
            .is_relative_to((Path(settings.JOBS_DIR) / str(job.pk)).resolve())
        )
    except (OSError, ValueError):
        return False


def _requeue(job: Job) -> None:
    job.status = JobStatus.QUEUED
    job.worker = ""
    job.phase = ""
    job.done = 0
    retry_while_locked(lambda: job.save(update_fields=["status", "worker", "phase", "done"]))
    (Path(settings.JOBS_DIR) / str(job.pk) / PROGRESS_FILE).unlink(missing_ok=True)


def _finish(
    job: Job, status: str, *, error: str = "", result: dict[str, Any] | None = None
) -> None:
    job.status = status
    job.error = error
    job.result = result or {}
    job.finished_at = timezone.now()
    if status == JobStatus.DONE and job.total:
        job.done = job.total
    retry_while_locked(
        lambda: job.save(
            update_fields=["status", "error", "result", "finished_at", "done", "total", "phase"]
        )
    )
    (Path(settings.JOBS_DIR) / str(job.pk) / PROGRESS_FILE).unlink(missing_ok=True)
    # Told once the end is committed (at once outside a transaction): a hook that sends a
    # notice never tells of an end that was rolled back.
    transaction.on_commit(lambda: _announce(job))


def abandon(job_id: int, worker: str) -> str | None:
    """The job `worker` was running when it died: queued again (its kind is idempotent and
    it has attempts left) or failed with a message its user understands. Nothing happens if
    the job has since moved on. Returns "queued", "failed" or None."""
    with transaction.atomic():
        job = (
            Job.objects.select_for_update()
            .filter(pk=job_id, status=JobStatus.RUNNING, worker=worker)
            .first()
        )
        if job is None:
            return None
        kind = _kinds.get(job.kind)
        if kind is not None and kind.idempotent and job.attempts < settings.JOB_ATTEMPTS:
            _requeue(job)
            queue.put(lambda: run_queued(job.pk))
            outcome = "queued"
        else:
            language = job.params.get("language") or settings.LANGUAGE_CODE
            with override(language):
                message = str((kind and kind.interrupted) or INTERRUPTED)
            _finish(job, JobStatus.FAILED, error=message, result={"code": "interrupted"})
            outcome = "failed"
    log.warning("job %s (%s) lost its consumer %s: %s", job.pk, job.kind, worker, outcome)
    return outcome


def retry(job: Job, *, actor: Any) -> Job:
    """A failed job, queued again by a system administrator: its files and parameters as
    they were. Refused for a kind no longer registered and for a job whose files are gone."""
    if actor is not None and not actor.is_superuser:
        raise Forbidden()
    with transaction.atomic():
        locked = Job.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None:
            raise NotFound()
        if locked.status != JobStatus.FAILED:
            raise ApplicationError(_("Only a failed job can be tried again."), code="not_failed")
        if locked.kind not in _kinds:
            raise ApplicationError(str(UNKNOWN_KIND), code="unknown_kind")
        if locked.files_removed_at is not None:
            raise ApplicationError(str(FILES_GONE), code="files_gone")
        before = {"status": locked.status, "error": locked.error}
        locked.status = JobStatus.QUEUED
        locked.error = ""
        locked.result = {}
        locked.worker = ""
        locked.phase = ""
        locked.done = 0
        locked.finished_at = None
        locked.save(
            update_fields=["status", "error", "result", "worker", "phase", "done", "finished_at"]
        )
        audit_record(
            actor=actor,
            action="core.job_retry",
            target=locked,
            before=before,
            after={"status": locked.status},
        )
        if settings.JOBS_MODE != "immediate":
            queue.put(lambda: run_queued(locked.pk))
    if settings.JOBS_MODE == "immediate":
        run(locked)
        locked.refresh_from_db()
    return locked


def remove_expired_files(*, now: Any = None) -> int:
    """Remove the folders of jobs that ended more than JOB_FILES_RETENTION_DAYS ago, and say
    so on their rows. Safe to run again: a removed folder is not looked for twice."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.JOB_FILES_RETENTION_DAYS)
    expired = Job.objects.filter(
        status__in=[JobStatus.DONE, JobStatus.FAILED],
        finished_at__lt=cutoff,
        files_removed_at__isnull=True,
    ).values_list("pk", flat=True)
    removed = 0
    for job_id in list(expired.iterator(2000)):
        shutil.rmtree(Path(settings.JOBS_DIR) / str(job_id), ignore_errors=True)
        Job.objects.filter(pk=job_id).update(files_removed_at=timezone.now())
        removed += 1
    return removed


QUEUE_CHECK = "core.queue_check"


def queue_check(job: Job, progress: Progress) -> dict[str, Any]:
    """A job that only says when it started: whether, and how fast, the queue runs work (the
    system page's check, and the queue's benchmark)."""
    started = job.started_at or timezone.now()
    return {"waited_ms": round((started - job.created_at).total_seconds() * 1000, 1)}


def expired_files_task() -> Outcome:
    """The periodic clean-up of job files (massline.core.schedule)."""
    removed = remove_expired_files()
    return Outcome(
        message=ngettext(
            "Removed the files of %(count)d job.",
            "Removed the files of %(count)d jobs.",
            removed,
        )
        % {"count": removed},
        details={"removed": removed},
    )


@queue.huey.task(
    retries=settings.JOB_ATTEMPTS - 1, retry_delay=settings.JOB_RETRY_DELAY, context=True
)
def run_queued(job_id: int, task: Any = None) -> None:
    """The queue's task: run job `job_id` here (see `execute`)."""
    queue.close_connections()
    try:
        execute(job_id, retries_left=getattr(task, "retries", 0))
    finally:
        queue.close_connections()


def result_files(job: Job) -> list[dict[str, str]]:
    """The files a job produced for its user, as its handler listed them in
    `result["files"]`: each `{"name": file in the job's folder, "label": link text}`, and
    optionally `"filename"`, the name the download is saved under (default: `name`)."""
    listed = job.result.get("files") if isinstance(job.result, dict) else None
    out: list[dict[str, str]] = []
    for entry in listed or []:
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("name") or "")
        if not _plain_name(name):
            continue
        out.append(
            {
                "name": name,
                "label": str(entry.get("label") or name),
                "filename": str(entry.get("filename") or name),
            }
        )
    return out


def result_file(job: Job, name: str) -> tuple[Path, dict[str, str]] | None:
    """The path of one listed file of a finished job and its entry; None for a name the job
    did not list (so no other file of the folder, and nothing outside it, is reachable)."""
    for entry in result_files(job):
        if entry["name"] == name:
            path = Path(settings.JOBS_DIR) / str(job.pk) / name
            return (path, entry) if path.is_file() else None
    return None


def _plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name
