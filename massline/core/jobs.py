"""Background jobs: imports and large exports run outside the request that asks for them.

A job is a row (`Job`) and a folder of files (`folder(job)`: the uploaded roster, the
report, the produced export). A kind of job is registered with `register(kind, handler,
label=)`, the label naming the kind for people on the job page (`label(kind)`);
`enqueue` saves the row and starts it according to settings.JOBS_MODE:

- "thread": in a thread of the process that queued it (one machine, `make demo`);
- "worker": left for `massline worker` processes, which claim queued jobs one at a time
  (production, several machines);
- "immediate": before `enqueue` returns, on the caller's connection (tests).

The handler gets the job and a `Progress` to report how far it has got. What it returns is
stored as the job's result; an ApplicationError it raises is stored as the job's error (a
translated message for the user), any other exception as a generic failure, logged in full.
Progress is written outside the handler's transactions, so it is seen while the job runs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import override

from .errors import ApplicationError
from .models import Job, JobStatus

log = logging.getLogger(__name__)

Handler = Callable[[Job, "Progress"], dict[str, Any]]
_handlers: dict[str, Handler] = {}
_labels: dict[str, str | Promise] = {}
_phases: dict[str, dict[str, str | Promise]] = {}


def register(
    kind: str,
    handler: Handler,
    *,
    label: str | Promise | None = None,
    phases: dict[str, str | Promise] | None = None,
) -> None:
    """Make `kind` runnable by `handler`. `label` names the kind for people and `phases` the
    phase codes its handler reports (both lazily translated), for the job pages."""
    _handlers[kind] = handler
    if label is not None:
        _labels[kind] = label
    if phases:
        _phases[kind] = dict(phases)


def label(kind: str) -> str:
    """What a kind of job is called on the job pages (the code itself when none is known)."""
    return str(_labels.get(kind, kind))


def phase_label(kind: str, phase: str) -> str:
    return str(_phases.get(kind, {}).get(phase, phase))


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
    job's folder under the given names."""
    if kind not in _handlers:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        params=params or {},
    )
    for name, source in (files or {}).items():
        shutil.move(str(source), folder(job) / name)
    mode = mode or settings.JOBS_MODE
    if mode == "immediate":
        run(job)
        job.refresh_from_db()
    elif mode == "thread":
        transaction.on_commit(lambda: _start_thread(job.pk))
    return job


T = TypeVar("T")


def _locked_retry(action: Callable[[], T]) -> T:
    """`action`, tried again for up to two seconds while SQLite says a table is locked: a
    thread's first write can meet another connection's read of the same table (an in-memory
    database with a shared cache locks tables, and busy_timeout does not apply there)."""
    for attempt in range(20):
        try:
            return action()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 19:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def _start_thread(job_id: int) -> None:
    def target() -> None:
        try:
            job = _locked_retry(lambda: claim(job_id))
            if job is not None:
                run(job)
        finally:
            connection.close()

    threading.Thread(target=target, name=f"job-{job_id}", daemon=True).start()


def claim(job_id: int | None = None) -> Job | None:
    """Take a queued job (the given one, or the oldest) for this process: it becomes
    running, and no other worker takes it."""
    with transaction.atomic():
        queued = Job.objects.filter(status=JobStatus.QUEUED).order_by("id")
        if job_id is not None:
            queued = queued.filter(pk=job_id)
        if connection.vendor == "postgresql":
            queued = queued.select_for_update(skip_locked=True)
        job = queued.first()
        if job is None:
            return None
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    return job


def run(job: Job) -> None:
    """Run a claimed (or, in immediate mode, just created) job to its end."""
    if job.status == JobStatus.QUEUED:
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    handler = _handlers[job.kind]
    language = job.params.get("language") or settings.LANGUAGE_CODE
    try:
        with override(language):
            result = handler(job, Progress(job))
    except ApplicationError as exc:
        _finish(job, JobStatus.FAILED, error=exc.message, result=exc.as_dict())
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        with override(language):
            message = _("The job failed because of an error in the system. It has been logged.")
        _finish(job, JobStatus.FAILED, error=message)
    else:
        _finish(job, JobStatus.DONE, result=result or {})


def _finish(
    job: Job, status: str, *, error: str = "", result: dict[str, Any] | None = None
) -> None:
    job.status = status
    job.error = error
    job.result = result or {}
    job.finished_at = timezone.now()
    if status == JobStatus.DONE and job.total:
        job.done = job.total
    _locked_retry(
        lambda: job.save(
            update_fields=["status", "error", "result", "finished_at", "done", "total", "phase"]
        )
    )
    (Path(settings.JOBS_DIR) / str(job.pk) / PROGRESS_FILE).unlink(missing_ok=True)


def work(*, once: bool = False, idle: float = 1.0, stop: threading.Event | None = None) -> int:
    """The worker loop (`massline worker`): run queued jobs one after another. Returns how
    many it ran."""
    ran = 0
    while stop is None or not stop.is_set():
        if not connection.in_atomic_block:  # (a test's transaction)
            close_old_connections()
        job = claim()
        if job is None:
            if once:
                break
            time.sleep(idle)
            continue
        run(job)
        ran += 1
    return ran


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
