"""Background jobs: every mode runs the same handler; failures are stored, not raised."""

from __future__ import annotations

import pytest

from massline.core import jobs
from massline.core.errors import ApplicationError
from massline.core.models import JobStatus


def _count(job, progress):
    total = job.params["n"]
    for i in range(1, total + 1):
        progress(i, total, phase="counting")
    (jobs.folder(job) / "out.txt").write_text(str(total))
    return {"counted": total}


def _refuse(job, progress):
    raise ApplicationError("不行", field="file", code="bad_file")


def _crash(job, progress):
    raise RuntimeError("secret detail 150102199001011234")


@pytest.fixture(autouse=True)
def _kinds():
    jobs.register("test.count", _count)
    jobs.register("test.refuse", _refuse)
    jobs.register("test.crash", _crash)


@pytest.mark.django_db
def test_immediate_job_runs_before_enqueue_returns(tmp_path):
    job = jobs.enqueue("test.count", actor=None, params={"n": 3})
    assert job.status == JobStatus.DONE
    assert job.result == {"counted": 3}
    assert (job.done, job.total, job.percent) == (3, 3, 100)
    assert (jobs.folder(job) / "out.txt").read_text() == "3"
    assert job.started_at and job.finished_at


@pytest.mark.django_db
def test_enqueue_moves_files_into_the_job_folder(tmp_path):
    upload = tmp_path / "upload.csv"
    upload.write_text("x")
    job = jobs.enqueue("test.count", actor=None, params={"n": 1}, files={"input.csv": upload})
    assert not upload.exists()
    assert (jobs.folder(job) / "input.csv").read_text() == "x"


@pytest.mark.django_db
def test_application_error_is_stored_as_the_jobs_error():
    job = jobs.enqueue("test.refuse", actor=None)
    assert job.status == JobStatus.FAILED
    assert job.error == "不行"
    assert job.result["field"] == "file"


@pytest.mark.django_db
def test_unexpected_error_is_logged_and_the_user_sees_a_generic_message(caplog):
    job = jobs.enqueue("test.crash", actor=None)
    assert job.status == JobStatus.FAILED
    assert "1234" not in job.error
    assert "系统" in job.error


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        jobs.enqueue("test.nothing", actor=None)


def _watching(job, progress):
    from massline.core.models import Job as JobModel

    progress(5, 10, phase="reading")
    seen = jobs.live(JobModel.objects.get(pk=job.pk))
    return {"seen": [seen.done, seen.total, seen.phase, seen.percent]}


@pytest.mark.django_db
def test_progress_is_seen_while_the_job_runs_even_inside_its_transaction():
    from django.db import transaction

    jobs.register("test.watch", _watching)
    with transaction.atomic():
        job = jobs.enqueue("test.watch", actor=None)
    assert job.result == {"seen": [5, 10, "reading", 50]}
    assert (job.done, job.total, job.phase) == (10, 10, "reading")  # done: all of it
    assert not (jobs.folder(job) / jobs.PROGRESS_FILE).exists()
