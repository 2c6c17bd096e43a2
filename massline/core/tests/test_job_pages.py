"""The job pages: only the user who asked for a job sees it (anyone else: 404), its progress
is polled by htmx until it ends, its error and its kind's result section are shown, and the
files it listed are downloaded under their Chinese names, nothing else of its folder."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext_lazy

from massline.conftest import login_client
from massline.core import jobs
from massline.core.models import Job, JobStatus


def _noop(job, progress):
    return {}


@pytest.fixture(autouse=True)
def _kind():
    jobs.register(
        "test.pages",
        _noop,
        label=gettext_lazy("Member roster export"),
        phases={"writing": gettext_lazy("writing the file")},
    )


@pytest.fixture
def owner(make_user, tree):
    return make_user("supervisor", tree.root)


def make_job(user, **fields):
    values = {"kind": "test.pages", "actor": user, "status": JobStatus.RUNNING}
    values.update(fields)
    return Job.objects.create(**values)


def done_job_with_files(user):
    job = make_job(
        user,
        status=JobStatus.DONE,
        total=3,
        done=3,
        result={
            "files": [
                {"name": "out.csv", "label": "CSV", "filename": "党员花名册-20250101.csv"},
                {"name": "report.xlsx", "label": "报告"},
                {"name": "../escape.csv", "label": "bad"},
            ]
        },
    )
    folder = jobs.folder(job)
    (folder / "out.csv").write_bytes("\ufeff姓名\r\n张三\r\n".encode())
    (folder / "report.xlsx").write_bytes(b"PK\x03\x04 not really")
    (folder / "secret.csv").write_text("not listed")
    return job


def test_running_job_shows_progress_and_polls(owner):
    job = make_job(owner, total=200, done=50, phase="writing")
    client = login_client(owner)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "导出党员花名册" in page  # the kind's label
    assert "正在写入文件" in page  # the phase's label
    assert 'value="25"' in page and "50 / 200" in page
    assert f'hx-get="/jobs/{job.pk}/"' in page and 'hx-trigger="every 1s"' in page
    assert "<script>" not in page and "style=" not in page  # nothing inline (CSP)


def test_htmx_poll_gets_only_the_panel_and_stops_when_finished(owner):
    job = make_job(owner, total=10, done=4)
    client = login_client(owner)
    fragment = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="job-panel"') and "<html" not in fragment
    assert 'hx-trigger="every 1s"' in fragment
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, done=10)
    fragment = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and 'value="100"' in fragment
    assert 'data-status="done"' in fragment


def test_failed_job_shows_its_error(owner):
    job = make_job(owner, status=JobStatus.FAILED, error="第 3 行：身份证号码校验位错误")
    page = login_client(owner).get(f"/jobs/{job.pk}/").content.decode()
    assert "第 3 行：身份证号码校验位错误" in page and 'data-status="failed"' in page
    assert "hx-trigger" not in page


def test_a_job_is_seen_only_by_its_owner(owner, make_user, tree, client):
    job = done_job_with_files(owner)
    other = login_client(make_user("system_admin", tree.root, "all"))
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/files/out.csv"):
        assert other.get(url).status_code == 404
        response = client.get(url)  # anonymous
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert login_client(owner).get("/jobs/999999/").status_code == 404
    # a job nobody owns (the command line's) is nobody's page
    orphan = make_job(None)
    assert login_client(owner).get(f"/jobs/{orphan.pk}/").status_code == 404


def test_listed_files_download_under_their_chinese_names(owner):
    job = done_job_with_files(owner)
    client = login_client(owner)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'href="/jobs/{job.pk}/files/out.csv"' in page
    assert f'href="/jobs/{job.pk}/files/report.xlsx"' in page
    assert "escape" not in page
    response = client.get(f"/jobs/{job.pk}/files/out.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%85%9A%E5%91%98%E8%8A%B1%E5%90%8D%E5%86%8C-20250101.csv"
    )
    assert response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content) == "\ufeff姓名\r\n张三\r\n".encode()
    xlsx = client.get(f"/jobs/{job.pk}/files/report.xlsx")
    assert xlsx["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="report.xlsx"' in xlsx["Content-Disposition"]


@pytest.mark.parametrize(
    "name",
    ["secret.csv", "..%2Fescape.csv", "%2E%2E", "missing.csv", "out.csv%00", "..", "."],
)
def test_no_other_file_is_reachable(owner, name):
    job = done_job_with_files(owner)
    (jobs.folder(job).parent / "escape.csv").write_text("outside")
    response = login_client(owner).get(f"/jobs/{job.pk}/files/{name}")
    assert response.status_code == 404


def test_files_of_an_unfinished_job_are_not_served(owner):
    job = done_job_with_files(owner)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    client = login_client(owner)
    assert client.get(f"/jobs/{job.pk}/files/out.csv").status_code == 404
    assert "/files/" not in client.get(f"/jobs/{job.pk}/").content.decode()


def test_kind_result_template_is_included_when_there_is_one(owner, settings, tmp_path):
    job = make_job(owner, status=JobStatus.DONE, result={"count": 7})
    client = login_client(owner)
    assert 'data-testid="job-result"' not in client.get(f"/jobs/{job.pk}/").content.decode()
    (tmp_path / "tpl" / "jobs" / "result").mkdir(parents=True)
    (tmp_path / "tpl" / "jobs" / "result" / "test_pages.html").write_text(
        "<p>counted {{ result.count }}</p>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "tpl", *settings.TEMPLATES[0]["DIRS"]]}
    ]
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-testid="job-result"' in page and "<p>counted 7</p>" in page


def test_my_jobs_lists_only_my_own(owner, make_user, tree):
    mine = make_job(owner, status=JobStatus.DONE)
    theirs = make_job(make_user("supervisor", tree.root))
    page = login_client(owner).get("/jobs/").content.decode()
    assert f'href="/jobs/{mine.pk}/"' in page and "导出党员花名册" in page
    assert f'href="/jobs/{theirs.pk}/"' not in page
    empty = login_client(make_user("supervisor", tree.root)).get("/jobs/")
    assert "暂无任务" in empty.content.decode()


def test_labels_of_unknown_kinds_and_phases_fall_back_to_their_codes():
    assert jobs.label("test.unknown") == "test.unknown"
    assert jobs.phase_label("test.pages", "other") == "other"
    assert jobs.phase_label("test.unknown", "x") == "x"
