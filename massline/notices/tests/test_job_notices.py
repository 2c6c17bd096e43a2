"""A user hears when a background job they started ends: core.jobs calls the hooks that
subscribed with `jobs.on_finished` (the notices app, from its apps.py), once the end is
committed; core imports nothing of the notices."""

from __future__ import annotations

import pytest
from django.utils import translation

from massline.conftest import login_client
from massline.core import jobs
from massline.core.errors import ApplicationError
from massline.core.models import Job
from massline.notices.job_notices import JOB_FINISHED, job_finished
from massline.notices.models import Notice
from massline.notices.selectors import notice_page


def _export(job, progress):
    return {"rows": 1}


def _refuse(job, progress):
    raise ApplicationError("不行")


@pytest.fixture(autouse=True)
def _kinds():
    jobs.register("tests.export", _export, label="导出测试")
    jobs.register("tests.refuse", _refuse, label="导入测试")


def test_a_job_that_finishes_tells_its_user(make_user, django_capture_on_commit_callbacks):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue("tests.export", actor=user)
    notice = Notice.objects.get(recipient=user)
    assert (notice.kind, notice.link) == (JOB_FINISHED, f"/jobs/{job.pk}/")
    with translation.override("zh-hans"):
        (shown,), _ = notice_page(user)
    assert shown.title == "导出测试已完成"


def test_a_job_that_fails_tells_its_user_too(make_user, django_capture_on_commit_callbacks):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue("tests.refuse", actor=user)
    with translation.override("zh-hans"):
        (shown,), _ = notice_page(user)
    assert shown.title == "导入测试失败" and "出错原因" in shown.body


def test_nothing_is_told_before_the_end_is_committed(make_user, django_capture_on_commit_callbacks):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        jobs.enqueue("tests.export", actor=user)
    assert not Notice.objects.exists()
    assert len(waiting) >= 1


def test_the_same_end_told_twice_is_one_notice_and_a_job_without_a_user_none(make_user):
    user = make_user()
    job = Job.objects.create(kind="tests.export", actor=user, status="done", attempts=1)
    job_finished(job)
    job_finished(job)
    assert Notice.objects.count() == 1
    Job.objects.create(kind="tests.export", actor=None, status="done", attempts=1)
    job_finished(Job.objects.get(actor=None))
    assert Notice.objects.count() == 1


def test_a_hook_that_fails_does_not_change_the_jobs_outcome(
    make_user, django_capture_on_commit_callbacks
):
    def broken(job):
        raise RuntimeError("hook")

    jobs.on_finished(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = jobs.enqueue("tests.export", actor=make_user())
        assert job.status == "done"
    finally:
        jobs._finished_hooks.remove(broken)


def test_the_notice_shows_on_the_workbench_and_leads_to_the_job(
    make_user, django_capture_on_commit_callbacks
):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue("tests.export", actor=user)
    client = login_client(user)
    assert 'data-todo="jobs.finished"' in client.get("/").content.decode()
    notice = Notice.objects.get()
    assert client.post(f"/notices/{notice.pk}/open/")["Location"] == f"/jobs/{job.pk}/"
    assert 'data-todo="jobs.finished"' not in client.get("/").content.decode()
