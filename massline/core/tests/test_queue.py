"""Jobs on the task queue (Huey): what is sent, who takes it, retries by kind, dead
consumers, an unreachable queue, a kind no longer registered, files that are gone, and a
system administrator's retry. The queue here is Huey's own in-memory storage, run through
Huey's real execution path (`HUEY.execute`)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage, RedisStorage

from massline.core import jobs, queue, watch
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent, Job, JobStatus

pytestmark = pytest.mark.django_db

RUNS: list[int] = []


def _count(job, progress):
    RUNS.append(job.pk)
    progress(1, 1, phase="counting")
    return {"counted": 1}


def _flaky(job, progress):
    RUNS.append(job.pk)
    if len(RUNS) == 1:
        raise RuntimeError("first try fails")
    return {"ok": True}


def _crash(job, progress):
    RUNS.append(job.pk)
    raise RuntimeError("always")


def _reads_input(job, progress):
    return {"size": len((jobs.folder(job) / "input.csv").read_bytes())}


@pytest.fixture(autouse=True)
def _kinds():
    RUNS.clear()
    jobs.register("test.count", _count, label="计数")
    jobs.register("test.flaky", _flaky, idempotent=True)
    jobs.register("test.crash", _crash)
    jobs.register("test.crash_idempotent", _crash, idempotent=True)
    jobs.register("test.reads", _reads_input)
    jobs.register("test.slow_import", _count, interrupted="导入中断，名册未改动。")
    jobs.register("test.slow_export", _count, idempotent=True)


@pytest.fixture
def on_queue(settings):
    """Jobs go on a real (in-memory) Huey queue and wait there until `step` runs one."""
    settings.JOBS_MODE = "queue"
    HUEY.immediate = False
    HUEY.storage = MemoryStorage(HUEY.name)
    yield HUEY
    HUEY.immediate = True


def step(huey) -> bool:
    """Run the next queued task as a consumer would; False when none waits."""
    task = huey.dequeue()
    if task is None:
        return False
    huey.execute(task)
    return True


def due_retries(huey) -> int:
    """Move retries that wait for their delay onto the queue now; how many."""
    later = huey._get_timestamp() + timedelta(days=1)
    tasks = huey.read_schedule(later)
    for task in tasks:
        task.eta = None  # due now
        huey.enqueue(task)
    return len(tasks)


def test_a_queued_job_waits_until_a_consumer_takes_it(on_queue):
    job = jobs.enqueue("test.count", actor=None)
    assert job.status == JobStatus.QUEUED and on_queue.pending_count() == 1
    assert step(on_queue)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.worker == queue.worker_name() and job.attempts == 1
    assert [job.pk] == RUNS


def test_a_job_is_taken_once_even_when_sent_twice(on_queue):
    job = jobs.enqueue("test.count", actor=None)
    jobs.run_queued(job.pk)  # the same job sent again
    assert step(on_queue) and step(on_queue)
    assert [job.pk] == RUNS


def test_a_job_whose_row_never_committed_is_dropped(on_queue, monkeypatch):
    monkeypatch.setattr(jobs, "COMMIT_WAIT", 0.2)
    jobs.run_queued(987654)
    assert step(on_queue)
    assert not Job.objects.filter(pk=987654).exists()


def test_an_idempotent_kind_that_crashes_is_retried_by_the_queue(on_queue):
    job = jobs.enqueue("test.flaky", actor=None)
    assert step(on_queue)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.error == ""
    assert due_retries(on_queue) == 1
    assert step(on_queue)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 2
    assert [job.pk, job.pk] == RUNS


def test_an_idempotent_kind_stops_after_its_attempts(on_queue, settings):
    job = jobs.enqueue("test.crash_idempotent", actor=None)
    for _ in range(settings.JOB_ATTEMPTS):
        assert step(on_queue)
        due_retries(on_queue)
    assert not step(on_queue)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "系统" in job.error
    assert len(RUNS) == settings.JOB_ATTEMPTS == job.attempts


def test_a_kind_that_is_not_idempotent_is_not_retried(on_queue):
    job = jobs.enqueue("test.crash", actor=None)
    assert step(on_queue)
    assert due_retries(on_queue) == 0 and not step(on_queue)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and [job.pk] == RUNS


def test_a_kind_no_longer_registered_fails_with_words_and_cannot_be_retried(on_queue, make_user):
    job = Job.objects.create(kind="test.retired")
    jobs.run_queued(job.pk)
    assert step(on_queue)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "不再" in job.error
    admin = make_user(username="root")
    admin.is_superuser = True
    with pytest.raises(ApplicationError) as refused:
        jobs.retry(job, actor=admin)
    assert refused.value.code == "unknown_kind"


def test_a_job_whose_files_were_removed_fails_with_words(on_queue, tmp_path):
    upload = tmp_path / "input.csv"
    upload.write_text("x")
    job = jobs.enqueue("test.reads", actor=None, files={"input.csv": upload})
    shutil.rmtree(jobs.folder(job))
    assert step(on_queue)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "不在" in job.error and "input.csv" not in job.error


def test_an_unreachable_queue_refuses_and_leaves_nothing(on_queue, settings, tmp_path):
    on_queue.storage = RedisStorage(on_queue.name, url="redis://127.0.0.1:1/0")
    upload = tmp_path / "input.csv"
    upload.write_text("x")
    with pytest.raises(queue.QueueUnavailable) as refused:
        jobs.enqueue("test.reads", actor=None, files={"input.csv": upload})
    assert refused.value.code == "queue_unavailable"
    assert "稍后" in refused.value.message or "几分钟" in refused.value.message
    assert not Job.objects.exists()
    assert not any(Path(settings.JOBS_DIR).glob("*/input.csv"))


def _running(kind: str, worker: str, attempts: int = 1) -> Job:
    return Job.objects.create(
        kind=kind,
        status=JobStatus.RUNNING,
        worker=worker,
        attempts=attempts,
        started_at=timezone.now(),
    )


def test_a_job_whose_consumer_died_fails_with_its_kinds_words(on_queue, settings):
    job = _running("test.slow_import", "gone:1:aaaa")
    sweeper = watch.Sweeper()
    assert sweeper.sweep(now=100.0) == []  # seen once: not yet
    assert sweeper.sweep(now=100.0 + settings.JOB_HEARTBEAT) == [("job", job.pk, "failed")]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "导入中断，名册未改动。"
    assert job.result == {"code": "interrupted"}
    assert on_queue.pending_count() == 0


def test_an_idempotent_job_whose_consumer_died_runs_again(on_queue, settings):
    job = _running("test.slow_export", "gone:2:bbbb")
    sweeper = watch.Sweeper()
    sweeper.sweep(now=0.0)
    assert sweeper.sweep(now=settings.JOB_HEARTBEAT) == [("job", job.pk, "queued")]
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.worker == ""
    assert step(on_queue)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 2


def test_an_idempotent_job_out_of_attempts_fails_when_its_consumer_dies(on_queue, settings):
    job = _running("test.slow_export", "gone:3:cccc", attempts=settings.JOB_ATTEMPTS)
    sweeper = watch.Sweeper()
    sweeper.sweep(now=0.0)
    assert sweeper.sweep(now=settings.JOB_HEARTBEAT) == [("job", job.pk, "failed")]


def test_a_job_of_a_live_consumer_is_left_alone(on_queue, settings):
    job = _running("test.slow_import", queue.worker_name())
    watch.beat()
    sweeper = watch.Sweeper()
    for moment in (0.0, 10.0, 100.0):
        assert sweeper.sweep(now=moment) == []
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING


def test_a_missing_heartbeat_seen_once_is_forgiven_when_it_comes_back(on_queue, settings):
    job = _running("test.slow_import", queue.worker_name())
    sweeper = watch.Sweeper()
    assert sweeper.sweep(now=0.0) == []  # the cache was emptied: suspect
    watch.beat()
    assert sweeper.sweep(now=settings.JOB_HEARTBEAT) == []
    cache.clear()
    assert sweeper.sweep(now=2 * settings.JOB_HEARTBEAT) == []  # suspect afresh
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING


def test_a_system_administrator_retries_a_failed_job(make_user):
    job = jobs.enqueue("test.crash", actor=None)
    assert job.status == JobStatus.FAILED
    jobs.register("test.crash", _count)  # (fixed since)
    admin = make_user(username="root")
    admin.is_superuser = True
    again = jobs.retry(job, actor=admin)
    assert again.status == JobStatus.DONE and again.attempts == 2
    event = AuditEvent.objects.get(action="core.job_retry")
    assert event.actor == admin and event.target_id == str(job.pk)


def test_only_a_system_administrator_retries_and_only_a_failed_job(make_user):
    failed = jobs.enqueue("test.crash", actor=None)
    with pytest.raises(Forbidden):
        jobs.retry(failed, actor=make_user())
    done = jobs.enqueue("test.count", actor=None)
    admin = make_user(username="root")
    admin.is_superuser = True
    with pytest.raises(ApplicationError) as refused:
        jobs.retry(done, actor=admin)
    assert refused.value.code == "not_failed"
    assert not AuditEvent.objects.filter(action="core.job_retry").exists()


def test_old_job_files_are_removed_once_and_the_row_says_so(tmp_path, settings):
    upload = tmp_path / "input.csv"
    upload.write_text("x")
    old = jobs.enqueue("test.reads", actor=None, files={"input.csv": upload})
    recent = jobs.enqueue("test.count", actor=None)
    (jobs.folder(recent) / "out.txt").write_text("y")
    later = timezone.now() + timedelta(days=settings.JOB_FILES_RETENTION_DAYS, hours=1)
    Job.objects.filter(pk=recent.pk).update(finished_at=later - timedelta(days=1))
    assert jobs.remove_expired_files(now=later) == 1
    assert not (Path(settings.JOBS_DIR) / str(old.pk)).exists()
    assert (Path(settings.JOBS_DIR) / str(recent.pk) / "out.txt").exists()
    old.refresh_from_db()
    assert old.files_removed_at is not None
    assert jobs.remove_expired_files(now=later) == 0
    admin_retry = jobs.retry
    old.status = JobStatus.FAILED
    old.save(update_fields=["status"])
    with pytest.raises(ApplicationError) as refused:
        admin_retry(old, actor=None)
    assert refused.value.code == "files_gone"


def test_a_waiting_job_says_when_no_consumer_runs(on_queue, make_user):
    from massline.conftest import login_client

    user = make_user()
    job = jobs.enqueue("test.count", actor=user)
    client = login_client(user)
    assert 'data-testid="job-no-consumer"' in client.get(f"/jobs/{job.pk}/").text
    watch.beat()  # a consumer is alive
    assert 'data-testid="job-no-consumer"' not in client.get(f"/jobs/{job.pk}/").text
