"""The import pages and API: upload → dry run report → import; access; the blank template."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from massline.access.models import DataScope
from massline.conftest import api_client, login_client
from massline.core.models import Job
from massline.members import template
from massline.members.models import Member
from massline.orgs import counters

from .test_import import ID_A, row, woman, write_csv


def upload(tmp_path, rows, name="roster.csv"):
    path = write_csv(tmp_path / name, rows)
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


@pytest.fixture
def admin(tree, make_user):
    return make_user("org_admin", tree.county_a1, DataScope.SUBTREE)


def test_dry_run_then_import_through_the_pages(tree, admin, tmp_path):
    client = login_client(admin)
    page = client.get("/members/import/")
    assert page.status_code == 200 and "公民身份号码" in page.text
    response = client.post("/members/import/", {"file": upload(tmp_path, [row(), woman()])})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/members/import/{job.pk}/"
    report = client.get(response["Location"])
    assert report.status_code == 200
    assert 'data-testid="import-apply"' in report.text
    assert Member.objects.count() == 0
    applied = client.post(f"/members/import/{job.pk}/apply/")
    assert applied.status_code == 302
    done = client.get(applied["Location"])
    assert 'data-testid="import-done"' in done.text
    assert Member.objects.count() == 2
    assert counters.rebuild(check_only=True) == []
    again = client.post(f"/members/import/{job.pk}/apply/", follow=True)
    assert Member.objects.count() == 2
    assert "已" in again.text  # already imported


def test_the_report_lists_each_problem_and_offers_no_import(tree, admin, tmp_path):
    client = login_client(admin)
    rows = [row(**{"出生日期": "1985-03-15"}), woman(**{"所在党组织编码": tree.branch_b1.code})]
    response = client.post("/members/import/", {"file": upload(tmp_path, rows)}, follow=True)
    assert 'data-testid="import-report"' in response.text
    assert "出生日期" in response.text and "所在党组织编码" in response.text
    assert 'data-testid="import-apply"' not in response.text
    assert ID_A not in response.text
    job = Job.objects.get()
    csv_report = client.get(f"/members/import/{job.pk}/report.csv")
    assert csv_report.status_code == 200
    assert "出生日期" in b"".join(csv_report.streaming_content).decode("utf-8-sig")
    refused = client.post(f"/members/import/{job.pk}/apply/")
    assert refused.status_code == 302 and Member.objects.count() == 0


def test_a_bad_file_shows_why(tree, admin, tmp_path):
    client = login_client(admin)
    bad = SimpleUploadedFile(
        "roster.xlsx", b"just some text", content_type="application/octet-stream"
    )
    response = client.post("/members/import/", {"file": bad}, follow=True)
    assert 'data-testid="import-failed"' in response.text and "roster.xlsx" in response.text
    empty = SimpleUploadedFile("roster.pdf", b"%PDF", content_type="application/pdf")
    response = client.post("/members/import/", {"file": empty})
    assert response.status_code == 400 and "roster.pdf" in response.text
    from pathlib import Path

    from django.conf import settings

    assert not list((Path(settings.JOBS_DIR) / "uploads").iterdir())  # nothing left behind
    response = client.post("/members/import/", {})
    assert response.status_code == 400


def test_imports_are_private_to_who_started_them(tree, admin, make_user, tmp_path):
    login_client(admin).post("/members/import/", {"file": upload(tmp_path, [row()])})
    job = Job.objects.get()
    other = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    client = login_client(other)
    assert client.get(f"/members/import/{job.pk}/").status_code == 404
    assert client.post(f"/members/import/{job.pk}/apply/").status_code == 404
    assert client.get(f"/members/import/{job.pk}/report.csv").status_code == 404


def test_the_import_page_offers_the_optional_columns_and_recommends_csv_for_large_rosters(
    tree, admin
):
    page = login_client(admin).get("/members/import/")
    assert page.status_code == 200
    assert "党小组" in page.text and "支部职务" in page.text
    assert "可选列" in page.text and "建议使用 CSV" in page.text


def test_who_may_import(tree, make_user, client):
    viewer = make_user("supervisor", tree.root, DataScope.ALL)
    assert login_client(viewer).get("/members/import/").status_code == 403
    assert login_client(viewer).get("/members/import/template.xlsx").status_code == 403
    assert client.get("/members/import/").status_code == 302  # sign in first


def test_blank_templates(tree, admin):
    client = login_client(admin)
    response = client.get("/members/import/template.csv")
    data = b"".join(response.streaming_content).decode("utf-8-sig")
    assert data.strip() == ",".join(template.HEADERS)
    response = client.get("/members/import/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in book.worksheets[0][1]] == list(template.HEADERS)
    notes = {r[0]: r[1] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert "支部书记" in notes["支部职务"] and "64" in notes["党小组"]
    assert client.get("/members/import/template.pdf").status_code == 404


def test_a_blank_template_filled_in_imports(tree, admin, tmp_path):
    from massline.members.roster_import import import_roster

    book = openpyxl.load_workbook(io.BytesIO(template.blank_workbook()))
    book.worksheets[0].append(row())
    path = tmp_path / "filled.xlsx"
    book.save(path)
    report = import_roster(path, actor=admin, dry_run=False)
    assert report.ok, report.problems


# -- API -----------------------------------------------------------------------------------------


def test_api_dry_run_report_and_apply(tree, admin, tmp_path):
    client = api_client(admin)
    response = client.post("/api/v1/imports/members", {"file": upload(tmp_path, [row(), woman()])})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["dry_run"] is True and body["status"] == "done" and body["created"] == 2
    assert Member.objects.count() == 0
    got = client.get(f"/api/v1/imports/{body['id']}").json()
    assert got["problem_count"] == 0 and got["percent"] == 100
    applied = client.post(f"/api/v1/imports/{body['id']}/apply")
    assert applied.status_code == 202 and applied.json()["dry_run"] is False
    assert Member.objects.count() == 2


def test_api_reports_problems_by_row_and_column(tree, admin, tmp_path):
    client = api_client(admin)
    rows = [row(), row(**{"姓名": "重复"})]
    body = client.post(
        "/api/v1/imports/members", {"file": upload(tmp_path, rows), "dry_run": "false"}
    ).json()
    assert body["status"] == "done" and body["problem_count"] == 1
    assert body["problems"][0]["row"] == 3 and body["problems"][0]["column"] == "公民身份号码"
    assert ID_A not in str(body)
    assert Member.objects.count() == 0


def test_api_direct_import_and_errors(tree, admin, make_user, tmp_path):
    client = api_client(admin)
    body = client.post(
        "/api/v1/imports/members", {"file": upload(tmp_path, [row()]), "dry_run": "false"}
    ).json()
    assert body["status"] == "done" and Member.objects.count() == 1
    failed = client.post(
        "/api/v1/imports/members",
        {"file": SimpleUploadedFile("r.csv", b"", content_type="text/csv")},
    ).json()
    assert failed["status"] == "failed" and "0" in failed["error"]
    bad = client.post(
        "/api/v1/imports/members",
        {"file": upload(tmp_path, [row()]), "encoding": "latin-1"},
    )
    assert bad.status_code == 400
    other = api_client(make_user("org_admin", tree.county_a1, DataScope.SUBTREE))
    assert other.get(f"/api/v1/imports/{body['id']}").status_code == 404
    viewer = api_client(make_user("supervisor", tree.root, DataScope.ALL))
    assert (
        viewer.post("/api/v1/imports/members", {"file": upload(tmp_path, [row()])}).status_code
        == 403
    )


def test_uploaded_rosters_are_not_kept_after_a_day(tree, admin, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from massline.core import jobs
    from massline.members.roster_import.jobs import purge_stale_uploads

    client = login_client(admin)
    client.post("/members/import/", {"file": upload(tmp_path, [row()])})
    job = Job.objects.get()
    roster = jobs.folder(job) / "roster.csv"
    assert roster.exists()
    assert purge_stale_uploads(now=timezone.now() + timedelta(hours=23)) == 0
    assert purge_stale_uploads(now=timezone.now() + timedelta(hours=25)) == 1
    assert not roster.exists()
    response = client.post(f"/members/import/{job.pk}/apply/", follow=True)
    assert "24" in response.text and Member.objects.count() == 0
