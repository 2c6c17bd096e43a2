"""Periodic tasks: declared once with a crontab in Beijing time; a slot runs once however
many consumers find it due; runs by hand; findings reach the system administrators; a run
whose consumer died is failed and its lock released."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import close_old_connections, connection

from massline.core import schedule
from massline.core.errors import Forbidden, NotFound
from massline.core.models import AuditEvent, RunStatus, ScheduledRun
from massline.core.outcome import Outcome

BEIJING = ZoneInfo("Asia/Shanghai")
CALLS: list[str] = []
GATE = threading.Event()


def _fine() -> Outcome:
    CALLS.append("fine")
    return Outcome(message="一切正常")


def _finds() -> Outcome:
    CALLS.append("finds")
    return Outcome(findings=True, message="发现 3 处不一致", details={"count": 3})


def _breaks() -> Outcome:
    CALLS.append("breaks")
    raise RuntimeError("secret 150102199001011234")


def _slow() -> Outcome:
    CALLS.append("slow")
    GATE.wait(5)
    return Outcome()


@pytest.fixture(autouse=True)
def _tasks():
    CALLS.clear()
    GATE.clear()
    schedule.register_periodic("test.fine", "30 2 * * *", _fine, label="夜间检查")
    schedule.register_periodic("test.finds", "*/15 * * * *", _finds, label="发现问题")
    schedule.register_periodic("test.breaks", "0 * * * *", _breaks, label="出错")
    schedule.register_periodic("test.slow", "0 4 * * 1", _slow, label="慢")


def beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def test_a_crontab_is_read_in_beijing_time():
    task = next(t for t in schedule.periodic_tasks() if t.name == "test.fine")
    # 2026-12-04 01:00 Beijing is 2026-12-03 17:00 UTC
    now = beijing(2026, 12, 4, 1, 0)
    assert schedule.next_due(task, now) == beijing(2026, 12, 4, 2, 30)
    assert schedule.last_due(task, now) == beijing(2026, 12, 3, 2, 30)
    assert schedule.last_due(task, beijing(2026, 12, 4, 2, 30, 41)) == beijing(2026, 12, 4, 2, 30)


def test_a_bad_crontab_is_refused_when_declared():
    with pytest.raises(ValueError):
        schedule.register_periodic("test.bad", "61 * * * *", _fine, label="坏")
    with pytest.raises(ValueError):
        schedule.register_periodic("test.bad", "0 2 * *", _fine, label="坏")


def test_schedules_are_described_in_words():
    assert schedule.describe("30 2 * * *") == "每天 02:30"
    assert schedule.describe("5 * * * *") == "每小时第 05 分"
    assert schedule.describe("*/15 * * * *") == "每 15 分钟"
    assert schedule.describe("0 4 * * 1") == "0 4 * * 1"


@pytest.mark.django_db
def test_a_due_task_runs_and_records_its_outcome():
    run = schedule.fire("test.fine", now=beijing(2026, 12, 4, 2, 30, 12))
    assert run is not None and run.status == RunStatus.OK
    assert run.message == "一切正常" and run.slot == beijing(2026, 12, 4, 2, 30)
    assert run.started_at and run.finished_at and run.worker
    assert CALLS == ["fine"]


@pytest.mark.django_db
def test_two_consumers_finding_the_same_slot_run_it_once():
    first = schedule.fire("test.fine", now=beijing(2026, 12, 4, 2, 30, 5))
    second = schedule.fire("test.fine", now=beijing(2026, 12, 4, 2, 30, 47))
    assert first is not None and second is None
    assert CALLS == ["fine"]
    assert ScheduledRun.objects.filter(task="test.fine").count() == 1
    # the next night is a new slot
    assert schedule.fire("test.fine", now=beijing(2026, 12, 5, 2, 30, 5)) is not None


@pytest.mark.django_db(transaction=True)
def test_two_consumers_at_the_same_moment_run_it_once():
    moment = beijing(2026, 12, 4, 2, 30, 30)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def consumer() -> None:
        try:
            barrier.wait(5)
            results.append(schedule.fire("test.fine", now=moment))
        except Exception as exc:  # a lock error would be a failure of the test
            results.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=consumer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    runs = [r for r in results if isinstance(r, ScheduledRun)]
    assert len(results) == 2 and len(runs) == 1 and results.count(None) == 1, results
    assert CALLS == ["fine"]
    assert ScheduledRun.objects.filter(task="test.fine").count() == 1


@pytest.mark.django_db
def test_findings_reach_the_system_administrators(settings):
    settings.ADMINS = [("系统管理员", "admin@example.org")]
    run = schedule.fire("test.finds", now=beijing(2026, 12, 4, 10, 15))
    assert run is not None and run.status == RunStatus.FINDINGS
    assert run.details == {"count": 3}
    assert len(mail.outbox) == 1
    assert "发现问题" in mail.outbox[0].subject and "发现 3 处不一致" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_task_that_breaks_is_recorded_as_failed_without_its_details(settings):
    settings.ADMINS = [("系统管理员", "admin@example.org")]
    run = schedule.fire("test.breaks", now=beijing(2026, 12, 4, 10, 0))
    assert run is not None and run.status == RunStatus.FAILED
    assert "1234" not in run.message and "系统" in run.message
    assert len(mail.outbox) == 1
    # the lock was released: the next run goes ahead
    assert schedule.fire("test.breaks", now=beijing(2026, 12, 4, 11, 0)) is not None
    assert CALLS == ["breaks", "breaks"]


@pytest.mark.django_db
def test_a_run_while_the_previous_one_still_goes_is_skipped():
    lock = schedule.lock("test.fine")
    lock.acquire()
    try:
        run = schedule.fire("test.fine", now=beijing(2026, 12, 4, 2, 30))
    finally:
        lock.release()
    assert run is not None and run.status == RunStatus.SKIPPED
    assert CALLS == []


@pytest.mark.django_db
def test_a_system_administrator_runs_a_task_now(make_user):
    admin = make_user(username="root")
    admin.is_superuser = True
    run = schedule.run_now("test.fine", actor=admin)
    assert run.status == RunStatus.OK and run.requested_by == admin
    assert CALLS == ["fine"]
    event = AuditEvent.objects.get(action="core.schedule_run")
    assert event.actor == admin and event.after == {"task": "test.fine"}


@pytest.mark.django_db
def test_only_a_system_administrator_runs_a_task_now(make_user):
    with pytest.raises(Forbidden):
        schedule.run_now("test.fine", actor=make_user())
    admin = make_user(username="root")
    admin.is_superuser = True
    with pytest.raises(NotFound):
        schedule.run_now("test.nothing", actor=admin)
    assert CALLS == [] and not ScheduledRun.objects.exists()


@pytest.mark.django_db
def test_a_run_whose_consumer_died_fails_and_frees_its_lock():
    run = ScheduledRun.objects.create(
        task="test.fine",
        slot=beijing(2026, 12, 4, 2, 30),
        status=RunStatus.RUNNING,
        worker="gone:9:dddd",
    )
    schedule.lock("test.fine").acquire()
    assert schedule.abandon(run.pk, "gone:9:dddd")
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.message
    assert not schedule.lock("test.fine").is_locked()
    assert not schedule.abandon(run.pk, "gone:9:dddd")  # once


@pytest.mark.django_db
def test_the_overview_lists_every_task_with_last_and_next_run():
    schedule.fire("test.fine", now=beijing(2026, 12, 4, 2, 30))
    rows = {r["task"].name: r for r in schedule.overview(now=beijing(2026, 12, 4, 9, 0))}
    assert {"core.job_files", "orgs.counter_drift", "test.fine"} <= set(rows)
    assert rows["test.fine"]["last"].status == RunStatus.OK
    assert rows["test.fine"]["next"] == beijing(2026, 12, 5, 2, 30)
    assert rows["test.slow"]["last"] is None
    assert rows["test.slow"]["next"] == beijing(2026, 12, 7, 4, 0)  # Monday
