"""The system administrators' pages: failed jobs with a retry button, and the scheduled
tasks (计划任务) with a run-now button. Nobody else sees them."""

from __future__ import annotations

import pytest
from django.test import Client

from massline.conftest import login_client
from massline.core import jobs
from massline.core.models import Job, JobStatus, RunStatus, ScheduledRun

pytestmark = pytest.mark.django_db


def _crash(job, progress):
    raise RuntimeError("boom")


def _fine(job, progress):
    return {"ok": True}


@pytest.fixture
def admin(make_user):
    user = make_user(username="sysadmin")
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.fixture(autouse=True)
def _kinds():
    jobs.register("test.crash", _crash, label="会出错的任务")


def test_nobody_but_a_system_administrator_sees_them(make_user, tree):
    office = make_user("campaign_office", tree.root)
    client = login_client(office)
    for url in ("/system/jobs/", "/system/schedule/", "/system/schedule/orgs.counter_drift/"):
        assert client.get(url).status_code == 403
    assert client.post("/system/schedule/orgs.counter_drift/run").status_code == 403
    assert Client().get("/system/jobs/").status_code == 302  # to sign in
    assert "nav-system" not in client.get("/orgs/").content.decode()


def test_failed_jobs_are_listed_and_retried(admin, django_assert_max_num_queries):
    failed = jobs.enqueue("test.crash", actor=admin)
    Job.objects.create(kind="test.retired", status=JobStatus.FAILED, error="已下线")
    client = login_client(admin)
    with django_assert_max_num_queries(12):
        page = client.get("/system/jobs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "会出错的任务" in html and "已下线" in html
    assert f'data-testid="retry-{failed.pk}"' in html
    assert html.count('data-testid="retry-') == 1  # the retired kind has no button
    jobs.register("test.crash", _fine, label="会出错的任务")
    response = client.post(f"/system/jobs/{failed.pk}/retry", follow=True)
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == JobStatus.DONE
    assert f"#{failed.pk}" in response.content.decode()


def test_the_menu_counts_the_weeks_problems(admin):
    jobs.enqueue("test.crash", actor=admin)
    html = login_client(admin).get("/orgs/").content.decode()
    assert 'data-testid="nav-system"' in html
    assert "badge rounded-pill" in html


def test_the_schedule_page_lists_tasks_and_runs_one_now(admin):
    client = login_client(admin)
    html = client.get("/system/schedule/").content.decode()
    assert "统计数核对" in html and "每天 02:30" in html
    assert 'data-testid="task-orgs.counter_drift"' in html
    assert 'data-testid="task-core.job_files"' in html
    response = client.post("/system/schedule/orgs.counter_drift/run", follow=True)
    assert response.status_code == 200
    run = ScheduledRun.objects.get(task="orgs.counter_drift")
    assert run.status == RunStatus.OK and run.requested_by == admin
    detail = client.get("/system/schedule/orgs.counter_drift/").content.decode()
    assert 'data-testid="run-table"' in detail and "sysadmin" in detail


def test_an_unknown_task_is_404(admin):
    client = login_client(admin)
    assert client.get("/system/schedule/no.such/").status_code == 404
    assert client.post("/system/schedule/no.such/run").status_code == 404


def test_the_schedule_page_says_whether_a_consumer_runs(admin):
    from massline.core import watch

    client = login_client(admin)
    assert 'data-testid="consumer-missing"' in client.get("/system/schedule/").text
    watch.beat()
    assert 'data-testid="consumer-alive"' in client.get("/system/schedule/").text
